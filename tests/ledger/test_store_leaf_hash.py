"""The leaf-hash check on its own, on a real SQLite store and on an exported bundle.

Only the bytes of one event's data are changed: its seq, its production, the seq column and
its stored leaf hash are left as they were, and the stored hashes still fold to every signed
root. Nothing but recomputing the leaf from the stored bytes can notice (verifier rule 1).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from showclear.cli import app

DRILL = Path(__file__).resolve().parents[2] / "drills" / "rust-day.jsonl"
SEQ = 9  # person_added: {"name":"1st assistant camera","person":"ac1",...}
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("leaf") / "set.db"
    assert run("init", "--db", path)[0] == 0
    code, out = run("drill", "run", DRILL, "--db", path)
    assert code == 0 and ", 0 failed" in out, out
    return path


def edit_data_only(payload: bytes) -> bytes:
    """The same envelope, one character of its data changed: same seq, production, length."""
    edited = payload.replace(b'"1st assistant camera"', b'"1st assistant camerA"')
    assert edited != payload and len(edited) == len(payload)
    before, after = json.loads(payload), json.loads(edited)
    assert (after["seq"], after["production"]) == (before["seq"], before["production"])
    return edited


def test_store_payload_edited_in_place_is_caught_by_the_leaf_hash_alone(
    pristine: Path, tmp_path: Path
) -> None:
    db = tmp_path / "set.db"
    source = sqlite3.connect(pristine)
    target = sqlite3.connect(db)
    source.backup(target)
    source.close()
    (payload,) = target.execute("SELECT payload FROM events WHERE seq = ?", (SEQ,)).fetchone()
    target.execute("DROP TRIGGER events_append_only_update")
    target.execute("UPDATE events SET payload = ? WHERE seq = ?", (edit_data_only(payload), SEQ))
    target.commit()
    target.close()
    shutil.copytree(Path(f"{pristine}.keys"), Path(f"{db}.keys"))
    code, out = run("verify", "--db", db, "--json")
    report = json.loads(out.splitlines()[-1])
    assert code == 1
    assert (report["problem"], report["first_bad_position"]) == ("edited", SEQ)
    assert report["message"] == (
        f"event {SEQ} was changed: its bytes no longer match its stored hash"
    )


def test_bundle_payload_edited_in_place_is_caught_by_the_leaf_hash_alone(
    pristine: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    assert run("export", "--db", pristine, bundle)[0] == 0
    events = bundle / "events.jsonl"
    lines = events.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[SEQ - 1])
    row["payload"] = edit_data_only(row["payload"].encode("utf-8")).decode("utf-8")
    lines[SEQ - 1] = json.dumps(row, ensure_ascii=False)
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run("verify", bundle, "--json")
    report = json.loads(out.splitlines()[-1])
    assert code == 1
    assert (report["problem"], report["first_bad_position"]) == ("edited", SEQ)
    assert "its bytes no longer match its stored hash" in report["message"]
