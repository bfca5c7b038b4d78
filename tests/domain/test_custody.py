"""C. Custody: SC-C01 .. SC-C11 (the watchdogs SC-C07/C08 are in test_watchdogs.py)."""

from __future__ import annotations

import pytest

from showclear.domain.values import container, person

from .conftest import Day, ready_day

# -- SC-C01 only the armory loads, unloads, issues, takes back ------------------------------------


def test_c01_a_1st_ad_cannot_load(ready: Day) -> None:
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    out = ready.run("load", "ad", firearm="g1", lot="b1", rounds=6)
    assert out.verdict == "refused" and out.rules == ("SC-C01",)
    assert "SC-R05" not in out.rules  # the specific rule is the one cited


def test_c01_an_armorer_not_on_duty_cannot_load(ready: Day) -> None:
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    assert ready.run("load", "arm2", firearm="g1", lot="b1", rounds=6).rules == ("SC-C01",)


def test_c01_near_miss_the_designated_assistant_loads_and_issues() -> None:
    d = ready_day(assistant="ast")
    d.ok("verify_rounds", "ast", lot="b1", count=6, method="visual")
    out = d.run("load", "ast", firearm="g1", lot="b1", rounds=6)  # arm holds g1 and b1: one armory
    assert out.verdict == "accepted"
    assert d.state.firearms["g1"].custodian == person("ast")
    assert d.issue(actor="ast").verdict == "accepted"
    assert d.run("return", "arm", firearm="g1", from_="lead").verdict == "accepted"
    assert d.state.firearms["g1"].custodian == person("arm")


def test_c01_unload_and_issue_and_return_by_a_non_armorer(ready: Day) -> None:
    assert ready.load().verdict == "accepted"
    assert ready.run("unload", "ad", firearm="g1").rules == ("SC-C01",)
    assert "SC-C01" in ready.issue(actor="ad").rules
    assert ready.issue().verdict == "accepted"
    out = ready.run("return", "ad", firearm="g1", from_="lead")
    assert "SC-C01" in out.rules
    assert ready.state.firearms["g1"].issued_to == "lead"


def test_c01_load_only_while_the_armory_holds_the_firearm_and_the_lot(ready: Day) -> None:
    ready.ok("secure", firearm="g1", container="safe1")
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).rules == ("SC-C01",)
    ready.ok("retrieve", firearm="g1", container="safe1")
    ready.ok("secure", lot="b1", container="safe1")
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).rules == ("SC-C01",)
    ready.ok("retrieve", lot="b1", container="safe1")
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).verdict == "accepted"


def test_c01_unload_only_while_the_armory_holds_the_firearm(ready: Day) -> None:
    assert ready.load().verdict == "accepted"
    ready.issue()
    assert ready.run("unload", firearm="g1").rules == ("SC-C01",)
    ready.ok("return", firearm="g1", from_="lead")
    assert ready.run("unload", firearm="g1").verdict == "accepted"


# -- SC-C02 only the custodian hands on; no person-to-person passing -----------------------------


def test_c02_only_the_custodian_secures_a_lot(ready: Day) -> None:
    out = ready.run("secure", "ad", lot="b1", container="safe1")
    assert out.verdict == "refused" and out.rules == ("SC-C02",)
    assert ready.run("secure", "arm", lot="b1", container="safe1").verdict == "accepted"


def test_c02_issuing_straight_from_a_container_is_refused(ready: Day) -> None:
    ready.ok("secure", firearm="g1", container="safe1")
    out = ready.issue()
    assert out.verdict == "refused" and out.rules == ("SC-C02",)
    ready.ok("retrieve", firearm="g1", container="safe1")
    assert ready.issue().verdict == "accepted"


def test_c02_a_performer_can_only_return_the_firearm(ready: Day) -> None:
    ready.plan("s2", ["g1"], ["lead", "lead2"])
    ready.issue(setup="s2")
    out = ready.issue(actor="lead", to="lead2", setup="s2")
    assert "SC-C02" in out.rules
    out = ready.run("secure", "lead", firearm="g1", container="safe1")
    assert out.rules == ("SC-C02",)
    assert ready.state.firearms["g1"].custodian == person("lead")


def test_c02_return_from_someone_who_does_not_hold_it(ready: Day) -> None:
    ready.issue()
    out = ready.run("return", firearm="g1", from_="lead2")
    assert out.rules == ("SC-C02",)
    assert ready.run("return", firearm="g1", from_="lead").verdict == "accepted"


# -- SC-C03 show-clear / show-load, witnessed ------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "witnesses"),
    [
        (False, ["lead", "ad"]),  # not shown
        (True, ["ad"]),  # the performer did not confirm
        (True, ["lead"]),  # no 1st AD or safety supervisor
        (True, ["lead", "lead2"]),
        (True, []),
    ],
)
def test_c03_unwitnessed_handover_is_refused(ready: Day, shown: bool, witnesses: list[str]) -> None:
    out = ready.issue(shown=shown, witnesses=witnesses)
    assert out.verdict == "refused" and out.rules == ("SC-C03",)
    assert ready.state.firearms["g1"].issued_to is None


@pytest.mark.parametrize("supervisor", ["ad", "ss"])
def test_c03_near_miss_shown_to_performer_and_ad_or_safety(ready: Day, supervisor: str) -> None:
    out = ready.issue(witnesses=["lead", supervisor])
    assert out.verdict == "accepted"
    assert ready.state.firearms["g1"].issued_to == "lead"


# -- SC-C04 issued only for an approved setup naming firearm and performer ------------------------


def test_c04_performer_not_named_in_the_setup(ready: Day) -> None:
    out = ready.issue(to="lead2")
    assert out.verdict == "refused" and out.rules == ("SC-C04",)


def test_c04_unknown_unapproved_completed_or_other_firearm(ready: Day) -> None:
    assert ready.issue(setup="nope").rules == ("SC-C04",)
    ready.plan("s2", ["g1"], ["lead"], approve=False)
    ready.ok("approve_setup", "ad", setup="s2")
    assert ready.issue(setup="s2").rules == ("SC-C04",)  # armorer has not approved
    ready.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    assert ready.issue(firearm="g2").rules == ("SC-C04",)  # s1 does not name g2
    ready.ok("complete_setup", "ad", setup="s1")
    assert ready.issue().rules == ("SC-C04",)


def test_c04_setup_from_an_earlier_day_does_not_count() -> None:
    d = ready_day()
    d.secure_all()
    d.wrap()
    d.wait(hours=24)
    d.ok("start_day", day="2024-03-05", armorer="arm")
    d.ok("safety_meeting", attendees=["ad", "lead"])
    d.ok("retrieve", firearm="g1", container="safe1")
    assert d.issue().rules == ("SC-C04",)
    d.plan("s1", ["g1"], ["lead"])  # planned again today
    assert d.issue().verdict == "accepted"


# -- SC-C05 only locked storage --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "lockable"),
    [("cart", False), ("cart", True), ("table", True), ("bag", True), ("safe", False)],
)
def test_c05_not_storage_is_refused(ready: Day, kind: str, lockable: bool) -> None:
    ready.ok("register_container", container="c", kind=kind, lockable=lockable)
    out = ready.run("secure", lot="b1", container="c")
    assert out.verdict == "refused" and out.rules == ("SC-C05",)
    assert ready.run("secure", firearm="g1", container="c").rules == ("SC-C05",)
    assert ready.state.lots["b1"].custodian == person("arm")


@pytest.mark.parametrize("kind", ["safe", "lockbox", "case", "truck_safe"])
def test_c05_near_miss_locked_storage(ready: Day, kind: str) -> None:
    ready.ok("register_container", container="c", kind=kind, lockable=True)
    assert ready.run("secure", lot="b1", container="c").verdict == "accepted"
    assert ready.state.lots["b1"].custodian == container("c")


# -- SC-C06 safety meeting first -------------------------------------------------------------------


def test_c06_no_meeting_today() -> None:
    d = ready_day(meeting=False)
    out = d.issue()
    assert out.verdict == "refused" and out.rules == ("SC-C06",)
    d.ok("safety_meeting", "ad", attendees=["lead"])  # the holder attends their own meeting
    assert d.issue().verdict == "accepted"


def test_c06_meeting_without_the_1st_ad() -> None:
    d = ready_day(attendees=["lead"])  # held by the armorer; no 1st AD attended
    assert d.issue().rules == ("SC-C06",)
    d.ok("safety_meeting", "arm", attendees=["ad"])  # any meeting that day counts
    assert d.issue().verdict == "accepted"


def test_c06_meeting_without_the_performer() -> None:
    d = ready_day(attendees=["ad", "lead2"])
    assert d.issue().rules == ("SC-C06",)


def test_c06_yesterdays_meeting_does_not_count() -> None:
    d = ready_day()
    d.secure_all()
    d.wrap()
    d.wait(hours=24)
    d.ok("start_day", day="2024-03-05", armorer="arm")
    d.plan("s1", ["g1"], ["lead"])
    d.ok("retrieve", firearm="g1", container="safe1")
    assert d.issue().rules == ("SC-C06",)


# -- SC-C09 a dedicated armorer --------------------------------------------------------------------


def test_c09_armorer_gets_no_other_task_while_a_firearm_is_out(ready: Day) -> None:
    out = ready.run("assign_task", "ad", person="arm", task="dress the set")
    assert out.verdict == "refused" and out.rules == ("SC-C09",)
    # near miss: someone else can take the task
    assert ready.run("assign_task", "ad", person="crew", task="dress the set").verdict == "accepted"


def test_c09_loaded_or_issued_firearms_count_too(ready: Day) -> None:
    assert ready.load().verdict == "accepted"
    assert ready.run("assign_task", "prod", person="arm", task="x").rules == ("SC-C09",)
    ready.issue()
    assert ready.run("assign_task", "prod", person="arm", task="x").rules == ("SC-C09",)


def test_c09_near_miss_every_firearm_cold_and_locked(ready: Day) -> None:
    ready.ok("secure", firearm="g1", container="safe1")
    out = ready.run("assign_task", "ad", person="arm", task="dress the set")
    assert out.verdict == "accepted"
    assert ready.state.tasks["arm"] == "dress the set"


# -- SC-C10 one custodian --------------------------------------------------------------------------


def test_c10_an_issued_firearm_cannot_be_issued_again(ready: Day) -> None:
    ready.plan("s2", ["g1"], ["lead", "lead2"])
    assert ready.issue(setup="s2").verdict == "accepted"
    out = ready.issue(to="lead2", setup="s2", witnesses=["lead2", "ad"])
    assert out.verdict == "refused"
    # SC-C02 applies as well: the armorer no longer holds g1.
    assert "SC-C10" in out.rules
    assert ready.state.firearms["g1"].issued_to == "lead"
    assert ready.state.firearms["g1"].custodian == person("lead")


def test_c10_near_miss_returned_then_issued_again(ready: Day) -> None:
    ready.plan("s2", ["g1"], ["lead", "lead2"])
    ready.issue(setup="s2")
    ready.ok("return", firearm="g1", from_="lead")
    assert ready.issue(to="lead2", setup="s2").verdict == "accepted"
    assert ready.state.firearms["g1"].custodian == person("lead2")


# -- SC-C11 wrap only when everything is locked away -----------------------------------------------


def test_c11_wrap_refused_while_anything_is_out(ready: Day) -> None:
    out = ready.wrap()
    assert out.verdict == "refused" and out.rules == ("SC-C11",)
    assert ready.state.day is not None


def test_c11_each_kind_of_loose_end(ready: Day) -> None:
    assert ready.load("g1", "b1", 2).verdict == "accepted"
    ready.issue()
    ready.ok("secure", lot="b1", container="safe1")
    ready.ok("secure", lot="d1", container="safe1")
    assert ready.wrap().rules == ("SC-C11",)  # issued
    ready.ok("return", firearm="g1", from_="lead")
    assert ready.wrap().rules == ("SC-C11",)  # loaded, in hand
    ready.ok("secure", firearm="g1", container="safe1")
    assert ready.wrap().rules == ("SC-C11",)  # loaded, even locked away
    ready.ok("retrieve", firearm="g1", container="safe1")
    ready.ok("unload", firearm="g1")
    ready.ok("retrieve", lot="b1", container="safe1")
    ready.ok("secure", firearm="g1", container="safe1")
    assert ready.wrap().rules == ("SC-C11",)  # lot b1 in hand


def test_c11_near_miss_all_locked(ready: Day) -> None:
    ready.secure_all()
    out = ready.wrap()
    assert out.verdict == "accepted"
    assert ready.state.day is None
