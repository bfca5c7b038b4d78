"""Group commit: Service.execute_many and the application's batches.

A batch must give the same outcomes and record the same events as executing its commands one
by one, in one append (one fsync, one signed checkpoint); a batch that lost a race to another
writer is re-read and re-decided once; a command_id repeated inside a batch is answered once.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.conftest import ready_day
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.answers import Answer
from showclear.app.service import Service
from showclear.bootstrap import Node, open_node
from showclear.domain import Malformed, Outcome, State, parse_command
from showclear.domain.commands import Command
from showclear.errors import CommandIdReused
from showclear.ports import ConcurrencyError, StoredEvent

PRODUCTION = "gc"


def prepared(path: Path) -> datetime:
    """A ready day (approved setup s1: g1 for lead) in a signing store; returns its clock."""
    node = open_node(path, signin=False)
    service = node.service
    try:
        return ready_day(production=PRODUCTION, service=service).clock
    finally:
        node.close()


def batch_lines(t0: datetime) -> list[dict[str, Any]]:
    """Accepted, refused, malformed (in the core and in the parser's sense) and accepted again."""

    def at(minutes: int) -> str:
        return (t0 + timedelta(minutes=minutes)).isoformat()

    issue = {"type": "issue", "actor": "arm", "firearm": "g1", "setup": "s1", "shown": True}
    return [
        {**issue, "at": at(0), "to": "lead", "witnesses": ["lead", "ad"]},  # accepted
        {**issue, "at": at(1), "to": "lead2", "witnesses": ["lead2", "ad"]},  # refused
        {"type": "return", "actor": "arm", "firearm": "nope", "from": "lead", "at": at(2)},
        {"type": "return", "actor": "arm", "firearm": "g1", "from": "lead", "at": at(-5)},
        {"type": "call_break", "kind": "meal", "actor": "crew", "at": at(3)},  # refused: SC-R05
        {"type": "return", "actor": "arm", "firearm": "g1", "from": "lead", "at": at(4)},
    ]


def one_by_one(service: Service, cmds: list[Command]) -> list[Outcome | Malformed]:
    results: list[Outcome | Malformed] = []
    for cmd in cmds:
        try:
            results.append(service.execute(PRODUCTION, cmd))
        except Malformed as exc:
            results.append(exc)
    return results


def same(a: Outcome | Malformed, b: Outcome | Malformed) -> bool:
    if isinstance(a, Malformed) or isinstance(b, Malformed):
        return type(a) is type(b) and str(a) == str(b)
    return a == b


def recorded(path: Path) -> list[tuple[int, str, bytes]]:
    with SQLiteEventStore(path) as store:
        return [(e.seq, e.type, e.payload) for e in store.read(PRODUCTION)]


def checkpoints(path: Path) -> int:
    with SQLiteEventStore(path) as store:
        return len(store.checkpoints(PRODUCTION))


def test_a_batch_gives_the_same_outcomes_and_events_as_one_by_one(tmp_path: Path) -> None:
    single, batched = tmp_path / "single.db", tmp_path / "batched.db"
    t0 = prepared(single)
    assert prepared(batched) == t0
    cmds = [parse_command(raw) for raw in batch_lines(t0)]
    before = checkpoints(batched)

    node_a = open_node(single, signin=False)
    a = node_a.service
    expected = one_by_one(a, cmds)
    node_a.close()

    node_b = open_node(batched, signin=False)
    b = node_b.service
    seen: list[tuple[Outcome, int]] = []
    b.subscribe(lambda _p, out, state: seen.append((out, state.version)))
    decided_on: list[State] = []
    got = b.execute_many(PRODUCTION, cmds, decided_on=decided_on)
    head = b.state(PRODUCTION).version
    node_b.close()

    assert [type(r).__name__ for r in got] == [
        "Outcome",
        "Outcome",
        "NotApplicable",  # a Malformed: an unknown item
        "NotApplicable",
        "Outcome",
        "Outcome",
    ]
    verdicts = [r.verdict for r in got if isinstance(r, Outcome)]
    assert verdicts == ["accepted", "refused", "refused", "accepted"]
    assert "SC-R05" in got[4].rules  # type: ignore[union-attr]
    assert all(same(x, y) for x, y in zip(expected, got, strict=True))
    assert recorded(batched) == recorded(single)
    assert checkpoints(batched) == before + 1  # one append, one signed checkpoint
    # subscribers hear every outcome once, with the state just after it
    outcomes = [r for r in got if isinstance(r, Outcome)]
    assert [o for o, _ in seen] == outcomes
    versions = [v for _, v in seen]
    assert versions == sorted(versions) and versions[-1] == head
    assert len(decided_on) == len(cmds)


def test_a_batch_of_only_malformed_commands_records_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    t0 = prepared(path)
    before = recorded(path)
    node = open_node(path, signin=False)
    service = node.service
    bad = {"type": "return", "actor": "arm", "firearm": "nope", "from": "lead"}
    got = service.execute_many(PRODUCTION, [parse_command({**bad, "at": t0.isoformat()})])
    node.close()
    assert len(got) == 1 and isinstance(got[0], Malformed)
    assert recorded(path) == before


class CountingStore(SQLiteEventStore):
    appends = 0
    conflicts = 0

    def append(
        self, production: str, expected_seq: int, events: Any, **kw: Any
    ) -> list[StoredEvent]:
        self.appends += 1
        try:
            return super().append(production, expected_seq, events, **kw)
        except ConcurrencyError:
            self.conflicts += 1
            raise


def test_a_batch_that_lost_the_race_is_re_decided_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    t0 = prepared(path)
    store = CountingStore(path)
    service = Service(store)
    service.state(PRODUCTION)  # this tablet's projection, about to go stale
    other = Service(SQLiteEventStore(path))
    issue = {"type": "issue", "actor": "arm", "firearm": "g1", "setup": "s1", "shown": True,
             "to": "lead", "witnesses": ["lead", "ad"]}  # fmt: skip
    won = other.execute(PRODUCTION, parse_command({**issue, "at": t0.isoformat()}))
    assert won.verdict == "accepted"
    later = (t0 + timedelta(minutes=1)).isoformat()
    crew = {"type": "call_break", "kind": "meal", "actor": "crew", "at": later}
    got = service.execute_many(
        PRODUCTION, [parse_command({**issue, "at": later}), parse_command(crew)]
    )
    assert store.conflicts == 1 and store.appends == 2
    first, second = got
    assert isinstance(first, Outcome) and first.verdict == "refused"  # g1 is already out
    assert isinstance(second, Outcome) and "SC-R05" in second.rules
    assert service.state(PRODUCTION).version == store.head(PRODUCTION)
    store.close()
    other.store.close()  # type: ignore[union-attr]


def test_a_batch_that_loses_twice_raises(tmp_path: Path) -> None:
    path = tmp_path / "race2.db"
    t0 = prepared(path)

    class AlwaysBeaten(SQLiteEventStore):
        def append(
            self, production: str, expected_seq: int, events: Any, **kw: Any
        ) -> list[StoredEvent]:
            raise ConcurrencyError(production, expected_seq, expected_seq + 1)

    store = AlwaysBeaten(path)
    service = Service(store)
    crew = {"type": "call_break", "kind": "meal", "actor": "crew", "at": t0.isoformat()}
    cmd = parse_command(crew)
    with pytest.raises(ConcurrencyError):
        service.execute_many(PRODUCTION, [cmd])
    store.close()


# -- the web runtime's batches ----------------------------------------------------------------


def runtime_at(path: Path, t0: datetime) -> Node:
    ticks = iter(range(10_000))
    clock = lambda: t0 + timedelta(seconds=next(ticks))  # noqa: E731
    return open_node(path, threaded=True, signin=False, clock=clock)


def test_runtime_batch_answers_a_repeated_command_id_once(tmp_path: Path) -> None:
    path = tmp_path / "rt.db"
    t0 = prepared(path)
    runtime = runtime_at(path, t0)
    issue = {"type": "issue", "firearm": "g1", "setup": "s1", "shown": True, "to": "lead",
             "witnesses": ["lead", "ad"], "command_id": "c1"}  # fmt: skip
    other_type = {"type": "return", "firearm": "g1", "from": "lead", "command_id": "c1"}
    try:
        app = runtime.app
        head = app.state(PRODUCTION).version
        results = app.call(
            app.execute_batch,
            PRODUCTION,
            [(issue, "arm"), (issue, "arm"), (other_type, "arm"), ({"type": "x"}, "arm")],
        )
        first, repeat, reused, malformed = results
        assert isinstance(first, Answer) and first.verdict == "accepted" and not first.duplicate
        assert isinstance(repeat, Answer) and repeat.duplicate
        assert repeat.events == first.events and repeat.head == first.head
        assert isinstance(reused, CommandIdReused)
        assert isinstance(malformed, Malformed)
        assert app.state(PRODUCTION).version == first.head
        assert first.events[0]["seq"] == head + 1
        # and later, outside the batch, the same id is still answered from the record
        again = app.execute(PRODUCTION, issue, actor="arm")
        assert again.duplicate and again.events == first.events
        assert again == repeat
    finally:
        runtime.close()


def test_queued_requests_share_one_commit(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    t0 = prepared(path)
    runtime = runtime_at(path, t0)
    try:
        before = checkpoints(path)
        gate = threading.Event()
        runtime.app.writer.schedule(lambda: gate.wait(10))  # hold the writer: requests queue up
        issue = {"type": "issue", "firearm": "g1", "setup": "s1", "shown": True, "to": "lead",
                 "witnesses": ["lead", "ad"]}  # fmt: skip
        back = {"type": "return", "firearm": "g1", "from": "lead"}
        futures = [
            runtime.app.submit(PRODUCTION, body, "arm") for body in (issue, back, issue, back)
        ]
        futures.append(runtime.app.submit(PRODUCTION, {"type": "nonsense"}, "arm"))
        gate.set()
        answers = [f.result(10) for f in futures[:4]]
        with pytest.raises(Malformed):
            futures[4].result(10)
        assert [a.verdict for a in answers] == ["accepted"] * 4
        seqs = [e["seq"] for a in answers for e in a.events]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert [a.head for a in answers] == [a.events[-1]["seq"] for a in answers]
        assert runtime.ledger is not None
        runtime.ledger.flush()  # signed off the commit path: wait for it
        assert checkpoints(path) == before + 1  # one append, one signed checkpoint
    finally:
        runtime.close()
