"""kill -9 during appends loses no acknowledged event and leaves a readable, gapless store.

A child process issues and takes back a firearm in a loop through Service + SQLiteEventStore and
prints "ACK <seq> <leaf hash>" for every event of a command once `execute` has returned it
accepted. The parent kills it with SIGKILL after a random delay, 20 times on the same file, and
after each kill reopens the store: every acknowledged seq is there with the same payload, the
state rebuilds, and every production's sequence has no gap.

The same runs with the ledger on (`bootstrap.open_node`, as a set node runs): after each kill the
store also verifies (every leaf, every stored checkpoint, an unsigned tail reported as such), and
the next start signs whatever tail the kill left unsigned, after which the whole log is covered.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from domain.conftest import ready_day
from showclear.adapters.keys import KeyDirectory, keys_dir
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.service import Service
from showclear.bootstrap import ledger_for, open_store
from showclear.ledger.canonical import leaf_hash
from showclear.ledger.verifier import verify_log

KILLS = 20
PRODUCTION = "crash"

CHILD = r"""
import sys
from datetime import timedelta

from showclear.domain import parse_command
from showclear.app.service import Service
from showclear.adapters.sqlite.store import SQLiteEventStore

path, production, ledger = sys.argv[1], sys.argv[2], sys.argv[3] == "ledger"
committed = []
if ledger:
    from showclear.bootstrap import open_node

    node = open_node(path, signin=False)

    service = node.service
    service.on_commit = lambda prod, stored: committed.extend(stored)
else:
    store = SQLiteEventStore(path)
    service = Service(store, on_commit=lambda prod, stored: committed.extend(stored))
state = service.state(production)
print("READY", state.version, flush=True)
at = state.now
while True:
    at += timedelta(seconds=1)
    g1 = service.state(production).firearms["g1"]
    if g1.issued_to:
        line = {"type": "return", "firearm": "g1", "from": g1.issued_to}
    else:
        line = {"type": "issue", "firearm": "g1", "to": "lead", "setup": "s1", "shown": True,
                "witnesses": ["lead", "ad"]}
    committed.clear()
    out = service.execute(production, parse_command(line, actor="arm", at=at.isoformat()))
    if out.verdict != "accepted":
        print("REFUSED", out.message, flush=True)
        sys.exit(3)
    for e in committed:
        print("ACK", e.seq, e.leaf_hash.hex(), flush=True)
"""


def prepare(path: Path, ledger: bool) -> int:
    store = open_store(path)
    node = ledger_for(path, store) if ledger else None
    try:
        ready_day(production=PRODUCTION, service=Service(store, ledger=node))
        # a second production in the same file: sequences are per production
        ready_day(production="other", service=Service(store, ledger=node))
        return store.head(PRODUCTION)
    finally:
        if node is not None:
            node.close()
        store.close()


def run_and_kill(path: Path, delay: float, ledger: bool) -> list[str]:
    """Start the child, wait until it is appending, SIGKILL it after `delay`; its stdout lines."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), PRODUCTION, "ledger" if ledger else "plain"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("READY"):
                ready.set()
        ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert ready.wait(30), "child never became ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL, f"child ended on its own: {lines[-3:]} {stderr}"
    assert lines and lines[0].startswith("READY"), stderr
    return lines


def acks(lines: list[str]) -> dict[int, str]:
    found: dict[int, str] = {}
    for line in lines:
        if line.endswith("\n") and line.startswith("ACK "):
            _, seq, digest = line.split()
            found[int(seq)] = digest
    return found


def check_store(path: Path, acknowledged: dict[int, str]) -> int:
    store = SQLiteEventStore(path)
    try:
        events = list(store.read(PRODUCTION))
        seqs = [e.seq for e in events]
        assert seqs == list(range(1, len(events) + 1))
        by_seq = {e.seq: e for e in events}
        for seq, digest in acknowledged.items():
            assert seq in by_seq, f"acknowledged seq {seq} lost"
            assert by_seq[seq].leaf_hash.hex() == digest, f"seq {seq} changed"
        for e in events:
            assert leaf_hash(e.payload) == e.leaf_hash
        # read_all: global order, and every production gapless from 1
        per_production: dict[str, list[int]] = defaultdict(list)
        positions = []
        for e in store.read_all():
            per_production[e.production].append(e.seq)
            positions.append(e.position)
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        for production, pseqs in per_production.items():
            assert pseqs == list(range(1, len(pseqs) + 1)), production
        assert sorted(per_production) == sorted(store.productions())
        state = Service(store).state(PRODUCTION)
        assert state.version == store.head(PRODUCTION) == len(events)
        g1 = state.firearms["g1"]
        assert g1.issued_to in (None, "lead")
        return len(events)
    finally:
        store.close()


def check_ledger(path: Path) -> None:
    """The killed store verifies; the next start signs its tail; then every event is covered."""
    trusted = KeyDirectory(keys_dir(path)).verifier()

    def verify(store: SQLiteEventStore) -> tuple[int, int]:
        checkpoints = store.checkpoints(PRODUCTION)
        report = verify_log(
            store.read_leaves(PRODUCTION),
            [c.note for c in checkpoints],
            trusted,
            production=PRODUCTION,
        )
        assert report.ok, report.message
        return report.tree_size, checkpoints[-1].tree_size

    with SQLiteEventStore(path) as store:
        size, signed = verify(store)
        if signed < size:
            assert (
                f"events {signed + 1} to {size} are not yet covered"
                in verify_log(
                    store.read_leaves(PRODUCTION),
                    [c.note for c in store.checkpoints(PRODUCTION)],
                    trusted,
                ).message
            )
    store = open_store(path)
    node = ledger_for(path, store)  # the next start
    try:
        size, signed = verify(store)  # type: ignore[arg-type]
        assert signed == size
    finally:
        node.close()
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("ledger", [False, True], ids=["plain", "ledger"])
def test_sigkill_during_appends_loses_no_acknowledged_event(tmp_path: Path, ledger: bool) -> None:
    path = tmp_path / "crash.db"
    head = prepare(path, ledger)
    rng = random.Random(int(os.environ.get("SHOWCLEAR_CRASH_SEED", "20240304")))
    acknowledged: dict[int, str] = {}
    grew = 0
    for kill in range(KILLS):
        lines = run_and_kill(path, rng.uniform(0.05, 0.6), ledger)
        refused = [line for line in lines if line.startswith("REFUSED")]
        assert refused == [], refused
        new = acks(lines)
        assert not (set(new) & set(acknowledged)), "a seq was acknowledged twice"
        acknowledged.update(new)
        size = check_store(path, acknowledged)
        if ledger:
            check_ledger(path)
        assert size >= head + len(acknowledged), f"kill {kill}"
        grew += bool(new)
    assert grew >= KILLS // 2, "the child rarely got to append before it was killed"
