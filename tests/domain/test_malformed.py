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

from showclear.app.drills import DrillRun
from showclear.app.service import Service
from showclear.domain import Malformed, parse_command

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


REGISTER = {"type": "register_firearm", "firearm": "r9", "kind": "blank_firing", "caliber": "9mm"}
RECEIVE = {"type": "receive_ammo", "lot": "b9", "kind": "blank", "caliber": "9mm", "count": 5,
           "vendor": "v"}  # fmt: skip
LICENCE = {"type": "add_credential", "person": "arm", "kind": "armorer_license",
           "expires": "2030-01-01"}  # fmt: skip
RA = {"sha256": "ab" * 32, "controls": "exclusion zone"}
VENDOR = {"type": "approve_vendor", "vendor": "acme", "name": "Acme", "licence": "FFL 1",
          "licence_expires": "2030-01-01", "agreed_by": "arm"}  # fmt: skip
DISPOSE = {"type": "dispose", "firearm": "g1", "how": "returned", "to": "acme"}
LOT_OUT = {"type": "dispose", "lot": "b1", "how": "returned", "to": "acme", "count": 50}
NOTICE = {"type": "record_notification", "day": "2024-03-04", "agency": "police",
          "reference": "PD-1"}  # fmt: skip


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
    # the inventory's life and firing readiness: new commands and fields
    ("due_back not a date", {**REGISTER, "due_back": "next Friday"}, "due_back"),
    ("class not a class", {**REGISTER, "class": "pistol"}, "class"),
    ("vendor not text", {**REGISTER, "vendor": 7}, "vendor"),
    ("invoice not text", {**RECEIVE, "invoice": 12}, "invoice"),
    ("classes not a list", {**LICENCE, "classes": "rifle"}, "classes"),
    ("classes not classes", {**LICENCE, "classes": ["rifle", "pistol"]}, "classes[1]"),
    ("classes on training", {**LICENCE, "kind": "firearms_training", "classes": []}, "classes"),
    ("ppe not a bool", but(PLAN, ppe="yes"), "ppe"),
    ("medic not text", but(PLAN, medic=5), "medic"),
    ("risk assessment not an object", but(PLAN, risk_assessment="abc"), "risk_assessment"),
    (
        "risk assessment short digest",
        but(PLAN, risk_assessment={**RA, "sha256": "ab" * 31}),
        "risk_assessment.sha256",
    ),
    (
        "risk assessment long digest",
        but(PLAN, risk_assessment={**RA, "sha256": "ab" * 33}),
        "risk_assessment.sha256",
    ),
    (
        "risk assessment not hex",
        but(PLAN, risk_assessment={**RA, "sha256": "g" * 64}),
        "risk_assessment.sha256",
    ),
    (
        "risk assessment without controls",
        but(PLAN, risk_assessment={"sha256": "a" * 64}),
        "risk_assessment.controls",
    ),
    (
        "risk assessment empty controls",
        but(PLAN, risk_assessment={**RA, "controls": " "}),
        "risk_assessment.controls",
    ),
    ("call not a call", but(ISSUE, call="warm"), "call"),
    ("vendor ID empty", {**VENDOR, "vendor": ""}, "vendor"),
    ("licence missing", without(VENDOR, "licence"), "licence"),
    ("licence_expires not a date", {**VENDOR, "licence_expires": "soon"}, "licence_expires"),
    ("agreed_by missing", {"type": "close_production"}, "agreed_by"),
    ("how not a way", {**DISPOSE, "how": "sold"}, "how"),
    ("dispose neither firearm nor lot", without(DISPOSE, "firearm"), "firearm"),
    ("dispose both firearm and lot", {**DISPOSE, "lot": "b1"}, "firearm"),
    ("dispose unknown firearm", {**DISPOSE, "firearm": "ghost"}, "firearm"),
    ("dispose unknown lot", {**LOT_OUT, "lot": "ghost"}, "lot"),
    ("dispose a lot without count", without(LOT_OUT, "count"), "count"),
    ("dispose a firearm with a count", {**DISPOSE, "count": 1}, "count"),
    ("negative count", {**LOT_OUT, "count": -1}, "count"),
    ("witness not text", {**DISPOSE, "how": "destroyed", "witness": 3}, "witness"),
    ("agency not an agency", {**NOTICE, "agency": "sheriff"}, "agency"),
    ("notice day not a date", {**NOTICE, "day": "today"}, "day"),
    ("notice without reference", without(NOTICE, "reference"), "reference"),
    (
        "notice minutes as text",
        {"type": "set_policy", "policy": {"police_notice_minutes": "30"}, "agreed_by": "arm"},
        "policy.police_notice_minutes",
    ),
    (
        "notice minutes negative",
        {"type": "set_policy", "policy": {"police_notice_minutes": -5}, "agreed_by": "arm"},
        "policy.police_notice_minutes",
    ),
    (
        "switch as text",
        {"type": "set_policy", "policy": {"daily_check": "on"}, "agreed_by": "arm"},
        "policy.daily_check",
    ),
    (
        "null switch",
        {"type": "set_policy", "policy": {"daily_check": None}, "agreed_by": "arm"},
        "policy.daily_check",
    ),
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


def test_unknown_vendor_or_medic_is_a_refusal_not_malformed() -> None:
    """DRILLS.md: an unknown vendor cites SC-V01 (when vendors must be approved), an unknown
    medic SC-R02 at plan_setup; both are recorded refusals, not malformed lines."""
    d = ready_day()
    d.ok("set_policy", "prod", policy={"require_approved_vendors": True}, agreed_by="arm")
    out = d.run("receive_ammo", lot="b9", kind="blank", caliber="9mm", count=5, vendor="nobody")
    assert out.rules == ("SC-V01",) and d.state.refusal_count == 1
    out = d.run("dispose", firearm="g1", how="returned", to="nobody")
    assert out.rules == ("SC-V01",)
    out = d.run("plan_setup", "ad", **{k: v for k, v in PLAN.items() if k != "type"},
                medic="nobody", ppe=True)  # fmt: skip
    assert out.rules == ("SC-R02",) and "nobody (medic)" in out.message
    assert d.state.refusal_count == 3


def test_a_null_notice_policy_turns_the_notice_off() -> None:
    raw = {"type": "set_policy", "actor": "prod", "at": START.isoformat(), "agreed_by": "arm",
           "policy": {"police_notice_minutes": None}}  # fmt: skip
    cmd = parse_command(raw)
    assert dict(cmd.policy) == {"police_notice_minutes": None}  # type: ignore[attr-defined]


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
