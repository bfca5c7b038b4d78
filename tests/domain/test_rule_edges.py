"""Rules at the edges the drills do not reach: each test fails on a mutant that survived the
rest of the suite (make mutate, docs/testing.md lists which test kills which survivor).

Most pin the exact words of a refusal where a branch shapes them: several problems at once,
more items than a message lists, a lot rather than a firearm, no day running.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from showclear.domain import rules
from showclear.domain.rules import REGISTRY, Rule, rules_for

from .conftest import FAR, START, Day, cast_day, ready_day

# -- custody -----------------------------------------------------------------------------------


def test_c02_a_lot_in_a_container_is_not_disposed_of_from_there(ready: Day) -> None:
    ready.ok("secure", lot="d1", container="safe1")
    out = ready.run("dispose", lot="d1", how="returned", to="vendor-a", count=50)
    assert out.rules == ("SC-C02",)
    assert "Lot d1 is locked in container safe1: it leaves from the armorer's hands." in out.message
    assert "Retrieve d1 from safe1 first." in out.message


def test_c02_securing_a_lot_someone_else_holds(ready: Day) -> None:
    out = ready.run("secure", "ad", lot="d1", container="safe1")
    assert out.rules == ("SC-C02",)
    assert "Only the custodian secures lot d1; it is held by arm." in out.message
    assert "The custodian secures it." in out.message
    ready.ok("secure", lot="d1", container="safe1")
    out = ready.run("secure", lot="d1", container="safe1")
    assert "The custodian secures it, or retrieve it first." in out.message


def test_c01_the_refusal_says_what_only_the_armory_does(ready: Day) -> None:
    assert ready.load().verdict == "accepted"
    out = ready.run("unload", "ad", firearm="g1")
    assert "Only the armorer on duty or the day's assistant armorer unloads; ad is neither" in (
        out.message
    )


def test_c01_load_says_how_to_get_the_firearm_back(ready: Day) -> None:
    assert ready.issue().verdict == "accepted"
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    out = ready.run("load", firearm="g1", lot="b1", rounds=6)
    assert "Get g1 back first (return)." in out.message
    ready.ok("return", firearm="g1", from_="lead")
    ready.ok("secure", firearm="g1", container="safe1")
    out = ready.run("load", firearm="g1", lot="b1", rounds=6)
    assert "Get g1 back first (retrieve)." in out.message


def test_c06_yesterdays_meeting_does_not_count_once_the_day_is_wrapped() -> None:
    d = ready_day()
    d.secure_all()
    assert d.wrap().verdict == "accepted"
    d.ok("retrieve", firearm="g1", container="safe1")
    out = d.issue()
    assert "SC-M03" in out.rules and "SC-C06" in out.rules


@pytest.mark.parametrize(
    ("out", "listed"), [(5, "g1, g2, g3, g4, g5)"), (6, "g1, g2, g3, g4, g5...)")]
)
def test_c09_lists_five_busy_firearms_then_dots(ready: Day, out: int, listed: str) -> None:
    for n in range(2, out + 1):
        ready.ok("register_firearm", firearm=f"g{n}", kind="blank_firing", caliber="9mm")
    refused = ready.run("assign_task", "ad", person="arm", task="props")
    assert refused.rules == ("SC-C09",)
    assert f"arm is the armorer on duty and firearms are out ({listed}: " in refused.message


def test_c11_a_disposed_firearm_does_not_hide_the_next_one(ready: Day) -> None:
    ready.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    ready.secure_all()
    ready.ok("retrieve", firearm="g1", container="safe1")
    ready.ok("dispose", firearm="g1", how="returned", to="vendor-a")
    ready.ok("retrieve", firearm="g2", container="safe1")
    out = ready.wrap()
    assert out.rules == ("SC-C11",)
    assert "Cannot wrap: g2 is not in a locked container." in out.message


# -- inventory -----------------------------------------------------------------------------------


def test_v01_every_problem_of_an_approval_is_named() -> None:
    d = cast_day()
    out = d.run("approve_vendor", "arm", vendor="v", name="V", licence="L",
                licence_expires=FAR, agreed_by="arm")  # fmt: skip
    assert out.rules == ("SC-V01",)
    assert (
        "A vendor is approved by a producer with an armorer agreeing: arm is not a producer; "
        "agreed_by must be another person with the armorer role, not arm."
    ) in out.message


def test_v02_every_problem_of_a_disposition_is_named_once_with_its_steps(ready: Day) -> None:
    assert ready.load("g1", "b1", 2).verdict == "accepted"
    out = ready.run("dispose", firearm="g1", how="destroyed", to="vendor-a")
    assert out.rules == ("SC-V02",)
    assert (
        "Cannot record this disposition: g1 is loaded (2 rounds): only an unloaded firearm "
        "leaves; a destroyed item goes to no one; a destruction needs a witness."
    ) in out.message
    assert (
        "Unload g1 first. Leave out `to`. Name a safety supervisor or producer who watches it "
        "(witness)."
    ) in out.message


def test_v01_a_destruction_never_asks_for_an_approved_vendor() -> None:
    d = ready_day()
    d.ok("set_policy", "prod", policy={"require_approved_vendors": True}, agreed_by="arm")
    out = d.run("dispose", firearm="g1", how="destroyed", to="nobody-approved", witness="ss")
    assert out.rules == ("SC-V02",)  # `to` is wrong for a destruction, not an unapproved vendor


def test_v02_a_firearm_and_a_lot_both_gone(ready: Day) -> None:
    ready.ok("dispose", firearm="g1", how="returned", to="vendor-a")
    ready.ok("dispose", lot="b1", how="returned", to="vendor-b", count=50)
    ready.ok("verify_rounds", lot="d1", count=6, method="visual")
    out = ready.run("load", firearm="g1", lot="b1", rounds=1)
    (v02,) = [v for v in out.decision.violations if v.rule == "SC-V02"]
    assert v02.reason == (
        "Firearm g1 and lot b1 have left the production (disposed of): neither is used or moved "
        "again."
    )
    assert v02.next_step == "Use another firearm or lot; its history stays on the record."


def test_v02_a_gone_item_is_named_by_its_id_as_written(ready: Day) -> None:
    """Only the sentence's first letter is capitalised: an ID keeps its own letters."""
    ready.ok("register_firearm", firearm="AK-7", kind="non_firing", caliber="-")
    ready.ok("dispose", firearm="AK-7", how="returned", to="vendor-a")
    out = ready.run("secure", firearm="AK-7", container="safe1")
    (v02,) = [v for v in out.decision.violations if v.rule == "SC-V02"]
    assert v02.reason == (
        "Firearm AK-7 has left the production (disposed of): it is never used or moved again."
    )


@pytest.mark.parametrize("left", [8, 9])
def test_v02_closing_lists_eight_items_left_then_how_many_more(left: int) -> None:
    d = cast_day()
    d.ok("dispose", firearm="g1", how="returned", to="vendor-a")
    d.ok("dispose", lot="d1", how="returned", to="vendor-a", count=50)
    for n in range(left - 1):
        d.ok("register_firearm", firearm=f"f{n}", kind="non_firing", caliber="-")
    out = d.run("close_production", "prod", agreed_by="arm")
    assert out.rules == ("SC-V02",)
    if left == 8:
        assert "disposition: f0, f1, f2, f3, f4, f5, f6, lot b1. " in out.message
    else:
        assert "disposition: f0, f1, f2, f3, f4, f5, f6, f7 and 1 more. " in out.message


def test_v02_one_round_left_in_a_lot_is_still_left() -> None:
    d = cast_day()
    d.ok("dispose", firearm="g1", how="returned", to="vendor-a")
    d.ok("dispose", lot="d1", how="returned", to="vendor-a", count=50)
    d.ok("receive_ammo", lot="one", kind="dummy", caliber="9mm", count=1, vendor="vendor-a")
    d.ok("dispose", lot="b1", how="returned", to="vendor-b", count=50)
    out = d.run("close_production", "prod", agreed_by="arm")
    assert out.rules == ("SC-V02",) and "lot one" in out.message


# -- people --------------------------------------------------------------------------------------


def test_m04_a_classed_firearm_with_no_day_running() -> None:
    d = cast_day()
    d.ok("register_firearm", firearm="rev", kind="real_firing", caliber=".38", class_="handgun")
    out = d.run("load", firearm="rev", lot="d1", rounds=6)
    assert "SC-M04" in out.rules
    (m04,) = [v for v in out.decision.violations if v.rule == "SC-M04"]
    assert m04.reason == "rev is a handgun and no armorer is on duty to hold a licence for it."
    assert m04.next_step == "Start the day with an armorer licensed for this class."


def test_m04_with_no_day_names_a_two_word_class_in_words() -> None:
    d = cast_day()
    d.ok("register_firearm", firearm="sbs", kind="real_firing", caliber="12", class_="short_barrel")
    out = d.run("issue", firearm="sbs", to="lead", setup="s1", shown=True, witnesses=["lead"])
    (m04,) = [v for v in out.decision.violations if v.rule == "SC-M04"]
    assert m04.reason == "sbs is a short barrel and no armorer is on duty to hold a licence for it."


def test_m02_training_is_judged_on_the_days_date_after_midnight() -> None:
    d = cast_day()
    d.ok("add_person", "prod", person="p3", name="P3", roles=["performer"])
    d.ok("add_credential", "prod", person="p3", kind="firearms_training",
         expires=START.date().isoformat())  # fmt: skip
    d.ok("start_day", day=START.date().isoformat(), armorer="arm")
    d.ok("safety_meeting", attendees=["ad", "p3"])
    assert d.plan("s1", ["g1"], ["p3"]).verdict == "accepted"
    d.clock = START.replace(hour=0, minute=30) + timedelta(days=1)  # a night shoot
    assert d.issue(to="p3", witnesses=["p3", "ad"]).verdict == "accepted"


def test_r05_an_armorer_may_assist() -> None:
    d = cast_day()
    out = d.run("start_day", day=START.date().isoformat(), armorer="arm", assistant_armorer="arm2")
    assert out.verdict == "accepted"


def test_r05_role_checks_on_named_people_also_run_for_an_unknown_actor() -> None:
    d = cast_day()
    out = d.run("set_policy", "ghost", policy={"return_minutes": 9}, agreed_by="ad")
    assert out.rules == ("SC-R02", "SC-R05")
    assert "agreed_by must be another person with the armorer role, not ad" in out.message


# -- planning and readiness ------------------------------------------------------------------------


def test_p04_rehearsal_names_every_firing_capable_firearm(ready: Day) -> None:
    ready.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    out = ready.plan("r1", ["g1", "g2"], ["lead"], rehearsal=True, approve=False)
    assert "Rehearsal with firing-capable firearms: g1, g2." in out.message


def test_f01_every_problem_of_a_handover_and_what_the_firearm_holds() -> None:
    d = ready_day()
    d.ok("receive_ammo", lot="b2", kind="blank", caliber="9mm", count=50, vendor="vendor-b")
    assert d.load("g1", "b1", 1).verdict == "accepted"
    assert d.load("g1", "b2", 1).verdict == "accepted"
    assert d.plan("s2", ["g1"], ["lead"], action="point").verdict == "accepted"
    out = d.issue(setup="s2", call="cold")
    assert "SC-F01" in out.rules
    assert (
        "Handover refused: g1 holds blanks, and setup s2 is not an approved, open fire_blanks "
        'setup naming it; it was called "cold" but g1 holds 2 blank rounds (lot b1, lot b2): '
        'the call is "hot".'
    ) in out.message
    assert (
        "Issue g1 loaded only for its fire_blanks setup; otherwise unload it first. "
        'Call it "hot" and show it to the performer and the witness.'
    ) in out.message


def test_f02_no_police_notice_and_no_day_running() -> None:
    d = cast_day({"police_notice_minutes": 30})
    out = d.run("load", firearm="g1", lot="b1", rounds=6)
    assert "SC-F02" in out.rules
    assert "No police notification for a running day is recorded" in out.message


# -- stop work -------------------------------------------------------------------------------------


def test_s01_a_stop_without_a_reason_says_so(ready: Day) -> None:
    ready.ok("stop_work", "ad", reason="")
    out = ready.load()
    assert "Work is stopped (by ad: no reason given)" in out.message


# -- the registry --------------------------------------------------------------------------------


def test_rules_for_reads_the_registry_afresh_when_a_rule_is_added(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rules, "_BY_COMMAND", {})  # a cold cache, as in a new process
    first = rules_for("issue")
    assert first == [r for r in REGISTRY if "issue" in r.commands] and len(first) > 5
    assert rules_for("issue") == first
    extra = Rule("SC-X99", "BLOCK", frozenset({"issue"}), lambda s, c: None)
    monkeypatch.setattr(rules, "REGISTRY", [*REGISTRY, extra])
    assert rules_for("issue") == [*first, extra]
    assert rules_for("wrap_day") == [r for r in REGISTRY if "wrap_day" in r.commands]
