"""The ledger on real SQLite files: every tampering an attacker with the file can do is caught.

The store refuses UPDATE and DELETE with triggers; each test drops them first to play the
attacker who edits the file directly. Every test runs on a store whose checkpoints were grouped
(a burst) and on one with a checkpoint per command (a set's pace), and must name the same
position on both.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from showclear.adapters.keys import generate_keypair, load_signer
from showclear.app.drills import DrillRun
from showclear.bootstrap import open_node
from showclear.cli import app
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import sign_checkpoint

DRILL = Path(__file__).resolve().parents[1] / "drills" / "rust-day.jsonl"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _per_event(path: Path) -> None:
    """The drill as a set runs it, a command every few seconds: a checkpoint per command,
    signed by the checkpointer. A few commands record two events in one commit; the sizes
    between are signed here with the node's key, so that every event has its checkpoint."""
    node = open_node(path, signin=False)
    service = node.service
    try:
        ledger = service.ledger
        assert ledger is not None
        for result in DrillRun(node.app).run(DRILL.read_text(encoding="utf-8").splitlines()):
            assert result.passed is not False, result
            ledger.flush()  # what the time between two commands on a set gives the checkpointer
        store = ledger.store
        for production in store.productions():
            signed = {c.tree_size for c in store.checkpoints(production)}
            tree = MerkleTree(leaf for _, leaf, _ in store.read_leaf_hashes(production))
            for seq, _, at in store.read_leaf_hashes(production):
                if seq not in signed:
                    note = ledger._sign(production, seq, tree.root(seq), at)
                    store.add_checkpoint(production, seq, tree.root(seq), note)
    finally:
        node.close()


@pytest.fixture(scope="module", params=["grouped", "per-event"])
def pristine(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The drill replayed in a burst (checkpoints grouped by the checkpointer's window), and
    at a set's pace with a checkpoint per event: every test below runs on both."""
    path = tmp_path_factory.mktemp("pristine") / "set.db"
    code, out = run("init", "--db", str(path))
    assert code == 0, out
    assert "SHA256:" in out
    if request.param == "grouped":
        code, out = run("drill", "run", str(DRILL), "--db", str(path))
        assert code == 0 and ", 0 failed" in out, out
    else:
        _per_event(path)
        assert sizes(path) == list(range(1, head(path) + 1))  # a checkpoint per event
    assert head(path) > 140
    return path


@pytest.fixture
def db(pristine: Path, tmp_path: Path) -> Path:
    path = tmp_path / "set.db"
    shutil.copy(pristine, path)
    shutil.copytree(Path(f"{pristine}.keys"), Path(f"{path}.keys"))
    return path


def attack(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for trigger in (
        "events_append_only_update",
        "events_append_only_delete",
        "checkpoints_append_only_update",
        "checkpoints_append_only_delete",
    ):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def note_at(path: Path, size: int) -> str:
    conn = sqlite3.connect(path)
    (note,) = conn.execute("SELECT note FROM checkpoints WHERE tree_size = ?", (size,)).fetchone()
    conn.close()
    return str(note)


def sizes(path: Path) -> list[int]:
    """The tree sizes of the stored checkpoints, smallest first (one per group of commits)."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT tree_size FROM checkpoints ORDER BY tree_size").fetchall()
    conn.close()
    return [int(r[0]) for r in rows]


def head(path: Path) -> int:
    conn = sqlite3.connect(path)
    (n,) = conn.execute("SELECT MAX(seq) FROM events").fetchone()
    conn.close()
    return int(n)


def test_every_commit_is_covered_and_status_shows_the_ledger(db: Path) -> None:
    code, out = run("status", "--db", str(db), "--json")
    assert code == 0, out
    status = json.loads(out)
    assert status["tree_size"] == head(db)
    assert len(status["root_hash"]) == 64
    assert status["key_fingerprint"].startswith("SHA256:")
    conn = sqlite3.connect(db)
    (size, root) = conn.execute(
        "SELECT tree_size, root_hash FROM checkpoints ORDER BY tree_size DESC LIMIT 1"
    ).fetchone()
    assert size == status["tree_size"] and root.hex() == status["root_hash"]
    assert "time 2021-" in note_at(db, size)
    code, out = run("status", "--db", str(db))
    assert status["key_fingerprint"] in out and status["root_hash"] in out


def test_intact_store_verifies(db: Path) -> None:
    code, out = run("verify", "--db", str(db))
    assert code == 0, out
    assert "INTACT" in out
    # It says what it checked, and why that is enough.
    n = len(sizes(db))
    assert f"{n:,} checkpoint roots against the tree" in out
    assert f"signatures: the newest checkpoint's (size {head(db):,})" in out
    assert "Why that is enough" in out and "--deep" in out
    code, out = run("verify", "--db", str(db), "--deep", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["deep"] is True and report["signatures_verified"] == n
    assert f"signatures: all {n:,} (--deep)" in report["checked"]


def test_edited_payload(db: Path) -> None:
    attack(db, "UPDATE events SET payload = replace(payload, 'rust', 'RUST') WHERE seq = 17")
    code, out = run("verify", "--db", str(db))
    assert code == 1
    assert "edited at position 17" in out


def test_edited_payload_with_recomputed_leaf_hash(db: Path) -> None:
    conn = sqlite3.connect(db)
    (payload,) = conn.execute("SELECT payload FROM events WHERE seq = 30").fetchone()
    conn.close()
    import hashlib

    forged = bytes(payload).replace(b'"actor":"', b'"actor":"x', 1)
    leaf = hashlib.sha256(b"\x00" + forged).hexdigest()
    attack(
        db, f"UPDATE events SET payload = X'{forged.hex()}', leaf_hash = X'{leaf}' WHERE seq = 30"
    )
    code, out = run("verify", "--db", str(db))
    assert code == 1
    # The leaf hash proves nothing now; the checkpoints do, and they bracket the edit: one
    # signed before event 30 (which still matches) and the first signed after it.
    before = max([0, *(s for s in sizes(db) if s < 30)])
    after = min(s for s in sizes(db) if s >= 30)
    assert f"edited at position {before + 1}" in out
    if before + 1 == after:  # a checkpoint per event: the edit is named to the event
        assert before + 1 == 30 and "event 30 was changed after it was signed" in out
    else:
        assert f"events {before + 1} to {after} were changed after it was signed" in out


def test_deleted_row(db: Path) -> None:
    attack(db, "DELETE FROM events WHERE seq = 50")
    code, out = run("verify", "--db", str(db))
    assert code == 1
    assert "deleted at position 50" in out


def test_swapped_payloads(db: Path) -> None:
    attack(
        db,
        "CREATE TEMP TABLE t AS SELECT seq, payload, leaf_hash FROM events WHERE seq IN (60, 61)",
        "UPDATE events SET payload = (SELECT payload FROM t WHERE seq = 61), "
        "leaf_hash = (SELECT leaf_hash FROM t WHERE seq = 61) WHERE seq = 60",
        "UPDATE events SET payload = (SELECT payload FROM t WHERE seq = 60), "
        "leaf_hash = (SELECT leaf_hash FROM t WHERE seq = 60) WHERE seq = 61",
    )
    code, out = run("verify", "--db", str(db))
    assert code == 1
    assert "reordered at position 60" in out


def test_cut_off_tail(db: Path) -> None:
    attack(db, "DELETE FROM events WHERE seq > 120")
    code, out = run("verify", "--db", str(db))
    assert code == 1
    assert "truncated at position 121" in out


def test_tail_cut_with_its_checkpoints_needs_the_witness(db: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved.note"
    assert sizes(db)[-1] == head(db) > 120  # closing the store signed the last commits
    saved.write_text(note_at(db, head(db)), encoding="utf-8")
    attack(
        db, "DELETE FROM events WHERE seq > 120", "DELETE FROM checkpoints WHERE tree_size > 120"
    )
    code, out = run("verify", "--db", str(db))
    assert code == 0, out  # nothing left in the file shows it
    code, out = run("verify", "--db", str(db), "--checkpoint", str(saved))
    assert code == 1
    assert "truncated at position 121" in out


def test_forged_checkpoint(db: Path) -> None:
    size = sizes(db)[len(sizes(db)) // 2]
    note = note_at(db, size)
    forged = note.replace(f"\n{size}\n", f"\n{size - 1}\n", 1)
    assert forged != note
    attack(db, f"UPDATE checkpoints SET note = '{forged}' WHERE tree_size = {size}")
    code, out = run("verify", "--db", str(db))
    assert code == 1
    assert "bad signature" in out


def _resign(db: Path, tmp_path: Path) -> None:
    """Replace every checkpoint by one of the same tree signed with a new key."""
    first = note_at(db, sizes(db)[0])
    name = Checkpoint.parse(first.split("\n\n")[0] + "\n").origin.rsplit("/", 1)[0]
    generate_keypair(tmp_path / "evil", name)
    evil = load_signer(tmp_path / "evil")
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT tree_size, note FROM checkpoints").fetchall()
    conn.close()
    statements = []
    for size, note in rows:
        body = note.split("\n\n")[0] + "\n"
        new = sign_checkpoint(Checkpoint.parse(body), evil)
        statements.append(f"UPDATE checkpoints SET note = '{new}' WHERE tree_size = {size}")
    attack(db, *statements)


def test_resigned_with_another_key(db: Path, tmp_path: Path) -> None:
    original = tmp_path / "original.vkey"
    shutil.copy(Path(f"{db}.keys") / "ledger_ed25519.vkey", original)
    _resign(db, tmp_path)
    code, out = run("verify", "--db", str(db))
    assert code == 1
    assert "unknown key" in out
    # The attacker also swaps the key directory: the pinned original key still catches it.
    shutil.rmtree(Path(f"{db}.keys"))
    shutil.copytree(tmp_path / "evil", Path(f"{db}.keys"))
    code, out = run("verify", "--db", str(db))
    assert code == 0, out
    code, out = run("verify", "--db", str(db), "--key", str(original))
    assert code == 1
    assert "unknown key" in out


def test_export_bundle_roundtrip_and_tampering(db: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    code, out = run("export", "--db", str(db), str(bundle))
    assert code == 0, out
    assert "SHA256:" in out
    for name in ("events.jsonl", "checkpoints.jsonl", "ledger_ed25519.vkey", "README.txt"):
        assert (bundle / name).exists()
    assert "SHA-256(0x00" in (bundle / "README.txt").read_text(encoding="utf-8")
    vkey = Path(f"{db}.keys") / "ledger_ed25519.vkey"
    code, out = run("verify", str(bundle), "--key", str(vkey))
    assert code == 0, out
    lines = (bundle / "events.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[9])
    row["payload"] = row["payload"].replace('"rust"', '"other"', 1)
    lines[9] = json.dumps(row, ensure_ascii=False)
    (bundle / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run("verify", str(bundle))
    assert code == 1
    assert "edited at position 10" in out


def test_resigned_bundle_is_an_unknown_key(db: Path, tmp_path: Path) -> None:
    original = tmp_path / "original.vkey"
    shutil.copy(Path(f"{db}.keys") / "ledger_ed25519.vkey", original)
    _resign(db, tmp_path)
    shutil.rmtree(Path(f"{db}.keys"))
    shutil.copytree(tmp_path / "evil", Path(f"{db}.keys"))
    bundle = tmp_path / "bundle"
    assert run("export", "--db", str(db), str(bundle))[0] == 0
    assert run("verify", str(bundle))[0] == 0  # consistent with its own (new) key
    code, out = run("verify", str(bundle), "--key", str(original))
    assert code == 1
    assert "unknown key" in out


def test_proof_roundtrip_and_tampered_proof(db: Path, tmp_path: Path) -> None:
    code, out = run("proof", "--db", str(db), "--event", "42")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["seq"] == 42 and doc["tree_size"] == head(db)
    path = tmp_path / "p.json"
    path.write_text(out, encoding="utf-8")
    vkey = str(Path(f"{db}.keys") / "ledger_ed25519.vkey")
    code, out = run("verify-proof", str(path), "--key", vkey)
    assert code == 0, out
    assert "VALID" in out

    bad = dict(doc, proof=[doc["proof"][1], doc["proof"][0], *doc["proof"][2:]])
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, out = run("verify-proof", str(path), "--key", vkey)
    assert code == 1 and "INVALID" in out

    bad = dict(doc, payload=doc["payload"].replace('"seq":42', '"seq":43'))
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, out = run("verify-proof", str(path), "--key", vkey)
    assert code == 1 and "edited" in out

    # A blank line slipped into the signed text: the signature no longer matches it.
    bad = dict(doc, checkpoint=doc["checkpoint"].replace("\n", "\n\n", 1))
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, out = run("verify-proof", str(path), "--key", vkey)
    assert code == 1 and "bad signature" in out

    bad = dict(doc, checkpoint=doc["checkpoint"] + "x")  # no longer ends in a signature line
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, out = run("verify-proof", str(path), "--key", vkey)
    assert code == 1 and "malformed" in out


def test_fresh_file_gets_keys_on_first_write(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    code, out = run("drill", "run", str(DRILL), "--db", str(path))
    assert code == 0 and ", 0 failed" in out, out
    assert (Path(f"{path}.keys") / "ledger_ed25519.vkey").exists()
    assert run("verify", "--db", str(path))[0] == 0


def test_consistency_proof_roundtrip_and_tampered_proof(db: Path, tmp_path: Path) -> None:
    code, out = run("proof", "--db", str(db), "--from-size", "37")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["format"] == "showclear-consistency-proof/1"
    assert doc["old_size"] == 37 and doc["tree_size"] == head(db)
    path = tmp_path / "c.json"
    path.write_text(out, encoding="utf-8")
    vkey = str(Path(f"{db}.keys") / "ledger_ed25519.vkey")
    code, out = run("verify-proof", str(path), "--key", vkey)
    assert code == 0 and "VALID" in out and "extends the tree of 37 events" in out, out

    # A different old root (another history of 37 events) is not consistent.
    bad = dict(doc, old_root="00" * 32)
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, out = run("verify-proof", str(path), "--key", vkey)
    assert code == 1 and "INVALID" in out

    assert run("proof", "--db", str(db), "--from-size", str(head(db) + 1))[0] == 2
    assert run("proof", "--db", str(db))[0] == 2  # neither --event nor --from-size


def test_no_proof_is_given_for_events_that_no_longer_match_their_checkpoint(db: Path) -> None:
    attack(db, "DELETE FROM events WHERE seq > 120")
    code, out = run("proof", "--db", str(db), "--event", "42")
    assert code == 1
    assert "no longer match the checkpoint signed" in out and "showclear verify" in out
    attack(db, "UPDATE events SET payload = replace(payload, 'rust', 'RUST') WHERE seq = 17")
    code, out = run("proof", "--db", str(db), "--from-size", "10")
    assert code == 1 and "no longer match" in out
