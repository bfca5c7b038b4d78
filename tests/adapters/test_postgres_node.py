"""A full node on PostgreSQL (`bootstrap.open_node("postgresql://...")`): the application, the
ledger's checkpointer and sign-in on one database, its keys where `bootstrap.keys_for` says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg import PostgresServer, database_for, database_name, store_url
from showclear.app.drills import DrillRun
from showclear.bootstrap import KEYS_ENV, KeyLocationError, keys_for, open_audit, open_node
from showclear.ledger.note import open_note
from showclear.ledger.verifier import verify_log

DRILL = Path(__file__).resolve().parents[2] / "drills" / "rust-day.jsonl"


@pytest.fixture
def url(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[str]:
    where = tmp_path / "studio"
    yield store_url(database_for(where))
    postgres_server.drop_database(database_name(where))


def test_keys_for_decides_in_one_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, str(tmp_path / "from-env"))
    # A set node: beside its file, and never the studio's folder from the environment.
    assert keys_for(tmp_path / "set.db").folder == tmp_path / "set.db.keys"
    assert keys_for(f"sqlite://{tmp_path}/set.db").folder == tmp_path / "set.db.keys"
    # On PostgreSQL: --keys first, then the environment.
    pg = "postgresql://studio@db.example/showclear"
    assert keys_for(pg, tmp_path / "given").folder == tmp_path / "given"
    assert keys_for(pg).folder == tmp_path / "from-env"
    assert keys_for(tmp_path / "set.db", tmp_path / "given").folder == tmp_path / "given"
    monkeypatch.delenv(KEYS_ENV)
    with pytest.raises(KeyLocationError, match=f"--keys DIR or set {KEYS_ENV}=DIR"):
        keys_for(pg)


def test_a_node_on_postgresql_without_a_key_folder_is_refused_before_it_opens(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    with pytest.raises(KeyLocationError):
        open_node(url)
    # A node that signs nothing needs no keys.
    with open_node(url, ledger=False, signin=False) as node:
        assert node.app.productions() == []


def test_a_drill_on_postgresql_answers_as_on_sqlite_and_is_signed(tmp_path: Path, url: str) -> None:
    lines = DRILL.read_text(encoding="utf-8").splitlines()
    with open_node(tmp_path / "set.db", signin=False) as node:
        on_sqlite = [r.as_json() for r in DrillRun(node.app).run(lines)]
    keys = tmp_path / "studio.keys"
    with open_node(url, threaded=True, signin=False, keys=keys) as node:
        on_pg = [r.as_json() for r in DrillRun(node.app).run(lines)]
        assert node.ledger is not None
        verifier = node.ledger.verifier
        production = node.app.productions()[0][0]
    assert on_pg == on_sqlite and len(on_pg) > 20
    assert (keys / "ledger_ed25519.pem").stat().st_mode & 0o077 == 0
    # Closing the node signed every event with the key in that folder, and the log verifies.
    audit = open_audit(url, keys=keys)
    try:
        latest = audit.backend.latest_checkpoint(production)
        head = audit.backend.head(production)
        assert latest is not None and latest.tree_size == head > 20
        assert open_note(latest.note, [verifier])[1] == [verifier.name]
        notes = [c.note for c in audit.backend.checkpoints(production)]
        report = verify_log(audit.backend.read_leaves(production), notes, verifier)
        assert report.ok and report.tree_size == head, report
    finally:
        audit.close()


def test_sign_in_and_pins_live_in_the_database(tmp_path: Path, url: str) -> None:
    keys = tmp_path / "studio.keys"
    with open_node(url, keys=keys) as node:
        for line in DRILL.read_text(encoding="utf-8").splitlines()[:2]:
            node.app.replay("rust", json.loads(line))
        assert node.auth is not None
        node.auth.set_pin("rust", "prod", "1234", set_by="cli")
    # Another node on the same database (a restart, or a second server process) sees the PIN
    # and the session made by the first.
    with open_node(url, keys=keys) as node:
        assert node.auth is not None
        assert node.auth.check_pin("rust", "prod", "1234", "sign-in").ok
        token, session = node.auth.create_session("rust", "prod")
    with open_node(url, keys=keys) as node:
        assert node.auth is not None
        assert node.auth.session(token) == session
        types = [e.type for e in node.app.read(lambda s: list(s.read("rust")))]
        assert "pin_set" in types
