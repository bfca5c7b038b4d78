"""M. People (SC-M01 .. SC-M03) and who may act (SC-R02 unknown people, SC-R05 roles)."""

from __future__ import annotations

from typing import Any

import pytest

from showclear.domain import events as ev

from .conftest import CAST, Day, cast_day, ready_day

# -- SC-M01 a licensed armorer on duty ------------------------------------------------------------


def unlicensed() -> Day:
    d = Day()
    d.add_people(CAST)
    return d


def test_m01_armorer_without_a_license() -> None:
    d = unlicensed()
    out = d.run("start_day", "arm", day="2024-03-04", armorer="arm")
    assert out.verdict == "refused" and out.rules == ("SC-M01",)
    assert d.state.day is None


def test_m01_expired_license_and_valid_through_its_expiry_date() -> None:
    d = unlicensed()
    d.ok("add_credential", "prod", person="arm", kind="armorer_license", expires="2024-03-03")
    assert d.run("start_day", day="2024-03-04", armorer="arm").rules == ("SC-M01",)
    d.ok("add_credential", "prod", person="arm", kind="armorer_license", expires="2024-03-04")
    # judged against the running day's date, not the clock
    assert d.run("start_day", day="2024-03-05", armorer="arm").rules == ("SC-M01",)
    assert d.run("start_day", day="2024-03-04", armorer="arm").verdict == "accepted"


def test_m01_training_is_not_a_license() -> None:
    d = unlicensed()
    d.ok("add_credential", "prod", person="arm", kind="firearms_training", expires="2030-01-01")
    assert d.run("start_day", day="2024-03-04", armorer="arm").rules == ("SC-M01",)


def test_m01_named_armorer_must_hold_the_armorer_role() -> None:
    d = cast_day()
    d.ok("add_credential", "prod", person="ast", kind="armorer_license", expires="2030-01-01")
    out = d.run("start_day", "prod", day="2024-03-04", armorer="ast")
    assert out.rules == ("SC-M01",)


def test_m01_near_miss_licensed_armorer(cast: Day) -> None:
    out = cast.run("start_day", "prod", day="2024-03-04", armorer="arm", assistant_armorer="ast")
    assert out.verdict == "accepted"
    day = cast.state.day
    assert day is not None and day.armorer == "arm" and day.assistant == "ast"


# -- SC-M02 (GUARD) trained performers -------------------------------------------------------------


def untrained_setup() -> Day:
    d = ready_day(attendees=["ad", "lead", "newbie"], meeting=False)
    d.add_people({"newbie": ["performer"]})
    d.ok("safety_meeting", "arm", attendees=["ad", "lead", "newbie"])
    d.plan("s2", ["g1"], ["newbie"])
    return d


def test_m02_untrained_performer_is_refused() -> None:
    d = untrained_setup()
    out = d.issue(to="newbie", setup="s2")
    assert out.verdict == "refused" and out.rules == ("SC-M02",)


@pytest.mark.parametrize(
    "override",
    [
        {"by": ["ad"], "reason": "training given this morning"},
        {"by": ["prod", "ss"], "reason": "training given this morning"},
        {"by": ["arm"], "reason": ""},
    ],
)
def test_m02_wrong_override_is_refused(override: dict[str, Any]) -> None:
    d = untrained_setup()
    assert d.issue(to="newbie", setup="s2", override=override).rules == ("SC-M02",)


@pytest.mark.parametrize("by", ["arm", "arm2"])
def test_m02_armorer_override_is_accepted_and_recorded(by: str) -> None:
    d = untrained_setup()
    override = {"by": [by], "reason": "training given this morning"}
    out = d.issue(to="newbie", setup="s2", override=override)
    assert out.verdict == "accepted"
    assert out.decision.overridden == ("SC-M02",)
    issued = out.events[-1]
    assert issued.type == ev.FIREARM_ISSUED and issued.data["override"] == override


def test_m02_expired_training() -> None:
    d = untrained_setup()
    d.ok("add_credential", "prod", person="newbie", kind="firearms_training", expires="2024-03-03")
    assert d.issue(to="newbie", setup="s2").rules == ("SC-M02",)
    d.ok("add_credential", "prod", person="newbie", kind="firearms_training", expires="2024-03-04")
    assert d.issue(to="newbie", setup="s2").verdict == "accepted"


@pytest.mark.parametrize("kind", ["non_firing", "rubber", "airsoft"])
def test_m02_near_miss_replica_needs_no_training(kind: str) -> None:
    d = untrained_setup()
    d.ok("register_firearm", firearm="rep", kind=kind, caliber="9mm")
    d.plan("s3", ["rep"], ["newbie"], action="point")
    assert d.issue("rep", to="newbie", setup="s3").verdict == "accepted"


# -- SC-M03 firearms work only inside a started day ------------------------------------------------

DAY_WORK: list[tuple[str, dict[str, Any], str]] = [
    ("verify_rounds", {"lot": "b1", "count": 6, "method": "visual"}, "arm"),
    ("load", {"firearm": "g1", "lot": "b1", "rounds": 6}, "arm"),
    (
        "plan_setup",
        {
            "setup": "s1",
            "scene": "1",
            "firearms": ["g1"],
            "performers": ["lead"],
            "action": "point",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
        "ad",
    ),
    ("approve_setup", {"setup": "s1"}, "arm"),
    (
        "issue",
        {"firearm": "g1", "to": "lead", "setup": "s1", "shown": True, "witnesses": ["lead", "ad"]},
        "arm",
    ),
    ("safety_meeting", {"attendees": ["ad", "lead"]}, "ad"),
]


@pytest.mark.parametrize(("type_", "fields", "actor"), DAY_WORK, ids=[w[0] for w in DAY_WORK])
def test_m03_no_firearms_work_outside_a_day(
    cast: Day, type_: str, fields: dict[str, Any], actor: str
) -> None:
    out = cast.run(type_, actor, **fields)
    assert out.verdict == "refused"
    assert "SC-M03" in out.rules
    if type_ in ("verify_rounds", "plan_setup", "safety_meeting"):
        assert out.rules == ("SC-M03",)


def test_m03_after_wrap_work_stops_again(ready: Day) -> None:
    ready.secure_all()
    ready.wrap()
    assert ready.run("verify_rounds", lot="b1", count=1, method="visual").rules == ("SC-M03",)


@pytest.mark.parametrize(
    ("type_", "fields"),
    [
        ("register_firearm", {"firearm": "g2", "kind": "rubber", "caliber": "9mm"}),
        (
            "receive_ammo",
            {"lot": "d2", "kind": "dummy", "caliber": "9mm", "count": 5, "vendor": "v"},
        ),
        ("inspect_lot", {"lot": "b1", "method": "visual", "checked": 50, "failed": 0}),
        ("secure", {"lot": "b1", "container": "safe1"}),
        ("secure", {"firearm": "g1", "container": "safe1"}),
    ],
)
def test_m03_near_miss_registering_receiving_inspecting_securing_any_time(
    cast: Day, type_: str, fields: dict[str, Any]
) -> None:
    assert cast.run(type_, "arm", **fields).verdict == "accepted"


def test_m03_near_miss_retrieving_any_time(cast: Day) -> None:
    cast.ok("secure", firearm="g1", container="safe1")
    assert cast.run("retrieve", firearm="g1", container="safe1").verdict == "accepted"


# -- SC-R02 unknown people -------------------------------------------------------------------------


def test_r02_unknown_actor(ready: Day) -> None:
    out = ready.run("tick", "ghost")
    assert out.verdict == "refused" and out.rules == ("SC-R02",)
    assert "ghost" in out.message


UNKNOWN: list[tuple[str, str, dict[str, Any]]] = [
    (
        "issue",
        "arm",
        {
            "firearm": "g1",
            "to": "lead",
            "setup": "s1",
            "shown": True,
            "witnesses": ["lead", "ad", "ghost"],
        },
    ),
    (
        "issue",
        "arm",
        {
            "firearm": "g1",
            "to": "ghost",
            "setup": "s1",
            "shown": True,
            "witnesses": ["ghost", "ad"],
        },
    ),
    ("safety_meeting", "ad", {"attendees": ["lead", "ghost"]}),
    (
        "plan_setup",
        "ad",
        {
            "setup": "s9",
            "scene": "1",
            "firearms": ["g1"],
            "performers": ["ghost"],
            "action": "point",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
    ),
    (
        "add_credential",
        "prod",
        {"person": "ghost", "kind": "firearms_training", "expires": "2030-01-01"},
    ),
    ("assign_task", "ad", {"person": "ghost", "task": "x"}),
    ("set_policy", "prod", {"policy": {"return_minutes": 7}, "agreed_by": "ghost"}),
    ("load", "ghost", {"firearm": "g1", "lot": "b1", "rounds": 1}),
    (
        "issue",
        "arm",
        {
            "firearm": "g1",
            "to": "lead",
            "setup": "s1",
            "shown": True,
            "witnesses": ["lead", "ad"],
            "override": {"by": ["ghost"], "reason": "r"},
        },
    ),
]


@pytest.mark.parametrize(("type_", "actor", "fields"), UNKNOWN)
def test_r02_unknown_person_in_any_field(
    ready: Day, type_: str, actor: str, fields: dict[str, Any]
) -> None:
    out = ready.run(type_, actor, **fields)
    assert out.verdict == "refused" and "SC-R02" in out.rules
    assert "ghost" in out.message


def test_r02_unknown_person_in_return_from(ready: Day) -> None:
    ready.issue()
    out = ready.run("return", firearm="g1", from_="ghost")
    assert "SC-R02" in out.rules


@pytest.mark.parametrize("field", ["armorer", "assistant_armorer"])
def test_r02_unknown_person_at_start_day(cast: Day, field: str) -> None:
    fields = {"day": "2024-03-04", "armorer": "arm", field: "ghost"}
    assert "SC-R02" in cast.run("start_day", "prod", **fields).rules


def test_r02_near_miss_everyone_known(ready: Day) -> None:
    assert ready.run("tick", "crew").verdict == "accepted"
    assert ready.issue(witnesses=["lead", "ad", "ss"]).verdict == "accepted"


def test_r02_opener_adds_the_first_person_only() -> None:
    d = Day()
    assert d.run("add_person", "prod", person="prod", name="P", roles=["producer"]).verdict == (
        "accepted"
    )
    out = d.run("add_person", "stranger", person="x", name="X", roles=["producer"])
    assert "SC-R02" in out.rules


def test_r02_not_the_opener_cannot_bootstrap() -> None:
    d = Day()
    out = d.run("add_person", "someone", person="someone", name="S", roles=["producer"])
    assert out.rules == ("SC-R02",)


# -- SC-R05 roles allowed per command --------------------------------------------------------------

WRONG_ROLE: list[tuple[str, str, str, dict[str, Any]]] = [
    # type, wrong actor, right actor, fields
    ("add_person", "crew", "arm", {"person": "x", "name": "X", "roles": ["crew"]}),
    (
        "add_credential",
        "ad",
        "prod",
        {"person": "lead", "kind": "firearms_training", "expires": "2030-01-01"},
    ),
    (
        "register_container",
        "crew",
        "prod",
        {"container": "box", "kind": "lockbox", "lockable": True},
    ),
    ("register_firearm", "prod", "arm", {"firearm": "g2", "kind": "rubber", "caliber": "9mm"}),
    (
        "receive_ammo",
        "ad",
        "arm",
        {"lot": "d2", "kind": "dummy", "caliber": "9mm", "count": 5, "vendor": "v"},
    ),
    ("inspect_lot", "prod", "arm", {"lot": "b1", "method": "visual", "checked": 50, "failed": 0}),
    ("set_policy", "arm", "prod", {"policy": {"return_minutes": 7}, "agreed_by": "arm2"}),
    ("safety_meeting", "lead", "ss", {"attendees": ["ad", "lead"]}),
    (
        "plan_setup",
        "ss",
        "arm",
        {
            "setup": "s9",
            "scene": "1",
            "firearms": ["g1"],
            "performers": ["lead"],
            "action": "point",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
    ),
    ("complete_setup", "prod", "ad", {"setup": "s1"}),
    ("verify_rounds", "ad", "arm", {"lot": "b1", "count": 1, "method": "visual"}),
    ("inspect_firearm", "ad", "arm", {"firearm": "g1", "barrel_clear": True}),
    ("report_concern", "crew", "crew", {"concern": "c1", "text": "x"}),  # anyone: control
    ("file_incident", "ad", "ss", {"incident": "i1", "cause": "x"}),
    ("assign_task", "arm", "prod", {"person": "crew", "task": "x"}),
    ("call_break", "arm", "ad", {"kind": "meal"}),
]


@pytest.mark.parametrize(
    ("type_", "wrong", "right", "fields"), WRONG_ROLE, ids=[f"{w[0]}-{w[1]}" for w in WRONG_ROLE]
)
def test_r05_actor_must_hold_an_allowed_role(
    ready: Day, type_: str, wrong: str, right: str, fields: dict[str, Any]
) -> None:
    if wrong != right:
        out = ready.run(type_, wrong, **fields)
        assert out.verdict == "refused" and out.rules == ("SC-R05",)
    assert ready.run(type_, right, **fields).verdict == "accepted"


def test_r05_start_day_and_retrieve_and_acknowledge_and_end_break_and_wrap(cast: Day) -> None:
    assert cast.run("start_day", "ad", day="2024-03-04", armorer="arm").rules == ("SC-R05",)
    cast.ok("start_day", "prod", day="2024-03-04", armorer="arm")
    cast.ok("secure", lot="b1", container="safe1")
    assert cast.run("retrieve", "ad", lot="b1", container="safe1").rules == ("SC-R05",)
    cast.ok("retrieve", "arm2", lot="b1", container="safe1")  # any armorer retrieves
    cast.ok("report_concern", "crew", concern="c1", text="x")
    assert cast.run("acknowledge_concern", "arm", concern="c1", response="ok").rules == ("SC-R05",)
    cast.ok("acknowledge_concern", "prod", concern="c1", response="ok")
    cast.ok("call_break", "ad", kind="other")
    assert cast.run("end_break", "arm").rules == ("SC-R05",)
    cast.ok("end_break", "ad")
    cast.secure_all()
    assert cast.run("wrap_day", "ad", counts={"b1": 50, "d1": 50}).rules == ("SC-R05",)
    assert cast.run("wrap_day", "arm", counts={"b1": 50, "d1": 50}).verdict == "accepted"


def test_r05_assistant_armorer_counts_as_armorer_only_when_designated() -> None:
    d = cast_day()
    out = d.run("verify_rounds", "ast", lot="b1", count=1, method="visual")
    assert "SC-R05" in out.rules
    d.ok("start_day", "prod", day="2024-03-04", armorer="arm", assistant_armorer="ast")
    assert d.run("verify_rounds", "ast", lot="b1", count=1, method="visual").verdict == "accepted"


def test_r05_assistant_must_be_qualified(cast: Day) -> None:
    out = cast.run("start_day", "prod", day="2024-03-04", armorer="arm", assistant_armorer="ad")
    assert out.rules == ("SC-R05",)
