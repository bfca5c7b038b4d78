"""`showclear verify --db` on a store long enough to be checked on two cores (a real SQLite file,
the CLI in its own process): intact, and with an edit hidden by a recomputed leaf hash in the
half the forked process reads, it reports exactly what one process reports."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.bench.verify import PRODUCTION, build_store
from showclear.cli.ledger import report_json
from showclear.ledger import parallel
from showclear.ledger.verifier import verify_log

SHOWCLEAR = str(Path(sys.executable).parent / "showclear")
EVENTS = parallel.PARALLEL_ABOVE + 4_000


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


def test_hidden_edit_in_the_second_half(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "edited.db"
    src = sqlite3.connect(store)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    shutil.copytree(Path(f"{store}.keys"), Path(f"{path}.keys"))  # keeps the 0600 key
    seq = EVENTS - 1_000
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
    code, report = cli_verify(path)
    assert code == 1 and report["ok"] is False and report["problem"] == "edited"
    assert report == one_process(path)
