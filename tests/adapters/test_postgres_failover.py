"""Replication and failover on real servers: a primary with a synchronous streaming standby.

An append is acknowledged only once the standby has it on disk; with ``remote_apply`` a read on
the standby sees it at once. A commit cut off while it waits for the standby is reported as an
unknown outcome and `resolve_append` tells what became of it. A writer appending through a
multi-host connection string keeps going when the primary is crashed mid-stream and the
standby promoted, and afterwards every acknowledged event is there, once, with no gap.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import pytest
from contract import AT

from pg import ReplicatedPair, create_database
from showclear.adapters.postgres import (
    AppendOutcomeUnknownError,
    PostgresEventStore,
    StoreUnavailableError,
)
from showclear.ledger.canonical import canonical_bytes, decode, envelope
from showclear.ports import NewEvent, StoredEvent

PRODUCTION = "failover"
# How long a step that only waits on the servers may take before the test gives up.
PATIENCE_S = 60


def _event(i: int) -> NewEvent:
    return NewEvent("note_added", "armorer:ana", AT, {"command_id": f"cmd-{i}", "i": i})


def _wait_for(what: str, check: object, timeout_s: float = PATIENCE_S) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout_s:g} s")
        time.sleep(0.02)


@contextmanager
def standby_stalled(pair: ReplicatedPair) -> Iterator[None]:
    """The standby's WAL receiver stopped (SIGSTOP): it neither receives nor flushes."""
    rows = pair.standby.sql("SELECT pid FROM pg_stat_wal_receiver")
    assert rows, "the standby has no WAL receiver"
    pid = int(str(rows[0][0]))
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _waiting_for_standby(pair: ReplicatedPair) -> bool:
    rows = pair.primary.sql(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE application_name = 'showclear' AND wait_event = 'SyncRep'"
    )
    return rows == [(1,)]


# -- one pair for the tests that leave the primary running ------------------------------------


@pytest.fixture(scope="module")
def pair() -> Iterator[ReplicatedPair]:
    pair = ReplicatedPair.start_new()
    yield pair
    pair.stop()


def test_remote_apply_makes_every_acknowledged_append_visible_on_the_standby(
    pair: ReplicatedPair,
) -> None:
    conninfo = create_database(pair.primary.conninfo(), "remote_apply")
    on_standby = conninfo.replace(str(pair.primary.root), str(pair.standby.root))
    with PostgresEventStore(conninfo, synchronous_commit="remote_apply") as store:
        settings = store.durability()
        assert settings["synchronous_commit"] == "remote_apply"
        assert settings["synchronous_standby_names"] == "FIRST 1 (standby_a)"
        with psycopg.connect(on_standby, autocommit=True) as standby:
            assert standby.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            for i in range(20):
                stored = store.append(PRODUCTION, i, [_event(i)])
                # No waiting, no retry: the standby replayed the commit before it was acknowledged.
                row = standby.execute(
                    "SELECT payload FROM events WHERE production = %s AND seq = %s",
                    (PRODUCTION, i + 1),
                ).fetchone()
                assert row is not None and bytes(row[0]) == stored[0].payload


def test_a_commit_waits_for_the_standby_and_a_cut_off_commit_is_resolved(
    pair: ReplicatedPair,
) -> None:
    conninfo = create_database(pair.primary.conninfo(), "cut_off")
    store = PostgresEventStore(conninfo)
    store.append(PRODUCTION, 0, [_event(0)])
    outcome: list[BaseException | list[StoredEvent]] = []
    try:
        with standby_stalled(pair):
            append = lambda: store.append(PRODUCTION, 1, [_event(1)])  # noqa: E731
            writer = threading.Thread(target=lambda: outcome.append(_try(append)))
            writer.start()
            # The commit is written on the primary, but it is not acknowledged: it waits for
            # the standby to flush it, for as long as the standby is stalled.
            _wait_for("the commit to wait for the standby", lambda: _waiting_for_standby(pair))
            assert outcome == [] and writer.is_alive()
            # Cut it off there: the client cannot know whether it committed.
            pair.primary.sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'showclear' AND wait_event = 'SyncRep'"
            )
            writer.join(PATIENCE_S)
        assert len(outcome) == 1
        unknown = outcome[0]
        assert isinstance(unknown, AppendOutcomeUnknownError), unknown
        assert "may or may not be stored" in str(unknown) and "resolve_append" in str(unknown)
        assert (unknown.production, unknown.expected_seq) == (PRODUCTION, 1)
        # It committed on the primary (the wait for the standby came after the local commit).
        resolved = store.resolve_append(unknown)
        assert resolved is not None and [e.seq for e in resolved] == [2]
        assert decode(resolved[0].payload)["data"]["command_id"] == "cmd-1"
        # A later append goes on from there; resolving again gives the same answer.
        assert [e.seq for e in store.append(PRODUCTION, 2, [_event(2)])] == [3]
        assert store.resolve_append(unknown) == resolved
    finally:
        store.close()


def test_resolve_append_tells_absent_from_taken(pair: ReplicatedPair) -> None:
    conninfo = create_database(pair.primary.conninfo(), "resolve")
    with PostgresEventStore(conninfo) as store:
        store.append(PRODUCTION, 0, [_event(0)])
        ours = [_payload(1, _event(1)), _payload(2, _event(2))]
        absent = AppendOutcomeUnknownError("cut off", PRODUCTION, 1, ours)
        assert store.resolve_append(absent) is None  # nothing after seq 1: append it again
        # Another writer's events hold those sequence numbers: ours is not stored.
        store.append(PRODUCTION, 1, [_event(7), _event(8)])
        with pytest.raises(Exception, match="expected head 1") as raised:
            store.resolve_append(absent)
        assert type(raised.value).__name__ == "ConcurrencyError"
        taken = AppendOutcomeUnknownError("cut off", PRODUCTION, 1, [_payload(2, _event(7))])
        assert [e.seq for e in store.resolve_append(taken) or []] == [2]


def _payload(seq: int, ev: NewEvent) -> bytes:
    return canonical_bytes(envelope(PRODUCTION, seq, ev.type, ev.version, ev.actor, ev.at, ev.data))


def _try(call: object) -> BaseException | list[StoredEvent]:
    assert callable(call)
    try:
        result: list[StoredEvent] = call()
    except BaseException as e:
        return e
    return result


# -- failover -----------------------------------------------------------------------------------


@dataclass
class Writer:
    """Appends one event at a time, as fast as acknowledgements come, until told to stop."""

    conninfo: str
    acked: list[tuple[int, str]] = field(default_factory=list)  # (seq, command ID)
    unknown: list[tuple[str, bool]] = field(default_factory=list)  # (command ID, was stored)
    retries: int = 0  # calls that found no primary (nothing stored), made again
    error: BaseException | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:
            self.error = e

    def _run(self) -> None:
        store = PostgresEventStore(self.conninfo)
        try:
            head, i = 0, 0
            while not self.stop.is_set():
                event = _event(i)
                cid = str(event.data["command_id"])
                try:
                    stored = store.append(PRODUCTION, head, [event])
                except AppendOutcomeUnknownError as unknown:
                    resolved = self._resolve(store, unknown)
                    self.unknown.append((cid, resolved is not None))
                    if resolved is None:
                        continue  # not stored: the same event again, after the same head
                    stored = resolved
                except StoreUnavailableError:
                    self.retries += 1  # nothing stored; no primary yet, or a new connection
                    time.sleep(0.02)
                    continue
                head = stored[-1].seq
                self.acked.append((head, cid))
                i += 1
        finally:
            store.close()

    def _resolve(
        self, store: PostgresEventStore, unknown: AppendOutcomeUnknownError
    ) -> list[StoredEvent] | None:
        deadline = time.monotonic() + PATIENCE_S
        while True:
            try:
                return store.resolve_append(unknown)
            except StoreUnavailableError:
                self.retries += 1
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


def test_primary_crashed_mid_stream_standby_promoted_nothing_acknowledged_is_lost() -> None:
    pair = ReplicatedPair.start_new()
    try:
        pair.primary.create_database("studio")
        writer = Writer(pair.conninfo("studio"))
        thread = threading.Thread(target=writer.run)
        thread.start()
        try:
            _wait_for("30 acknowledged appends", lambda: len(writer.acked) >= 30 or writer.error)
            with standby_stalled(pair):
                # The writer's next commit is on the primary's disk but not the standby's: it
                # waits, unacknowledged. The primary dies right there.
                _wait_for("a commit waiting for the standby", lambda: _waiting_for_standby(pair))
                before_crash = len(writer.acked)
                pair.primary.crash()
            pair.standby.promote()
            _wait_for(
                "30 more acknowledged appends after the promotion",
                lambda: len(writer.acked) >= before_crash + 30 or writer.error,
            )
        finally:
            writer.stop.set()
            thread.join(PATIENCE_S)
        assert writer.error is None, repr(writer.error)
        # The append cut off by the crash was reported as unknown, then resolved.
        assert len(writer.unknown) == 1 and writer.unknown[0][0] == f"cmd-{before_crash}"

        with PostgresEventStore(pair.conninfo("studio")) as store:
            assert store.durability()["synchronous_standby_names"] == ""  # the promoted standby
            events = list(store.read(PRODUCTION))
        command_ids = [str(decode(e.payload)["data"]["command_id"]) for e in events]
        assert [e.seq for e in events] == list(range(1, len(events) + 1))  # no gap
        assert len(set(command_ids)) == len(command_ids)  # no event twice
        # Every acknowledged event is there, at the sequence number acknowledged; nothing is
        # there that was not acknowledged (the cut-off one counts once it was resolved).
        assert [(e.seq, cid) for e, cid in zip(events, command_ids, strict=True)] == writer.acked
        assert command_ids == [f"cmd-{i}" for i in range(len(events))]
    finally:
        pair.stop()
