"""S. Stop work, incidents, concerns: SC-S01 .. SC-S06 (the SC-S06 watchdog: test_watchdogs.py)."""

from __future__ import annotations

from typing import Any

import pytest

from showclear.domain import events as ev

from .conftest import Day, ready_day

SIGNERS = ("arm", "ss", "prod")

# -- SC-S01 anyone stops work; no load, issue or approval while it is in force ---------------------


@pytest.mark.parametrize("who", ["crew", "lead", "ad", "prod"])
def test_s01_anyone_may_stop_work(ready: Day, who: str) -> None:
    out = ready.run("stop_work", who, reason="I am not comfortable")
    assert out.verdict == "accepted"
    assert ready.state.stop is not None and ready.state.stop.by == who


def test_s01_stop_refuses_exactly_load_issue_and_approve(ready: Day) -> None:
    ready.plan("s2", ["g1"], ["lead"], approve=False)
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    ready.ok("stop_work", "crew", reason="smoke on set")
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).rules == ("SC-S01",)
    assert ready.issue().rules == ("SC-S01",)
    assert ready.run("approve_setup", "arm", setup="s2").rules == ("SC-S01",)
    # everything else goes on
    ready.ok("safety_meeting", "ad", attendees=["lead"])
    ready.plan("s3", ["g1"], ["lead"], approve=False)
    ready.ok("verify_rounds", lot="b1", count=1, method="visual")
    ready.ok("secure", firearm="g1", container="safe1")
    ready.ok("retrieve", firearm="g1", container="safe1")
    ready.ok("complete_setup", "ad", setup="s2")


def test_s01_returning_and_securing_go_on_during_a_stop(ready: Day) -> None:
    ready.issue()
    ready.ok("stop_work", "lead", reason="wrong gun")
    ready.ok("return", firearm="g1", from_="lead")
    ready.ok("secure", firearm="g1", container="safe1")


def test_s01_near_miss_after_resume_work_goes_on(ready: Day) -> None:
    ready.ok("stop_work", "crew", reason="smoke on set")
    for who in SIGNERS:
        ready.ok("resume_work", who)
    assert ready.state.stop is None
    assert ready.load().verdict == "accepted"
    assert ready.issue().verdict == "accepted"


# -- SC-S02 three distinct sign-offs; an incident first after SC-A02/SC-S03 ----------------------


def test_s02_a_performer_cannot_sign(ready: Day) -> None:
    ready.ok("stop_work", "crew", reason="smoke")
    out = ready.run("resume_work", "lead")
    assert out.verdict == "refused" and out.rules == ("SC-S02",)
    assert "SC-R05" not in out.rules


def test_s02_the_assistant_cannot_sign_for_the_armorer() -> None:
    d = ready_day(assistant="ast")
    d.ok("stop_work", "crew", reason="smoke")
    assert d.run("resume_work", "ast").rules == ("SC-S02",)
    assert d.run("resume_work", "arm2").rules == ("SC-S02",)  # an armorer, but not on duty
    for who in SIGNERS:
        d.ok("resume_work", who)
    assert d.state.stop is None


def test_s02_three_distinct_people_one_person_counts_once() -> None:
    d = ready_day()
    d.add_people({"sp": ["safety_supervisor", "producer"]})
    d.ok("stop_work", "crew", reason="smoke")
    d.ok("resume_work", "arm")
    d.ok("resume_work", "sp")
    assert d.state.stop is not None  # sp holds two roles but counts once
    out = d.ok("resume_work", "prod")
    assert [e.type for e in out.events] == [ev.RESUME_SIGNED, ev.WORK_RESUMED]
    assert d.state.stop is None


def test_s02_after_an_unplanned_discharge_an_incident_comes_first(ready: Day) -> None:
    ready.ok("discharge", "ad", firearm="g1", planned=False, rounds=0)
    out = ready.run("resume_work", "arm")
    assert out.verdict == "refused" and out.rules == ("SC-S02",)
    ready.ok("file_incident", "ss", incident="inc1", cause="")  # no stated cause: not enough
    assert ready.run("resume_work", "arm").rules == ("SC-S02",)
    ready.ok("file_incident", "ss", incident="inc2", cause="performer pulled the trigger early")
    for who in SIGNERS:
        ready.ok("resume_work", who)
    assert ready.state.stop is None


def test_s02_after_a_live_round_an_incident_comes_first(ready: Day) -> None:
    ready.ok("report_live_round", "crew", lot="b1", note="a live round in the box")
    assert ready.run("resume_work", "prod").rules == ("SC-S02",)
    ready.ok("file_incident", "prod", incident="inc1", cause="vendor mixed a live round in")
    for who in SIGNERS:
        ready.ok("resume_work", who)
    assert ready.state.stop is None


def test_s02_incident_filed_before_the_stop_does_not_count(ready: Day) -> None:
    ready.ok("file_incident", "ss", incident="old", cause="earlier trouble")
    ready.ok("discharge", "ad", firearm="g1", planned=False, rounds=0)
    assert ready.run("resume_work", "arm").rules == ("SC-S02",)


def test_s02_a_new_stop_restarts_the_sign_offs(ready: Day) -> None:
    ready.ok("stop_work", "crew", reason="smoke")
    ready.ok("resume_work", "arm")
    ready.ok("resume_work", "ss")
    ready.ok("stop_work", "lead", reason="still smoke")
    assert ready.state.stop is not None and ready.state.stop.signoffs == ()
    ready.ok("resume_work", "prod")
    assert ready.state.stop is not None
    ready.ok("resume_work", "arm")
    ready.ok("resume_work", "ss")
    assert ready.state.stop is None


def test_s02_near_miss_resume_with_no_stop_makes_no_sense(ready: Day) -> None:
    out = ready.run("resume_work", "arm")
    assert out.verdict == "refused" and out.rules == ()


# -- SC-S03 unplanned discharge --------------------------------------------------------------------


def assert_discharge_alert(d: Day, out: Any, firearm: str) -> None:
    assert out.verdict == "accepted"
    assert out.alerts == ("SC-S03",)
    s = d.state
    assert s.stop is not None and "SC-S03" in s.stop.causes
    assert s.firearms[firearm].out_of_service
    alert = d.events_of(ev.ALERT_RAISED)[-1]
    assert alert.data["rule"] == "SC-S03" and alert.data["to"] == ["everyone"]


def test_s03_reported_unplanned(ready: Day) -> None:
    assert ready.load().verdict == "accepted"
    out = ready.run("discharge", "lead", firearm="g1", planned=False, rounds=1)
    assert_discharge_alert(ready, out, "g1")
    assert ready.state.lots["b1"].expended == 1


def test_s03_planned_but_no_approved_fire_blanks_setup(ready: Day) -> None:
    ready.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    out = ready.run("discharge", "ad", firearm="g2", planned=True, rounds=1)
    assert_discharge_alert(ready, out, "g2")
    assert out.events[0].data["planned"] is False
    assert out.events[0].data["unattributed"] == 1


def test_s03_discharge_after_the_setup_completed_is_unplanned(ready: Day) -> None:
    ready.ok("complete_setup", "ad", setup="s1")
    out = ready.run("discharge", "ad", firearm="g1", planned=True, rounds=1)
    assert_discharge_alert(ready, out, "g1")


def test_s03_near_miss_planned_discharge_in_the_approved_setup(ready: Day) -> None:
    assert ready.load().verdict == "accepted"
    ready.issue()
    out = ready.run("discharge", "ad", firearm="g1", planned=True, rounds=2)
    assert out.verdict == "accepted" and out.alerts == ()
    s = ready.state
    assert s.stop is None and s.firearms["g1"].out_of_service is None
    assert s.firearms["g1"].rounds == 4 and s.lots["b1"].expended == 2


# -- SC-S04 out of service until inspected barrel clear --------------------------------------------


def test_s04_misfire_takes_the_firearm_out_of_service(ready: Day) -> None:
    ready.ok("report_misfire", "lead", firearm="g1")
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    out = ready.run("load", firearm="g1", lot="b1", rounds=6)
    assert out.verdict == "refused" and out.rules == ("SC-S04",)
    assert ready.issue().rules == ("SC-S04",)
    ready.ok("inspect_firearm", firearm="g1", barrel_clear=False)
    assert ready.issue().rules == ("SC-S04",)
    ready.ok("inspect_firearm", firearm="g1", barrel_clear=True)
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).verdict == "accepted"
    assert ready.issue().verdict == "accepted"


def test_s04_barrel_not_clear_puts_a_firearm_out_of_service(ready: Day) -> None:
    ready.ok("inspect_firearm", firearm="g1", barrel_clear=False)
    assert ready.state.firearms["g1"].out_of_service
    assert ready.issue().rules == ("SC-S04",)


def test_s04_near_miss_a_firearm_in_service_is_issued(ready: Day) -> None:
    ready.ok("report_misfire", "lead", firearm="g1")
    ready.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    ready.plan("s2", ["g2"], ["lead"])
    assert ready.issue("g2", setup="s2").verdict == "accepted"


# -- SC-S05 barrel inspection before blanks after dummies ------------------------------------------


def test_s05_blanks_after_dummies_need_a_barrel_inspection(ready: Day) -> None:
    assert ready.load("g1", "d1", 6).verdict == "accepted"
    ready.ok("unload", firearm="g1")
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    out = ready.run("load", firearm="g1", lot="b1", rounds=6)
    assert out.verdict == "refused" and out.rules == ("SC-S05",)
    ready.ok("inspect_firearm", firearm="g1", barrel_clear=True)
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).verdict == "accepted"


def test_s05_near_miss_a_firearm_never_inspected_counts_as_inspected(ready: Day) -> None:
    assert ready.state.firearms["g1"].dummies_since_inspection is False
    assert ready.load("g1", "b1", 6).verdict == "accepted"


# -- SC-S06 (GUARD) concerns from earlier days block start_day -------------------------------------


def concern_yesterday(**policy: Any) -> Day:
    d = ready_day(policy or None)
    d.ok("report_concern", "crew", concern="c1", text="the cart was left open at lunch")
    d.secure_all()
    d.wrap()
    d.wait(hours=24)
    return d


def test_s06_start_day_refused_with_an_unacknowledged_concern_from_an_earlier_day() -> None:
    d = concern_yesterday()
    out = d.run("start_day", "arm", day="2024-03-05", armorer="arm")
    assert out.verdict == "refused" and out.rules == ("SC-S06",)
    assert d.state.day is None
    assert d.state.concerns["c1"].acknowledged_by is None  # never deleted


@pytest.mark.parametrize(
    "override",
    [
        {"by": ["arm"], "reason": "we looked at it"},  # not a producer
        {"by": ["ss"], "reason": "we looked at it"},
        {"by": ["prod"], "reason": ""},
    ],
)
def test_s06_wrong_override_is_refused(override: dict[str, Any]) -> None:
    d = concern_yesterday()
    out = d.run("start_day", "arm", day="2024-03-05", armorer="arm", override=override)
    assert out.rules == ("SC-S06",)


def test_s06_producer_override_is_accepted_and_recorded() -> None:
    d = concern_yesterday()
    override = {"by": ["prod"], "reason": "cart replaced by a truck safe; ack follows"}
    out = d.run("start_day", "arm", day="2024-03-05", armorer="arm", override=override)
    assert out.verdict == "accepted"
    assert out.decision.overridden == ("SC-S06",)
    started = out.events[-1]
    assert started.type == ev.DAY_STARTED and started.data["override"] == override


def test_s06_near_miss_acknowledged_concern() -> None:
    d = concern_yesterday()
    d.ok("acknowledge_concern", "ss", concern="c1", response="carts are banned")
    assert d.run("start_day", "arm", day="2024-03-05", armorer="arm").verdict == "accepted"


def test_s06_near_miss_concern_raised_today_does_not_block() -> None:
    d = ready_day()
    d.secure_all()
    d.wrap()
    d.wait(hours=1)
    d.ok("report_concern", "crew", concern="c1", text="loud")
    assert d.run("start_day", "arm", day="2024-03-04", armorer="arm").verdict == "accepted"


def test_s02_each_sign_off_says_who_is_still_to_sign(ready: Day) -> None:
    from showclear.domain.rules.stopwork import missing_signoffs

    ready.ok("stop_work", "crew", reason="smoke on set")
    first = ready.run("resume_work", "prod")
    assert "Still to sign: armorer, safety supervisor." in first.message
    second = ready.run("resume_work", "arm")
    assert "Still to sign: safety supervisor." in second.message
    assert ready.state.stop is not None
    assert missing_signoffs(ready.state, ready.state.stop.signoffs) == ["safety_supervisor"]
    last = ready.run("resume_work", "ss")
    assert "Work resumes" in last.message and ready.state.stop is None
