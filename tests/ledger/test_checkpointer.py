"""The checkpointer signs after the commit, off the writer's thread, on real SQLite files.

What it must keep: every commit ends up covered by a stored, verifying checkpoint (at once
after a quiet spell, per group in a burst); flush and close wait for that; a failure to sign is
reported, never swallowed, and loses no event; a crash before the signature is healed on the
next start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.conftest import ready_day
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.checkpointer import Checkpointer, CheckpointerError
from showclear.app.ledger import LedgerNode
from showclear.bootstrap import ledger_for, open_node, open_store
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import open_checkpoint
from showclear.ports import LedgerBackend, NewEvent, StoreClosedError

PRODUCTION = "cp"


def _event(i: int) -> NewEvent:
    return NewEvent("note_added", "arm", f"2021-10-21T06:{i // 60 % 60:02d}:{i % 60:02d}", {"i": i})


def _append(store: SQLiteEventStore, n: int) -> int:
    head = store.head(PRODUCTION)
    stored = store.append(PRODUCTION, head, [_event(head + k) for k in range(n)])
    return stored[-1].seq


def _sizes(store: SQLiteEventStore) -> list[int]:
    return [c.tree_size for c in store.checkpoints(PRODUCTION)]


def _wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


@pytest.fixture
def node(tmp_path: Path) -> LedgerNode:
    path = tmp_path / "set.db"
    return ledger_for(path, open_store(path))


def _checkpointer(
    node: LedgerNode, sign_head: Callable[..., object], window: float
) -> Checkpointer:
    path = Path(node.store.path)  # type: ignore[attr-defined]
    return Checkpointer(path.name, sign_head, lambda: open_store(path), window=window)


def _close(node: LedgerNode) -> None:
    """What closing a node does: sign what is left, then close the store."""
    try:
        node.close()
    finally:
        node.store.close()


def test_a_commit_after_a_quiet_spell_is_signed_at_once_and_verifies(node: LedgerNode) -> None:
    store = node.store
    head = _append(store, 3)
    node.committed(PRODUCTION, head)
    # No flush: the thread signs on its own, without waiting for a window to pass.
    assert _wait_for(lambda: _sizes(store) == [3])
    latest = store.latest_checkpoint(PRODUCTION)
    assert latest is not None
    body, names = open_checkpoint(latest.note, node.verifier)
    assert names == [node.origin]
    leaves = [leaf for _, leaf, _ in store.read_leaf_hashes(PRODUCTION)]
    assert body.size == 3 and body.root_hash == MerkleTree(leaves).root() == latest.root_hash
    assert body.extensions == ("time 2021-10-21T06:00:02",)
    store.close()


def test_commits_inside_the_window_share_one_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "set.db"
    store = open_store(path)
    node = ledger_for(path, store)
    # An hour-long window, so the test does not depend on how fast this machine is.
    node._checkpointer = _checkpointer(node, node.sign_head, window=3600)
    node.committed(PRODUCTION, _append(store, 1))
    assert _wait_for(lambda: _sizes(store) == [1])
    for _ in range(4):
        node.committed(PRODUCTION, _append(store, 1))
    time.sleep(0.3)
    assert _sizes(store) == [1], "commits inside the window were signed one by one"
    node.flush()  # cuts the window short
    assert _sizes(store) == [1, 5]
    _close(node)


def test_closing_the_store_signs_the_last_commits(tmp_path: Path) -> None:
    path = tmp_path / "set.db"
    node = open_node(path, signin=False)
    service = node.service
    assert service.store is not None and service.ledger is not None
    ledger = service.ledger
    ledger._checkpointer = _checkpointer(ledger, ledger.sign_head, window=3600)  # type: ignore[arg-type]
    ready_day(production=PRODUCTION, service=service)
    head = service.store.head(PRODUCTION)
    node.close()
    with SQLiteEventStore(path) as store:
        latest = store.latest_checkpoint(PRODUCTION)
        assert latest is not None and latest.tree_size == head > 5


def test_a_failed_signature_is_reported_and_loses_nothing(node: LedgerNode) -> None:
    store = node.store
    broken = threading.Event()
    broken.set()
    sign_head = node.sign_head

    def flaky(s: LedgerBackend, production: str) -> object:
        if broken.is_set():
            raise OSError("disk full")
        return sign_head(s, production)

    node._checkpointer = _checkpointer(node, flaky, window=0)
    head = _append(store, 2)
    node.committed(PRODUCTION, head)
    with pytest.raises(CheckpointerError, match="disk full"):
        node.flush()
    assert store.head(PRODUCTION) == head and _sizes(store) == []
    broken.clear()
    node.flush()  # the thread tried again and signed the same heads
    assert _sizes(store) == [head]
    _close(node)


def test_flush_gives_up_after_its_timeout(node: LedgerNode) -> None:
    gate = threading.Event()

    def slow(s: LedgerBackend, production: str) -> object:
        gate.wait(10)
        return None

    node._checkpointer = _checkpointer(node, slow, window=0)
    node.committed(PRODUCTION, _append(node.store, 1))
    with pytest.raises(CheckpointerError, match=r"within 0\.2 s"):
        node.flush(timeout=0.2)
    gate.set()
    _close(node)


def test_a_tail_left_unsigned_by_a_crash_is_signed_on_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "set.db"
    node = open_node(path, signin=False)
    service = node.service
    assert service.store is not None
    ready_day(production=PRODUCTION, service=service)
    node.close()
    # What a kill between COMMIT and the signature leaves: events past the newest checkpoint.
    with SQLiteEventStore(path) as store:
        signed = store.head(PRODUCTION)
        head = _append(store, 4)
        assert _sizes(store)[-1] == signed < head
    node = ledger_for(path, open_store(path))  # the next start
    try:
        assert _sizes(node.store)[-1] == head
        assert node.sign_unsigned() == []  # nothing left to sign
    finally:
        _close(node)


def test_a_closed_checkpointer_refuses_new_commits(node: LedgerNode) -> None:
    node.committed(PRODUCTION, _append(node.store, 1))
    node.close()
    with pytest.raises(CheckpointerError, match="closed"):
        node.committed(PRODUCTION, 2)
    _close(node)


def test_two_writers_on_one_file_in_one_process_queue_on_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "set.db"
    SQLiteEventStore(path).close()
    errors: list[BaseException] = []

    def write(production: str) -> None:
        try:
            with SQLiteEventStore(path) as store:  # a store belongs to its thread
                for i in range(100):
                    store.append(production, i, [_event(i)])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(p,)) for p in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with SQLiteEventStore(path) as store:
        for production in ("a", "b", "c"):
            assert [e.seq for e in store.read(production)] == list(range(1, 101))
        positions = [e.position for e in store.read_all()]
        assert positions == list(range(1, 301))


def test_closing_the_node_reports_a_signature_it_could_not_make_and_still_closes(
    tmp_path: Path,
) -> None:
    def broken(s: LedgerBackend, production: str) -> object:
        raise OSError("disk full")

    path = tmp_path / "set.db"
    node = open_node(path, signin=False)
    ledger, store = node.ledger, node.backend
    assert ledger is not None and store is not None
    ledger._checkpointer = _checkpointer(ledger, broken, window=0)
    head = _append(store, 2)  # type: ignore[arg-type]
    ledger.committed(PRODUCTION, head)
    with pytest.raises(CheckpointerError, match="disk full"):
        node.close()
    with pytest.raises(StoreClosedError):  # the store closed all the same
        store.head(PRODUCTION)
    again = ledger_for(path, open_store(path))  # the next start signs what is stored
    try:
        assert _sizes(again.store) == [head]  # type: ignore[arg-type]
    finally:
        _close(again)
