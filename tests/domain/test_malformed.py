"""Malformed input (DRILLS.md "Exact semantics"): bad JSON, unknown type, a missing required field,
a wrong type, an unknown firearm/lot/container/concern ID, time going backwards, anything before
`open_production`, a second `open_production`. Each raises Malformed naming the field and changes
nothing, not even the clock.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from showclear.domain import Malformed, parse_command
from showclear.drills import DrillRun
from showclear.service import Service

from .conftest import START, Day, ready_day

ISSUE = {
    "type": "issue",
    "firearm": "g1",
    "to": "lead",
    "setup": "s1",
    "shown": True,
    "witnesses": ["lead", "ad"],
}
PLAN = {
    "type": "plan_setup",
    "setup": "s2",
    "scene": "1",
    "firearms": ["g1"],
    "performers": ["lead"],
    "action": "fire_blanks",
    "toward_people": False,
    "shields": True,
    "remote_camera": False,
    "rehearsal": False,
}


def without(d: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != key}


def but(d: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**d, **changes}


CASES: list[tuple[str, dict[str, Any], str]] = [
    # unknown type
    ("unknown type", {"type": "fire_everything"}, "type"),
    ("type not text", {"type": 7}, "type"),
    ("no type", {"firearm": "g1"}, "type"),
    # missing required fields
    ("missing witnesses", without(ISSUE, "witnesses"), "witnesses"),
    ("missing shown", without(ISSUE, "shown"), "shown"),
    ("missing rounds", {"type": "load", "firearm": "g1", "lot": "b1"}, "rounds"),
    ("missing reason", {"type": "stop_work"}, "reason"),
    ("missing counts", {"type": "wrap_day"}, "counts"),
    ("distance when toward people", but(PLAN, toward_people=True), "distance_m"),
    ("secure needs firearm or lot", {"type": "secure", "container": "safe1"}, "firearm"),
    ("override without reason", but(ISSUE, override={"by": ["arm"]}), "override.reason"),
    ("override without by", but(ISSUE, override={"reason": "x"}), "override.by"),
    # wrong types
    ("rounds as text", {"type": "load", "firearm": "g1", "lot": "b1", "rounds": "6"}, "rounds"),
    ("rounds as bool", {"type": "load", "firearm": "g1", "lot": "b1", "rounds": True}, "rounds"),
    ("negative rounds", {"type": "load", "firearm": "g1", "lot": "b1", "rounds": -1}, "rounds"),
    ("fractional rounds", {"type": "load", "firearm": "g1", "lot": "b1", "rounds": 1.5}, "rounds"),
    ("shown as text", but(ISSUE, shown="yes"), "shown"),
    ("witnesses as text", but(ISSUE, witnesses="ad"), "witnesses"),
    ("witness not text", but(ISSUE, witnesses=["lead", 3]), "witnesses[1]"),
    ("bad enum", but(PLAN, action="shoot"), "action"),
    ("distance as text", but(PLAN, toward_people=True, distance_m="far"), "distance_m"),
    ("bad date", {"type": "start_day", "day": "March 4", "armorer": "arm"}, "day"),
    ("empty id", {"type": "report_concern", "concern": " ", "text": "x"}, "concern"),
    ("counts not object", {"type": "wrap_day", "counts": [1]}, "counts"),
    ("count not number", {"type": "wrap_day", "counts": {"b1": "x"}}, "counts.b1"),
    ("override not object", but(ISSUE, override="arm"), "override"),
    (
        "policy unknown key",
        {"type": "set_policy", "policy": {"x": 1}, "agreed_by": "arm"},
        "policy.x",
    ),
    # unknown items
    ("unknown firearm", but(ISSUE, firearm="ghost"), "firearm"),
    ("unknown lot", {"type": "load", "firearm": "g1", "lot": "ghost", "rounds": 1}, "lot"),
    ("unknown container", {"type": "secure", "lot": "b1", "container": "ghost"}, "container"),
    (
        "unknown concern",
        {"type": "acknowledge_concern", "concern": "ghost", "response": "x"},
        "concern",
    ),
    ("unknown lot in counts", {"type": "wrap_day", "counts": {"ghost": 1}}, "counts.ghost"),
    ("unknown firearm in setup", but(PLAN, firearms=["g1", "ghost"]), "firearms[1]"),
    # a second open_production
    (
        "second open_production",
        {"type": "open_production", "production": "p2", "title": "t"},
        "type",
    ),
]


@pytest.mark.parametrize(("raw", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_names_the_field_and_changes_nothing(raw: dict[str, Any], field: str) -> None:
    d = ready_day()
    before = d.state
    line = {"actor": "arm", "at": d.clock.isoformat(), **raw}
    with pytest.raises(Malformed) as exc:
        cmd = parse_command(line)
        d.service.execute(d.production, cmd)
    assert exc.value.field == field
    assert f"'{field}'" in str(exc.value)
    assert d.state is before


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"type": "tick", "actor": "arm"}, "at"),
        ({"type": "tick", "at": START.isoformat()}, "actor"),
        ({"type": "tick", "actor": "arm", "at": "2024-03-04T07:00:00"}, "at"),  # no offset
        ({"type": "tick", "actor": "arm", "at": "yesterday"}, "at"),
        ({"type": "tick", "actor": "", "at": START.isoformat()}, "actor"),
    ],
)
def test_malformed_at_and_actor(line: dict[str, Any], field: str) -> None:
    with pytest.raises(Malformed) as exc:
        parse_command(line)
    assert exc.value.field == field


def test_not_an_object() -> None:
    with pytest.raises(Malformed):
        parse_command(["tick"])


def test_time_going_backwards() -> None:
    d = ready_day()
    before = d.state
    cmd = d.cmd("tick", "crew", at=d.last_at - timedelta(seconds=1))
    with pytest.raises(Malformed) as exc:
        d.service.execute(d.production, cmd)
    assert exc.value.field == "at"
    assert d.state is before
    # the same instant again is not backwards
    assert d.run("tick", "crew", at=d.last_at).verdict == "accepted"


def test_anything_before_open_production() -> None:
    service = Service()
    cmd = parse_command({"type": "tick", "actor": "prod", "at": START.isoformat()})
    with pytest.raises(Malformed) as exc:
        service.execute("p", cmd)
    assert exc.value.field == "type"
    assert service.state("p").production is None


def test_unknown_person_is_a_refusal_not_malformed(ready: Day) -> None:
    assert ready.run("tick", "ghost").rules == ("SC-R02",)


def test_drill_runner_reports_a_malformed_line_and_goes_on() -> None:
    at = START.isoformat()
    lines = [
        json.dumps(
            {"at": at, "actor": "prod", "type": "open_production", "production": "p", "title": "T"}
        ),
        "{not json",
        "",
        json.dumps({"at": at, "actor": "prod", "type": "add_person", "person": "prod"}),
        json.dumps(
            {
                "at": at,
                "actor": "prod",
                "type": "add_person",
                "person": "prod",
                "name": "P",
                "roles": ["producer"],
                "expect": {"verdict": "accepted"},
            }
        ),
    ]
    results = list(DrillRun().run(lines))
    assert [(r.line, r.verdict) for r in results] == [
        (1, "accepted"),
        (2, "error"),
        (4, "error"),
        (5, "accepted"),
    ]
    assert "JSON" in results[1].message
    assert "'name'" in results[2].message
    assert results[1].passed is False and results[3].passed is True
