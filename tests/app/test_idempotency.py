"""A command sent again with its command_id gets the same answer, before and after a restart.

The first answer comes from the command's outcome; every repeat is answered from what the
command recorded (each of its events carries the ID and the command's digest; a refusal keeps
each violation with its reason and next step, and whether the role may never issue the type).
A node opened anew on the same file answers from the record alone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.conftest import START, ready_day
from showclear.app.answers import ALREADY_RECORDED, Answer
from showclear.bootstrap import Node, open_node
from showclear.domain import events as ev
from showclear.domain import parse_command, to_wire
from showclear.errors import CommandIdReused
from showclear.ports import NewEvent

P = "test-prod"
REFUSED_ISSUE = {"type": "issue", "firearm": "g1", "to": "crew", "setup": "s1", "shown": False,
                 "witnesses": [], "command_id": "tablet-7"}  # fmt: skip


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    db = tmp_path / "set.db"
    with open_node(db, signin=False) as node:
        ready_day(production=P, service=node.service)
    return db


def node_at(path: Path, clock: Clock) -> Node:
    return open_node(path, signin=False, clock=clock)


def head(node: Node) -> int:
    return node.app.state(P).version


def test_a_refusal_with_several_rules_is_answered_the_same_after_a_restart(path: Path) -> None:
    clock = Clock(START + timedelta(hours=2))
    node = node_at(path, clock)
    first = node.app.execute(P, REFUSED_ISSUE, actor="crew")
    assert first.verdict == "refused" and not first.duplicate
    assert len(first.rules) >= 3, first.rules
    for rule in first.rules:
        assert rule["reason"] and rule["next_step"], rule
    repeat = node.app.execute(P, REFUSED_ISSUE, actor="crew")
    recorded = head(node)
    node.close()

    clock.now += timedelta(hours=1)  # later, on a node started afresh
    again_node = node_at(path, clock)
    try:
        after = again_node.app.execute(P, REFUSED_ISSUE, actor="crew")
        assert head(again_node) == recorded  # answered, not recorded again
    finally:
        again_node.close()
    assert repeat == after and repeat.body() == after.body()
    assert repeat == replace(first, duplicate=True)  # a refusal: the first answer, field by field
    assert after.duplicate and after.head == first.head == first.events[-1]["seq"]


def test_a_refusal_by_role_stays_forbidden_after_a_restart(path: Path) -> None:
    clock = Clock(START + timedelta(hours=2))
    raw = {"type": "register_firearm", "firearm": "x9", "kind": "rubber", "caliber": "9mm",
           "vendor": "vendor-a", "command_id": "crew-1"}  # fmt: skip
    with node_at(path, clock) as node:
        first = node.app.execute(P, raw, actor="crew")
    assert first.verdict == "refused" and first.forbidden
    assert "SC-R05" in [r["rule"] for r in first.rules]
    with node_at(path, clock) as node:
        after = node.app.execute(P, raw, actor="crew")
    assert after.forbidden and after == replace(first, duplicate=True)


def test_an_accepted_command_and_the_alert_that_fell_due_before_it(path: Path) -> None:
    clock = Clock(START + timedelta(hours=2))
    with node_at(path, clock) as node:
        concern = node.app.execute(P, {"type": "report_concern", "concern": "c1",
                                       "text": "loose grip"}, actor="crew")  # fmt: skip
        assert concern.verdict == "accepted"
        clock.now += timedelta(days=3)  # the concern is overdue (SC-S06) by the next command
        raw: dict[str, Any] = {"type": "tick", "command_id": "tick-1"}
        first = node.app.execute(P, raw, actor="arm")
        repeat = node.app.execute(P, raw, actor="arm")
        recorded = head(node)
    assert first.verdict == "accepted" and "SC-S06" in first.alerts
    assert first.events[0]["type"] == ev.ALERT_RAISED
    with node_at(path, clock) as node:
        after = node.app.execute(P, raw, actor="arm")
        assert head(node) == recorded
    assert repeat == after and repeat.body() == after.body()
    assert after.message == ALREADY_RECORDED and after.duplicate
    assert (after.events, after.alerts, after.head, after.type) == (
        first.events, first.alerts, first.head, first.type
    )  # fmt: skip


def test_a_used_id_with_another_command_is_refused_after_a_restart(path: Path) -> None:
    clock = Clock(START + timedelta(hours=2))
    with node_at(path, clock) as node:
        node.app.execute(P, REFUSED_ISSUE, actor="crew")
    with node_at(path, clock) as node:
        with pytest.raises(CommandIdReused):
            node.app.execute(P, {**REFUSED_ISSUE, "shown": True}, actor="crew")
        with pytest.raises(CommandIdReused):  # the same command by someone else
            node.app.execute(P, REFUSED_ISSUE, actor="ad")


def test_a_refusal_recorded_before_refusals_kept_their_violations(path: Path) -> None:
    # What an older ShowClear wrote: the rules and the message, no violations, no digest.
    clock = Clock(START + timedelta(hours=2))
    with node_at(path, clock) as node:
        assert node.backend is not None
        at = clock.now.isoformat(timespec="seconds")
        wire = to_wire(parse_command(REFUSED_ISSUE, actor="crew", at=at))
        data = {"command": wire, "rules": ["SC-C01", "SC-C03"],
                "message": "SC-C01: not yours. SC-C03: not shown."}  # fmt: skip
        node.backend.append(P, head(node), [NewEvent(ev.COMMAND_REFUSED, "crew", at, data)])
    with node_at(path, clock) as node:
        answer = node.app.execute(P, REFUSED_ISSUE, actor="crew")
    assert isinstance(answer, Answer) and answer.verdict == "refused" and answer.duplicate
    assert [r["rule"] for r in answer.rules] == ["SC-C01", "SC-C03"]
    assert all(r["reason"] == data["message"] for r in answer.rules)
