"""SC-C10 across processes: of two tablets issuing the same firearm at once, exactly one succeeds.

Two OS processes (multiprocessing, spawn) each open their own Service(SQLiteEventStore(file)) on
the same prepared production. In every round both catch up with the store, meet at a barrier and
issue firearm g1 at the same moment, to two different performers who are both valid for setup
s2. The store lets one append through; the other gets ConcurrencyError, re-reads, re-decides
and is refused citing SC-C10. Then one process takes g1 back for the next round.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.conftest import ready_day
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.projection import event_from_payload
from showclear.app.service import Service
from showclear.domain import parse_command
from showclear.ports import ConcurrencyError, NewEvent, StoredEvent

ROUNDS = 25
PRODUCTION = "race"
PERFORMERS = ("lead", "lead2")
TIMEOUT = 60


class CountingStore(SQLiteEventStore):
    """Counts the appends another writer beat."""

    conflicts = 0

    def append(  # type: ignore[override]
        self, production: str, expected_seq: int, events: Any, **kw: Any
    ) -> list[StoredEvent]:
        try:
            return super().append(production, expected_seq, events, **kw)
        except ConcurrencyError:
            self.conflicts += 1
            raise


def issue_line(at: datetime, to: str) -> dict[str, Any]:
    return {"type": "issue", "actor": "arm", "at": at.isoformat(), "firearm": "g1", "to": to,
            "setup": "s2", "shown": True, "witnesses": [to, "ad"]}  # fmt: skip


def tablet(
    path: str, me: int, start: str, barrier: Any, results: Any, rounds: int = ROUNDS
) -> None:
    """One tablet: its own store connection and its own Service (runs in a child process)."""
    store = CountingStore(path)
    service = Service(store)
    t0 = datetime.fromisoformat(start)
    try:
        for r in range(rounds):
            at = t0 + timedelta(minutes=2 * r)
            service.refresh(PRODUCTION)
            barrier.wait(TIMEOUT)
            try:
                out = service.execute(PRODUCTION, parse_command(issue_line(at, PERFORMERS[me])))
                results.put((r, me, out.verdict, list(out.rules)))
            except Exception as exc:  # reported, not swallowed: the parent fails the test
                results.put((r, me, "error", [repr(exc)]))
            barrier.wait(TIMEOUT)
            if me == 0:  # take g1 back for the next round
                holder = service.refresh(PRODUCTION).firearms["g1"].issued_to
                if holder is not None:
                    back = {"type": "return", "actor": "arm", "firearm": "g1", "from": holder,
                            "at": (at + timedelta(minutes=1)).isoformat()}  # fmt: skip
                    out = service.execute(PRODUCTION, parse_command(back))
                    if out.verdict != "accepted":
                        results.put((r, me, "error", [f"return refused: {out.message}"]))
            barrier.wait(TIMEOUT)
        results.put(("conflicts", me, store.conflicts, []))
    finally:
        store.close()


def prepare(path: Path) -> tuple[int, datetime]:
    store = SQLiteEventStore(path)
    try:
        d = ready_day(production=PRODUCTION, service=Service(store))
        out = d.plan("s2", ["g1"], list(PERFORMERS))
        assert out.verdict == "accepted", out.message
        return store.head(PRODUCTION), d.clock
    finally:
        store.close()


@pytest.mark.slow
def test_two_processes_issue_the_same_firearm_exactly_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    head, start = prepare(path)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=tablet, args=(str(path), me, start.isoformat(), barrier, results))
        for me in (0, 1)
    ]
    for p in procs:
        p.start()
    collected: list[tuple[Any, int, Any, list[str]]] = []
    try:
        while len(collected) < 2 * ROUNDS + 2:
            collected.append(results.get(timeout=TIMEOUT))
    except queue.Empty:
        pytest.fail(f"tablets stopped answering after {len(collected)} results: {collected[-4:]}")
    finally:
        for p in procs:
            p.join(TIMEOUT)
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in procs] == [0, 0]

    errors = [c for c in collected if c[2] == "error"]
    assert errors == []
    per_round: dict[int, list[tuple[str, list[str]]]] = {}
    conflicts = 0
    for r, _me, verdict, rules in collected:
        if r == "conflicts":
            conflicts += verdict
            continue
        per_round.setdefault(r, []).append((verdict, rules))
    assert sorted(per_round) == list(range(ROUNDS))
    for r, answers in per_round.items():
        verdicts = sorted(v for v, _ in answers)
        assert verdicts == ["accepted", "refused"], f"round {r}: {answers}"
        (refused_rules,) = [rules for v, rules in answers if v == "refused"]
        assert "SC-C10" in refused_rules, f"round {r}: {answers}"
    # every loser decided on the head both saw, and had to re-read and re-decide once
    assert conflicts == ROUNDS

    store = SQLiteEventStore(path)
    try:
        events = [event_from_payload(e.payload) for e in store.read(PRODUCTION, head)]
        types = [e.type for e in events]
        counts = Counter(types)
        assert counts["firearm_issued"] == ROUNDS
        assert counts["firearm_returned"] == ROUNDS
        assert counts["command_refused"] == ROUNDS
        # exactly one issue per round: issues and returns alternate
        custody = [t for t in types if t in ("firearm_issued", "firearm_returned")]
        assert custody == ["firearm_issued", "firearm_returned"] * ROUNDS
        for e in events:
            if e.type == "command_refused":
                assert "SC-C10" in e.data["rules"]
        winners = Counter(e.data["to"] for e in events if e.type == "firearm_issued")
        assert set(winners) <= set(PERFORMERS)
        state = Service(store).state(PRODUCTION)
        assert state.version == store.head(PRODUCTION)
        assert state.firearms["g1"].issued_to is None
    finally:
        store.close()


def test_counting_store_is_a_store(tmp_path: Path) -> None:
    """The instrumented store above behaves as the store: a stale head conflicts once."""
    store = CountingStore(tmp_path / "c.db")
    try:
        store.append("p", 0, [NewEvent("clock_ticked", "x", "2024-01-01T00:00:00+00:00", {})])
        with pytest.raises(ConcurrencyError):
            store.append("p", 0, [NewEvent("clock_ticked", "x", "2024-01-01T00:00:00+00:00", {})])
        assert store.conflicts == 1 and store.head("p") == 1
    finally:
        store.close()
