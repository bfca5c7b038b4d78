"""`showclear verify --db` on a store long enough to be checked on two cores (a real SQLite file,
the CLI in its own process): intact, and with an edit hidden by a recomputed leaf hash in the
half the forked process reads, it reports exactly what one process reports.

The same command run in this process, with two workers forced even on a one-CPU runner, shows
which path ran: the intact store is checked in two processes and never by `verify_log` alone;
the edited one is checked in two, then named by one process.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.bench.verify import PRODUCTION, build_store
from showclear.cli import app
from showclear.cli.ledger import report_json
from showclear.ledger import parallel
from showclear.ledger.verifier import verify_log

SHOWCLEAR = str(Path(sys.executable).parent / "showclear")
EVENTS = parallel.PARALLEL_ABOVE + 4_000
EDITED = EVENTS - 1_000


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Fork the second worker whatever the CPU count (and pytest's threads); count each path."""
    calls = {"forked": 0, "one_process": 0}
    fork, one = parallel._fork, parallel.verify_log

    def counted_fork(work: Any) -> Any:
        calls["forked"] += 1
        return fork(work)

    def counted_one(*args: Any, **kwargs: Any) -> Any:
        calls["one_process"] += 1
        return one(*args, **kwargs)

    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    monkeypatch.setattr(parallel, "_fork", counted_fork)
    monkeypatch.setattr(parallel, "verify_log", counted_one)
    return calls


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("two-cores") / "long.db"
    build_store(path, EVENTS).store.close()
    return path


def cli_verify(path: Path) -> tuple[int, dict[str, object]]:
    r = subprocess.run(
        [SHOWCLEAR, "verify", "--db", str(path), "--json"], capture_output=True, text=True
    )
    return r.returncode, json.loads(r.stdout.splitlines()[-1])


def verify_here(path: Path) -> tuple[int, dict[str, object]]:
    r = CliRunner().invoke(app, ["verify", "--db", str(path), "--json"])
    return r.exit_code, json.loads(r.output.splitlines()[-1])


def one_process(path: Path) -> dict[str, object]:
    from showclear.bootstrap import ledger_for

    st = SQLiteEventStore(path)
    try:
        node = ledger_for(path, st)
        report = verify_log(
            st.read_leaves(PRODUCTION),
            [c.note for c in st.checkpoints(PRODUCTION)],
            node.verifier,
            origin=node.origin_for(PRODUCTION),
            production=PRODUCTION,
        )
    finally:
        st.close()
    return report_json(PRODUCTION, report)


def test_intact_long_store(store: Path) -> None:
    code, report = cli_verify(store)
    assert code == 0 and report["ok"] is True
    assert report["tree_size"] == EVENTS
    assert report == one_process(store)


def test_intact_long_store_is_checked_in_two_processes(
    store: Path, two_workers: dict[str, int]
) -> None:
    code, report = verify_here(store)
    assert code == 0 and report["ok"] is True and report["tree_size"] == EVENTS
    assert two_workers == {"forked": 1, "one_process": 0}
    assert report == one_process(store)


def test_hidden_edit_in_the_second_half(store: Path, tmp_path: Path) -> None:
    path = edited_copy(store, tmp_path)
    code, report = cli_verify(path)
    assert code == 1 and report["ok"] is False and report["problem"] == "edited"
    assert report == one_process(path)


def test_hidden_edit_is_found_by_the_second_process_then_named_by_one(
    store: Path, tmp_path: Path, two_workers: dict[str, int]
) -> None:
    path = edited_copy(store, tmp_path)
    code, report = verify_here(path)
    assert code == 1 and report["problem"] == "edited"
    assert EDITED > EVENTS // 2 // parallel._CHUNK * parallel._CHUNK  # the forked half
    assert two_workers == {"forked": 1, "one_process": 1}
    assert report == one_process(path)


def edited_copy(store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "edited.db"
    src = sqlite3.connect(store)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    shutil.copytree(Path(f"{store}.keys"), Path(f"{path}.keys"))  # keeps the 0600 key
    seq = EDITED
    (payload,) = dst.execute(
        "SELECT payload FROM events WHERE production = ? AND seq = ?", (PRODUCTION, seq)
    ).fetchone()
    forged = payload.replace(b'"person', b'"persoN', 1)
    assert forged != payload
    dst.execute("DROP TRIGGER events_append_only_update")
    dst.execute(
        "UPDATE events SET payload = ?, leaf_hash = ? WHERE production = ? AND seq = ?",
        (forged, hashlib.sha256(b"\x00" + forged).digest(), PRODUCTION, seq),
    )
    dst.commit()
    dst.close()
    return path
