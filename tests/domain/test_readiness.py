"""F. Firing readiness (SC-F01 .. SC-F05) and SC-M04 (licence classes): each refusing, and a near
miss that passes. Written from the rule texts and DRILLS.md "Vendors, dispositions, readiness"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from showclear.domain import events as ev

from .conftest import START, Day, cast_day, ready_day

RA = {"sha256": "ab" * 32, "controls": "6 m exclusion zone; shields for camera crew"}


# -- SC-F01 the call matches the load ---------------------------------------------------------


def test_f01_a_cold_call_on_a_loaded_gun_is_refused(ready: Day) -> None:
    assert ready.load("g1", "b1", 6).verdict == "accepted"
    out = ready.issue(call="cold")
    assert out.rules == ("SC-F01",) and '"hot"' in out.message
    assert ready.issue(call="dummies").rules == ("SC-F01",)
    out = ready.issue(call="hot")
    assert out.verdict == "accepted" and out.events[0].data["call"] == "hot"


def test_f01_blanks_go_out_only_for_their_fire_blanks_setup() -> None:
    d = ready_day()
    d.plan("s2", ["g1"], ["lead"], action="display")
    assert d.load("g1", "b1", 6).verdict == "accepted"
    assert d.issue(setup="s2").rules == ("SC-F01",)  # without a call: the first sentence only
    assert d.issue(setup="s2", call="hot").rules == ("SC-F01",)
    assert d.issue(setup="s1").verdict == "accepted"


def test_f01_near_miss_empty_is_cold_and_dummies_go_out_for_any_setup() -> None:
    d = ready_day()
    d.plan("s2", ["g1"], ["lead"], action="display")
    assert d.issue(setup="s2", call="hot").rules == ("SC-F01",)
    assert d.issue(setup="s2", call="cold").verdict == "accepted"
    d.ok("return", firearm="g1", from_="lead")
    assert d.load("g1", "d1", 6).verdict == "accepted"
    assert d.issue(setup="s2", call="cold").rules == ("SC-F01",)
    assert d.issue(setup="s2", call="dummies").verdict == "accepted"


# -- SC-F02 police notice ----------------------------------------------------------------------


def notice_day(minutes: float = 30) -> Day:
    return ready_day({"police_notice_minutes": minutes})


def notify(d: Day, day: str | None = None, agency: str = "police", **kw: Any) -> None:
    d.ok("record_notification", "ad", day=day or START.date().isoformat(), agency=agency,
         reference="PD-1", **kw)  # fmt: skip


def test_f02_blanks_need_a_police_notice_made_in_time() -> None:
    d = notice_day()
    d.ok("verify_rounds", lot="b1", count=6, method="visual")
    out = d.run("load", firearm="g1", lot="b1", rounds=6)
    assert out.rules == ("SC-F02",) and "record_notification" in out.message
    notify(d, agency="fire")
    notify(d, day=(START - timedelta(days=1)).date().isoformat())  # another day's notice
    assert d.run("load", firearm="g1", lot="b1", rounds=6).rules == ("SC-F02",)
    notify(d, officer="Sgt. Ruiz")
    told = d.last_at
    out = d.run("load", firearm="g1", lot="b1", rounds=6, at=told + timedelta(minutes=29))
    assert out.rules == ("SC-F02",) and "Wait until" in out.message
    out = d.run("load", firearm="g1", lot="b1", rounds=6, at=told + timedelta(minutes=30))
    assert out.verdict == "accepted"  # exactly the required minutes is in time


def test_f02_near_miss_dummies_need_no_notice_and_the_policy_is_off_by_default() -> None:
    d = notice_day()
    assert d.load("g1", "d1", 6).verdict == "accepted"
    plain = ready_day()
    assert plain.load("g1", "b1", 6).verdict == "accepted"
    assert plain.state.policy.police_notice_minutes is None


def test_f02_a_notice_recorded_the_evening_before_counts_for_its_day() -> None:
    d = cast_day({"police_notice_minutes": 30})
    tomorrow = START + timedelta(days=1)
    notify(d, day=tomorrow.date().isoformat())
    d.ok("start_day", day=tomorrow.date().isoformat(), armorer="arm", at=tomorrow)
    d.ok("safety_meeting", attendees=["ad", "lead"])
    d.plan("s1", ["g1"], ["lead"])
    assert d.load("g1", "b1", 6).verdict == "accepted"


# -- SC-F03 PPE and a medic (GUARD) -------------------------------------------------------------

READY = {"require_fire_readiness": True}


def readiness_day(policy: dict[str, Any] = READY) -> Day:
    d = ready_day(policy, setup=False)
    d.ok("add_person", "prod", person="doc", name="Doc", roles=["medic"])
    return d


def test_f03_a_blank_fire_setup_needs_ppe_and_a_medic_at_approval() -> None:
    d = readiness_day()
    assert d.plan("s1", ["g1"], ["lead"], approve=False).verdict == "accepted"  # not at planning
    out = d.run("approve_setup", setup="s1")
    assert out.rules == ("SC-F03",) and "ppe" in out.message and "medic" in out.message
    d.plan("s1", ["g1"], ["lead"], approve=False, ppe=True, medic="crew")
    out = d.run("approve_setup", setup="s1")
    assert out.rules == ("SC-F03",) and "crew does not hold the medic role" in out.message
    assert d.plan("s1", ["g1"], ["lead"], ppe=True, medic="doc").verdict == "accepted"
    assert d.state.setup_approved(d.state.setups["s1"])


def test_f03_an_unknown_medic_is_refused_at_planning() -> None:
    d = readiness_day()
    out = d.plan("s1", ["g1"], ["lead"], approve=False, ppe=True, medic="ghost")
    assert out.rules == ("SC-R02",)


def test_f03_override_needs_a_producer_and_a_safety_supervisor() -> None:
    d = readiness_day()
    d.plan("s1", ["g1"], ["lead"], approve=False)
    reason = "medic two minutes away at base camp"
    for by in (["prod"], ["ss"], ["prod", "prod"], ["arm", "ss"]):
        out = d.run("approve_setup", setup="s1", override={"by": by, "reason": reason})
        assert out.rules == ("SC-F03",), by
    out = d.run("approve_setup", setup="s1", override={"by": ["prod", "ss"], "reason": ""})
    assert out.rules == ("SC-F03",)
    out = d.run("approve_setup", setup="s1", override={"by": ["ss", "prod"], "reason": reason})
    assert out.verdict == "accepted" and "SC-F03" in out.decision.overridden
    assert out.events[0].data["override"] == {"by": ["ss", "prod"], "reason": reason}


def test_f03_near_miss_other_actions_and_the_default_policy() -> None:
    d = readiness_day()
    assert d.plan("s2", ["g1"], ["lead"], action="point").verdict == "accepted"
    assert d.state.setup_approved(d.state.setups["s2"])
    assert ready_day().state.setup_approved(ready_day().state.setups["s1"])


# -- SC-F04 written risk assessment ----------------------------------------------------------

ASSESS = {"require_risk_assessment": True}


def test_f04_blanks_or_toward_people_need_a_risk_assessment() -> None:
    d = ready_day(ASSESS, setup=False)
    d.plan("s1", ["g1"], ["lead"], approve=False)
    out = d.run("approve_setup", setup="s1")
    assert out.rules == ("SC-F04",) and "risk_assessment" in out.message
    override = {"by": ["prod", "ss", "arm2"], "reason": "BLOCK"}
    assert d.run("approve_setup", setup="s1", override=override).rules == ("SC-F04",)
    d.plan("s2", ["g1"], ["lead"], action="point", approve=False, toward_people=True,
           distance_m=8.0)  # fmt: skip
    assert d.run("approve_setup", "ad", setup="s2").rules == ("SC-F04",)
    assert d.plan("s1", ["g1"], ["lead"], risk_assessment=RA).verdict == "accepted"
    s1 = d.state.setups["s1"]
    assert d.state.setup_approved(s1) and s1.risk_assessment is not None
    assert s1.risk_assessment.sha256 == "ab" * 32


def test_f04_the_digest_is_kept_in_lower_case() -> None:
    d = ready_day(ASSESS, setup=False)
    out = d.plan("s1", ["g1"], ["lead"], risk_assessment={**RA, "sha256": "AB" * 32})
    assert out.events[0].data["risk_assessment"]["sha256"] == "ab" * 32


def test_f04_near_miss_a_display_setup_needs_none() -> None:
    d = ready_day(ASSESS, setup=False)
    assert d.plan("s1", ["g1"], ["lead"], action="display").verdict == "accepted"
    assert d.state.setup_approved(d.state.setups["s1"])


# -- SC-F05 the day's barrel check -----------------------------------------------------------

DAILY = {"daily_check": True}


def test_f05_firing_capable_firearms_need_todays_barrel_check() -> None:
    d = ready_day(DAILY)
    d.ok("verify_rounds", lot="b1", count=6, method="visual")
    assert d.run("load", firearm="g1", lot="b1", rounds=6).rules == ("SC-F05",)
    assert d.issue().rules == ("SC-F05",)
    d.ok("inspect_firearm", firearm="g1", barrel_clear=True)
    assert d.run("load", firearm="g1", lot="b1", rounds=6).verdict == "accepted"
    assert d.issue().verdict == "accepted"


def test_f05_a_check_before_start_day_or_on_an_earlier_day_does_not_count() -> None:
    d = cast_day(DAILY)
    d.ok("inspect_firearm", firearm="g1", barrel_clear=True)  # before the day starts
    d.ok("start_day", day=START.date().isoformat(), armorer="arm")
    d.ok("safety_meeting", attendees=["ad", "lead"])
    d.plan("s1", ["g1"], ["lead"])
    assert d.issue().rules == ("SC-F05",)
    d.ok("inspect_firearm", firearm="g1", barrel_clear=True)
    d.ok("secure", firearm="g1", container="safe1")
    d.secure_all()
    d.wrap()
    tomorrow = START + timedelta(days=1)
    d.ok("start_day", day=tomorrow.date().isoformat(), armorer="arm", at=tomorrow)
    d.ok("safety_meeting", attendees=["ad", "lead"])
    d.plan("s2", ["g1"], ["lead"])
    d.ok("retrieve", firearm="g1", container="safe1")
    assert d.issue(setup="s2").rules == ("SC-F05",)


def test_f05_a_barrel_found_not_clear_needs_a_new_check() -> None:
    d = ready_day(DAILY)
    d.ok("inspect_firearm", firearm="g1", barrel_clear=True)
    d.ok("inspect_firearm", firearm="g1", barrel_clear=False)
    assert d.issue().rules == ("SC-F05", "SC-S04")


def test_f05_near_miss_replicas_need_no_check() -> None:
    d = ready_day(DAILY)
    d.ok("register_firearm", firearm="rub", kind="rubber", caliber="-")
    d.plan("s2", ["rub"], ["lead"], action="display")
    assert d.issue(firearm="rub", setup="s2").verdict == "accepted"


# -- SC-M04 licence classes ---------------------------------------------------------------------


def classed_day(classes: list[str] | None) -> Day:
    """A day whose armorer on duty, arm, holds one licence listing `classes` (None: no list),
    with a rifle (class rifle) planned in approved setup s1."""
    d = Day()
    d.add_people({"prod": ["producer"], "arm": ["armorer"], "ad": ["first_ad"],
                  "lead": ["performer"]})  # fmt: skip
    licence = {"classes": classes} if classes is not None else {}
    d.ok("add_credential", "prod", person="arm", kind="armorer_license", expires="2030-01-01",
         **licence)  # fmt: skip
    d.ok("add_credential", "prod", person="lead", kind="firearms_training", expires="2030-01-01")
    d.ok("register_firearm", firearm="rifle", kind="blank_firing", caliber="9mm", class_="rifle")
    d.ok("receive_ammo", lot="b1", kind="blank", caliber="9mm", count=50, vendor="v")
    d.ok("start_day", day=START.date().isoformat(), armorer="arm")
    d.ok("safety_meeting", attendees=["ad", "lead"])
    d.plan("s1", ["rifle"], ["lead"])
    return d


def test_m04_a_classed_firearm_needs_the_armorer_on_duty_licensed_for_its_class() -> None:
    d = classed_day(["handgun"])
    d.ok("verify_rounds", lot="b1", count=6, method="visual")
    out = d.run("load", firearm="rifle", lot="b1", rounds=6)
    assert out.rules == ("SC-M04",) and "handgun" in out.message
    assert d.issue(firearm="rifle").rules == ("SC-M04",)
    # an expired licence for the class does not count; the classes of valid licences add up
    d.ok("add_credential", "prod", person="arm", kind="armorer_license", expires="2020-01-01",
         classes=["rifle"])  # fmt: skip
    assert d.run("load", firearm="rifle", lot="b1", rounds=6).rules == ("SC-M04",)
    d.ok("add_credential", "prod", person="arm", kind="armorer_license", expires="2030-01-01",
         classes=["shotgun", "rifle"])  # fmt: skip
    assert d.run("load", firearm="rifle", lot="b1", rounds=6).verdict == "accepted"


def test_m04_near_miss_a_licence_naming_no_classes_covers_every_class() -> None:
    d = classed_day(None)
    assert d.load("rifle", "b1", 6).verdict == "accepted"


@pytest.mark.parametrize("classes", [["short_barrel"], ["automatic", "handgun"]])
def test_m04_classes_are_compared_exactly(classes: list[str]) -> None:
    d = classed_day(classes)
    assert d.issue(firearm="rifle").rules == ("SC-M04",)


def test_m04_names_the_classes_the_armorer_holds_in_words() -> None:
    d = classed_day(["short_barrel", "automatic"])
    (m04,) = [v for v in d.issue(firearm="rifle").decision.violations if v.rule == "SC-M04"]
    assert m04.reason == (
        "rifle is a rifle; the armorer on duty, arm, is licensed for: automatic, short barrel."
    )


def test_m04_near_miss_an_unclassed_firearm_needs_no_class() -> None:
    d = classed_day(["handgun"])
    d.ok("register_firearm", firearm="plain", kind="blank_firing", caliber="9mm")
    d.plan("s2", ["plain"], ["lead"])
    assert d.issue(firearm="plain", setup="s2").verdict == "accepted"
    assert not [e for e in d.events if e.type == ev.ALERT_RAISED]
