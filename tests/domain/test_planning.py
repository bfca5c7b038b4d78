"""P. Planning and firing: SC-P01 .. SC-P05, with the GUARD overrides of SC-P02 and SC-P04."""

from __future__ import annotations

from typing import Any

import pytest

from showclear.domain import events as ev

from .conftest import CAST, Day, ready_day

# -- SC-P01 approvals by the armorer and the 1st AD; a change withdraws them -------------------


def test_p01_only_the_armorer_and_the_1st_ad_approve(ready: Day) -> None:
    ready.plan("s2", ["g1"], ["lead"], approve=False)
    out = ready.run("approve_setup", "ss", setup="s2")
    assert out.verdict == "refused" and out.rules == ("SC-P01",)
    assert "SC-R05" not in out.rules
    assert ready.run("approve_setup", "prod", setup="s2").rules == ("SC-P01",)


def test_p01_unknown_setup(ready: Day) -> None:
    assert ready.run("approve_setup", "arm", setup="nope").rules == ("SC-P01",)
    assert ready.run("complete_setup", "ad", setup="nope").rules == ("SC-P01",)


def test_p01_setup_usable_only_after_both_approve(ready: Day) -> None:
    ready.plan("s2", ["g1"], ["lead2"], approve=False)
    assert ready.issue(to="lead2", setup="s2").rules == ("SC-C04",)
    ready.ok("approve_setup", "arm", setup="s2")
    assert ready.issue(to="lead2", setup="s2").rules == ("SC-C04",)
    out = ready.run("approve_setup", "ad", setup="s2")
    assert out.verdict == "accepted" and out.events[-1].data["approved"] is True
    assert ready.issue(to="lead2", setup="s2").verdict == "accepted"


def test_p01_one_person_with_both_roles_counts_once() -> None:
    d = ready_day()
    d.add_people({"both": ["armorer", "first_ad"]})
    d.plan("s2", ["g1"], ["lead2"], actor="both", approve=False)
    d.ok("approve_setup", "both", setup="s2")
    assert not d.state.setup_approved(d.state.setups["s2"])
    assert d.issue(to="lead2", setup="s2").rules == ("SC-C04",)
    d.ok("approve_setup", "ad", setup="s2")
    assert d.issue(to="lead2", setup="s2").verdict == "accepted"


def test_p01_changing_a_setup_withdraws_its_approvals(ready: Day) -> None:
    out = ready.plan("s1", ["g1"], ["lead"], approve=False, scene="12B")
    assert out.verdict == "accepted" and out.events[-1].data["revised"] is True
    assert ready.state.setups["s1"].approvals == frozenset()
    assert ready.issue().rules == ("SC-C04",)
    ready.ok("verify_rounds", lot="b1", count=1, method="visual")
    assert ready.run("load", firearm="g1", lot="b1", rounds=1).rules == ("SC-A07",)
    ready.ok("approve_setup", "arm", setup="s1")
    ready.ok("approve_setup", "ad", setup="s1")
    assert ready.issue().verdict == "accepted"


# -- SC-P02 (GUARD) safe distance and shields for blanks toward people -----------------------------


def toward(d: Day, distance: float, override: dict[str, Any] | None = None, **kw: Any) -> Any:
    fields: dict[str, Any] = {"toward_people": True, "distance_m": distance, "shields": True}
    fields.update(kw)
    if override is not None:
        fields["override"] = override
    return d.plan("s2", ["g1"], ["lead"], approve=False, **fields)


def test_p02_too_close_is_refused_without_override(ready: Day) -> None:
    out = toward(ready, 4.0)
    assert out.verdict == "refused" and out.rules == ("SC-P02",)
    assert "s2" not in ready.state.setups


def test_p02_no_shields_or_remote_camera_is_refused(ready: Day) -> None:
    out = toward(ready, 8.0, shields=False, remote_camera=False)
    assert out.rules == ("SC-P02",)


@pytest.mark.parametrize(
    "override",
    [
        {"by": ["arm"], "reason": "special close-quarters blanks"},  # safety supervisor missing
        {"by": ["ss"], "reason": "special close-quarters blanks"},  # armorer missing
        {"by": ["arm", "ad"], "reason": "special close-quarters blanks"},  # ad is no supervisor
        {"by": ["arm", "ss"], "reason": ""},  # no reason
        {"by": ["arm", "ss"], "reason": "   "},
        {"by": [], "reason": "special close-quarters blanks"},
    ],
)
def test_p02_wrong_override_is_refused(ready: Day, override: dict[str, Any]) -> None:
    out = toward(ready, 4.0, override=override)
    assert out.verdict == "refused" and out.rules == ("SC-P02",)


def test_p02_one_person_holding_both_roles_cannot_override_alone() -> None:
    d = ready_day()
    d.add_people({"armss": ["armorer", "safety_supervisor"]})
    out = toward(d, 4.0, override={"by": ["armss"], "reason": "special blanks"})
    assert out.rules == ("SC-P02",)
    out = toward(d, 4.0, override={"by": ["armss", "ss"], "reason": "special blanks"})
    assert out.verdict == "accepted"


def test_p02_right_override_is_accepted_and_recorded(ready: Day) -> None:
    override = {"by": ["arm", "ss"], "reason": "close-quarters special blanks"}
    out = toward(ready, 4.0, override=override)
    assert out.verdict == "accepted"
    assert out.decision.overridden == ("SC-P02",)
    assert "Override recorded" in out.message
    planned = out.events[-1]
    assert planned.type == ev.SETUP_PLANNED
    assert planned.data["override"] == override


def test_p02_near_miss_at_the_minimum_with_a_remote_camera(ready: Day) -> None:
    out = toward(ready, 6.1, shields=False, remote_camera=True)
    assert out.verdict == "accepted"
    assert "override" not in out.events[-1].data


def test_p02_does_not_apply_to_pointing_or_away_from_people(ready: Day) -> None:
    out = toward(ready, 4.0, action="point", shields=False)
    assert out.verdict == "accepted"


# -- SC-P03 hard minimum, override or not --------------------------------------------------------


def test_p03_under_the_hard_minimum_even_with_override(ready: Day) -> None:
    override = {"by": ["arm", "ss"], "reason": "close-quarters special blanks"}
    out = toward(ready, 2.9, override=override)
    assert out.verdict == "refused" and out.rules == ("SC-P03",)
    assert toward(ready, 2.9).rules == ("SC-P02", "SC-P03")


def test_p03_near_miss_at_the_hard_minimum_with_override(ready: Day) -> None:
    override = {"by": ["arm", "ss"], "reason": "close-quarters special blanks"}
    assert toward(ready, 3.0, override=override).verdict == "accepted"


def test_p03_follows_policy() -> None:
    d = ready_day({"hard_min_distance_m": 5.0})
    override = {"by": ["arm", "ss"], "reason": "special blanks"}
    assert toward(d, 4.0, override=override).rules == ("SC-P03",)


# -- SC-P04 (GUARD) rehearsals use replicas --------------------------------------------------------


def rehearse(d: Day, firearm: str = "g1", override: dict[str, Any] | None = None) -> Any:
    kw: dict[str, Any] = {"rehearsal": True}
    if override is not None:
        kw["override"] = override
    return d.plan("r1", [firearm], ["lead"], action="point", approve=False, **kw)


def test_p04_rehearsal_with_a_blank_firing_firearm_is_refused(ready: Day) -> None:
    out = rehearse(ready)
    assert out.verdict == "refused" and out.rules == ("SC-P04",)


@pytest.mark.parametrize(
    "override",
    [
        {"by": ["ad"], "reason": "the replica is broken"},
        {"by": ["prod"], "reason": "the replica is broken"},
        {"by": ["arm"], "reason": ""},
    ],
)
def test_p04_wrong_override_is_refused(ready: Day, override: dict[str, Any]) -> None:
    assert rehearse(ready, override=override).rules == ("SC-P04",)


@pytest.mark.parametrize("by", ["arm", "arm2"])  # any person with the armorer role
def test_p04_armorer_override_is_accepted_and_recorded(ready: Day, by: str) -> None:
    override = {"by": [by], "reason": "the replica is broken"}
    out = rehearse(ready, override=override)
    assert out.verdict == "accepted"
    assert out.decision.overridden == ("SC-P04",)
    assert out.events[-1].data["override"] == override


def test_p04_real_firing_too(ready: Day) -> None:
    ready.ok("register_firearm", firearm="rf", kind="real_firing", caliber="9mm")
    assert rehearse(ready, "rf").rules == ("SC-P04",)


@pytest.mark.parametrize("kind", ["non_firing", "rubber", "airsoft"])
def test_p04_near_miss_rehearsal_with_a_replica(ready: Day, kind: str) -> None:
    ready.ok("register_firearm", firearm="rep", kind=kind, caliber="9mm")
    assert rehearse(ready, "rep").verdict == "accepted"


def test_one_override_serves_every_guard_rule_it_satisfies() -> None:
    d = ready_day()
    override = {"by": ["arm", "ss"], "reason": "special close-quarters blank, rehearsed"}
    out = d.plan(
        "s2",
        ["g1"],
        ["lead"],
        approve=False,
        rehearsal=True,
        toward_people=True,
        distance_m=4.0,
        shields=True,
        override=override,
    )
    assert out.verdict == "accepted"
    assert out.decision.overridden == ("SC-P02", "SC-P04")


# -- SC-P05 production policy against firing-capable firearms -------------------------------------


@pytest.mark.parametrize("kind", ["real_firing", "blank_firing"])
def test_p05_policy_refuses_firing_capable(kind: str) -> None:
    d = Day(policy={"allow_firing_capable": False})
    d.add_people(CAST)
    out = d.run("register_firearm", firearm="x", kind=kind, caliber="9mm")
    assert out.verdict == "refused" and out.rules == ("SC-P05",)
    assert "x" not in d.state.firearms


@pytest.mark.parametrize("kind", ["non_firing", "rubber", "airsoft"])
def test_p05_near_miss_replicas_are_registered(kind: str) -> None:
    d = Day(policy={"allow_firing_capable": False})
    d.add_people(CAST)
    assert d.run("register_firearm", firearm="x", kind=kind, caliber="9mm").verdict == "accepted"


def test_p05_policy_change_applies_from_the_next_command(ready: Day) -> None:
    ready.ok("set_policy", "prod", policy={"allow_firing_capable": False}, agreed_by="arm")
    out = ready.run("register_firearm", firearm="x", kind="real_firing", caliber="9mm")
    assert out.rules == ("SC-P05",)
    assert "g1" in ready.state.firearms  # never retroactive
