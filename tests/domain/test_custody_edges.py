"""Custody rules at their edges: the cases a changed condition in SC-C03 or SC-C11 would get
wrong while every other test still passes (found by mutation testing, docs/testing.md)."""

from __future__ import annotations

import pytest

from .conftest import CAST, FAR, START, Day


def day_with_arm_also(role: str) -> Day:
    """ready_day()'s production, but the armorer on duty also holds `role`."""
    d = Day()
    d.add_people({**CAST, "arm": ["armorer", role]})
    d.ok("add_credential", "prod", person="arm", kind="armorer_license", expires=FAR)
    d.ok("add_credential", "prod", person="lead", kind="firearms_training", expires=FAR)
    d.ok("register_container", "arm", container="safe1", kind="safe", lockable=True)
    d.ok("register_firearm", "arm", firearm="g1", kind="blank_firing", caliber="9mm")
    d.ok("start_day", "arm", day=START.date().isoformat(), armorer="arm")
    d.ok("safety_meeting", "arm", attendees=["ad", "lead"])
    assert d.plan("s1", ["g1"], ["lead"]).verdict == "accepted"
    return d


# -- SC-C03: the witness is someone other than the performer and the armorer -------------------


@pytest.mark.parametrize("role", ["first_ad", "safety_supervisor"])
def test_c03_an_armorer_who_is_also_1st_ad_or_safety_cannot_witness_their_own_handover(
    role: str,
) -> None:
    d = day_with_arm_also(role)
    out = d.issue(witnesses=["lead", "arm"])
    assert out.verdict == "refused" and out.rules == ("SC-C03",)
    # The words say why her own PIN does not count (not "no 1st AD confirmed").
    (c03,) = out.decision.violations
    assert c03.reason == (
        "Handover not witnessed: arm makes the handover and so cannot also witness it; no other "
        "1st AD or safety supervisor confirmed."
    )
    # Near miss: the same handover witnessed by the 1st AD, who is someone else.
    assert d.issue(witnesses=["lead", "ad"]).verdict == "accepted"


def test_c03_without_a_supervisor_witness_says_so_plainly() -> None:
    d = day_with_arm_also("first_ad")
    out = d.issue(witnesses=["lead"])
    assert out.rules == ("SC-C03",)
    assert "no 1st AD or safety supervisor confirmed as a witness" in out.message
    assert "cannot also witness" not in out.message


# -- SC-C11: each loose end alone refuses the wrap, and names itself -----------------------------


def test_c11_a_firearm_in_hand_alone_refuses_the_wrap(ready: Day) -> None:
    ready.secure_all()
    ready.ok("retrieve", firearm="g1", container="safe1")
    out = ready.wrap()
    assert out.rules == ("SC-C11",)
    assert "Cannot wrap: g1 is not in a locked container." in out.message


def test_c11_a_lot_in_hand_alone_refuses_the_wrap(ready: Day) -> None:
    ready.secure_all()
    ready.ok("retrieve", lot="d1", container="safe1")
    out = ready.wrap()
    assert out.rules == ("SC-C11",)
    assert "Cannot wrap: lot d1 is not in a locked container." in out.message


def test_c11_an_issued_firearm_is_named_as_issued(ready: Day) -> None:
    ready.secure_all()
    ready.ok("retrieve", firearm="g1", container="safe1")
    assert ready.issue().verdict == "accepted"
    out = ready.wrap()
    assert "Cannot wrap: g1 is issued to lead." in out.message


def test_c11_a_loaded_firearm_locked_away_is_named_as_loaded(ready: Day) -> None:
    ready.secure_all()
    ready.ok("retrieve", firearm="g1", container="safe1")
    ready.ok("retrieve", lot="b1", container="safe1")
    assert ready.load("g1", "b1", 2).verdict == "accepted"
    ready.ok("secure", firearm="g1", container="safe1")
    ready.ok("secure", lot="b1", container="safe1")
    out = ready.wrap()
    assert "Cannot wrap: g1 is loaded (2 rounds)." in out.message


def test_c11_disposed_items_are_not_loose_ends(ready: Day) -> None:
    """A firearm or lot that has left the production is nowhere to be locked away."""
    ready.secure_all()
    ready.ok("retrieve", firearm="g1", container="safe1")
    ready.ok("retrieve", lot="d1", container="safe1")
    ready.ok("dispose", firearm="g1", how="returned", to="vendor-a")
    ready.ok("dispose", lot="d1", how="returned", to="vendor-a", count=50)
    assert ready.wrap().verdict == "accepted"
