"""V. Vendors and the inventory's life: SC-V01 .. SC-V04, each refusing (or alerting), and a
near miss that passes. Written from the rule texts and DRILLS.md "Vendors, dispositions,
readiness"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from showclear.domain import events as ev

from .conftest import START, Day, cast_day, ready_day

VENDORS = {"require_approved_vendors": True}
FFL = "FFL 9-95-037-01-2D-04418"


def vendors_day() -> Day:
    """cast_day(), then the policy switched to approved vendors only."""
    d = cast_day()
    d.ok("set_policy", "prod", policy=VENDORS, agreed_by="arm")
    return d


def approve(
    d: Day, vendor: str = "acme", expires: str = "2030-12-31", actor: str = "prod", **kw: Any
) -> Any:
    fields = {"vendor": vendor, "name": vendor.title(), "licence": FFL,
              "licence_expires": expires, "agreed_by": "arm"}  # fmt: skip
    fields.update(kw)
    return d.run("approve_vendor", actor, **fields)


def alerts_of(d: Day, rule: str) -> list[Any]:
    return [e for e in d.events if e.type == ev.ALERT_RAISED and e.data["rule"] == rule]


# -- SC-V01 approved vendors only -------------------------------------------------------------


def test_v01_unapproved_vendor_is_refused_when_the_policy_requires_approval() -> None:
    d = vendors_day()
    out = d.run("receive_ammo", lot="x", kind="blank", caliber="9mm", count=10, vendor="bob")
    assert out.rules == ("SC-V01",) and "bob is not an approved vendor" in out.message
    assert "x" not in d.state.lots
    out = d.run("register_firearm", firearm="r1", kind="blank_firing", caliber="9mm")
    assert out.rules == ("SC-V01",) and "names no vendor" in out.message
    assert d.run(
        "register_firearm", firearm="r1", kind="rubber", caliber="-", vendor="bob"
    ).rules == ("SC-V01",)
    assert "r1" not in d.state.firearms


def test_v01_near_miss_an_approved_vendor_is_accepted_and_recorded() -> None:
    d = vendors_day()
    assert approve(d).verdict == "accepted"
    v = d.state.vendors["acme"]
    assert (v.licence, v.approved_by, v.agreed_by) == (FFL, "prod", "arm")
    out = d.run("register_firearm", firearm="r1", kind="blank_firing", caliber="9mm",
                vendor="acme", invoice="INV-1")  # fmt: skip
    assert out.verdict == "accepted"
    f = d.state.firearms["r1"]
    assert (f.vendor, f.invoice) == ("acme", "INV-1")
    out = d.run("receive_ammo", lot="x", kind="blank", caliber="9mm", count=10, vendor="acme",
                invoice="INV-2")  # fmt: skip
    assert out.verdict == "accepted" and d.state.lots["x"].invoice == "INV-2"


def test_v01_licence_is_valid_through_its_expiry_date_judged_on_the_lines_date() -> None:
    d = vendors_day()
    assert approve(d, expires=START.date().isoformat()).verdict == "accepted"
    last = START.replace(hour=23, minute=59)
    out = d.run("register_firearm", firearm="a", kind="rubber", caliber="-", vendor="acme",
                at=last)  # fmt: skip
    assert out.verdict == "accepted"
    out = d.run("register_firearm", firearm="b", kind="rubber", caliber="-", vendor="acme",
                at=last + timedelta(minutes=2))  # fmt: skip
    assert out.rules == ("SC-V01",) and "expired" in out.message


def test_v01_approving_an_expired_vendor_is_accepted_and_renewal_restores_it() -> None:
    d = vendors_day()
    assert approve(d, expires="2020-01-01").verdict == "accepted"
    refused = d.run("receive_ammo", lot="x", kind="dummy", caliber="9mm", count=1, vendor="acme")
    assert refused.rules == ("SC-V01",)
    renewed = approve(d, expires="2031-01-01")
    assert renewed.verdict == "accepted" and renewed.events[0].data["renewed"] is True
    assert d.run("receive_ammo", lot="x", kind="dummy", caliber="9mm", count=1,
                 vendor="acme").verdict == "accepted"  # fmt: skip


def test_v01_a_vendor_is_approved_by_a_producer_with_another_person_an_armorer() -> None:
    d = cast_day()
    assert approve(d, actor="arm", agreed_by="arm2").rules == ("SC-V01",)
    assert approve(d, agreed_by="prod").rules == ("SC-V01",)
    assert approve(d, agreed_by="ad").rules == ("SC-V01",)
    assert approve(d, agreed_by="ghost").rules == ("SC-R02",)
    assert "acme" not in d.state.vendors
    assert approve(d).verdict == "accepted"


def test_v01_dispose_to_an_unapproved_vendor_is_refused() -> None:
    d = vendors_day()
    approve(d)
    d.ok("register_firearm", firearm="r1", kind="blank_firing", caliber="9mm", vendor="acme")
    out = d.run("dispose", firearm="r1", how="returned", to="bob")
    assert out.rules == ("SC-V01",)
    assert d.run("dispose", firearm="r1", how="returned", to="acme").verdict == "accepted"


def test_v01_off_by_default_vendors_are_free_text() -> None:
    d = cast_day()
    assert d.run("register_firearm", firearm="r1", kind="rubber", caliber="-").verdict == "accepted"
    assert d.run("dispose", firearm="r1", how="transferred", to="another show").verdict == (
        "accepted"
    )


# -- SC-V02 recorded dispositions -------------------------------------------------------------


def test_v02_a_loaded_firearm_or_a_lot_with_loaded_rounds_does_not_leave(ready: Day) -> None:
    assert ready.load("g1", "b1", 6).verdict == "accepted"
    assert ready.run("dispose", firearm="g1", how="returned", to="v").rules == ("SC-V02",)
    assert ready.run("dispose", lot="b1", how="returned", to="v", count=44).rules == ("SC-V02",)
    ready.ok("unload", firearm="g1")
    assert ready.run("dispose", firearm="g1", how="returned", to="v").verdict == "accepted"


def test_v02_to_and_witness_say_where_it_went(ready: Day) -> None:
    assert ready.run("dispose", firearm="g1", how="returned").rules == ("SC-V02",)
    assert ready.run("dispose", firearm="g1", how="transferred").rules == ("SC-V02",)
    assert ready.run("dispose", firearm="g1", how="destroyed").rules == ("SC-V02",)
    for witness in ("arm", "ad", "crew", "lead"):  # the actor, or neither role
        out = ready.run("dispose", firearm="g1", how="destroyed", witness=witness)
        assert out.rules == ("SC-V02",), witness
    out = ready.run("dispose", firearm="g1", how="destroyed", witness="ss", to="v")
    assert out.rules == ("SC-V02",)
    out = ready.run("dispose", firearm="g1", how="destroyed", witness="prod", reference="DC-1")
    assert out.verdict == "accepted"
    gone = ready.state.firearms["g1"].disposed
    assert gone is not None and (gone.how, gone.witness, gone.reference, gone.by) == (
        "destroyed", "prod", "DC-1", "arm")  # fmt: skip


def test_v02_an_item_leaves_from_the_armorys_hands_not_a_container_or_a_performer() -> None:
    d = ready_day()
    d.issue()
    assert d.run("dispose", firearm="g1", how="returned", to="v").rules == ("SC-C02",)
    d.ok("return", firearm="g1", from_="lead")
    d.ok("secure", firearm="g1", container="safe1")
    assert d.run("dispose", firearm="g1", how="returned", to="v").rules == ("SC-C02",)
    d.ok("retrieve", firearm="g1", container="safe1")
    assert d.run("dispose", firearm="g1", how="returned", to="v").verdict == "accepted"
    # the day's assistant acts for the armory
    d2 = ready_day(assistant="ast")
    assert d2.run("dispose", "ast", firearm="g1", how="returned", to="v").verdict == "accepted"


def test_v02_with_no_day_running_the_disposing_armorer_must_hold_it() -> None:
    d = cast_day()
    assert d.run("dispose", "arm2", firearm="g1", how="returned", to="v").rules == ("SC-C02",)
    assert d.run("dispose", "arm", firearm="g1", how="returned", to="v").verdict == "accepted"


USES = [
    ("load", {"firearm": "g1", "lot": "d1", "rounds": 1}),
    ("issue", {"firearm": "g1", "to": "lead", "setup": "s1", "shown": True,
               "witnesses": ["lead", "ad"]}),
    ("secure", {"firearm": "g1", "container": "safe1"}),
    ("retrieve", {"firearm": "g1", "container": "safe1"}),
    ("dispose", {"firearm": "g1", "how": "returned", "to": "v"}),
    ("verify_rounds", {"lot": "b1", "count": 1, "method": "visual"}),
    ("inspect_lot", {"lot": "b1", "method": "visual", "checked": 1, "failed": 0}),
    ("load", {"firearm": "g2", "lot": "b1", "rounds": 1}),
    ("secure", {"lot": "b1", "container": "safe1"}),
    ("retrieve", {"lot": "b1", "container": "safe1"}),
    ("dispose", {"lot": "b1", "how": "returned", "to": "v", "count": 50}),
]  # fmt: skip


@pytest.mark.parametrize(("type_", "fields"), USES, ids=[f"{t}-{i}" for i, (t, _) in
                                                         enumerate(USES)])  # fmt: skip
def test_v02_a_disposed_item_is_never_used_or_moved_again(type_: str, fields: Any) -> None:
    d = ready_day()
    d.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    d.ok("verify_rounds", lot="d1", count=5, method="visual")
    d.ok("verify_rounds", lot="b1", count=5, method="visual")
    d.ok("dispose", firearm="g1", how="returned", to="v")
    d.ok("dispose", lot="b1", how="returned", to="v", count=50)
    out = d.run(type_, **fields)
    assert "SC-V02" in out.rules
    assert "left the production" in out.message or "already disposed" in out.message


def test_v02_disposed_lot_has_nothing_on_hand_and_wrap_ignores_what_has_left(ready: Day) -> None:
    ready.ok("dispose", lot="b1", how="returned", to="v", count=50)
    ready.ok("dispose", firearm="g1", how="returned", to="v")
    lot = ready.state.lots["b1"]
    assert lot.on_hand == 0 and lot.received == 50 and lot.disposed is not None
    # g1 and b1 are still held by arm, not locked away: SC-C11 and SC-A08 ignore them
    ready.ok("secure", lot="d1", container="safe1")
    out = ready.wrap({"d1": 50})
    assert out.verdict == "accepted" and out.alerts == ()
    assert "b1" not in out.events[0].data["counts"]
    # the armorer is not busy with a firearm that has left (SC-C09)
    ready.ok("start_day", day=(START + timedelta(days=1)).date().isoformat(), armorer="arm",
             at=START + timedelta(days=1))  # fmt: skip
    assert ready.run("assign_task", "ad", person="arm", task="paperwork").verdict == "accepted"


def test_v02_close_production_needs_every_item_disposed_and_no_day_running() -> None:
    d = ready_day()
    out = d.run("close_production", "prod", agreed_by="arm")
    assert out.rules == ("SC-V02",) and "g1" in out.message and "lot b1" in out.message
    for item in ({"firearm": "g1"}, {"lot": "b1", "count": 50}, {"lot": "d1", "count": 50}):
        d.ok("dispose", how="returned", to="v", **item)
    out = d.run("close_production", "prod", agreed_by="arm")
    assert out.verdict == "refused" and out.rules == ()  # the day still runs
    assert d.run("close_production", "arm", agreed_by="arm2").rules == ("SC-R05",)
    assert d.run("close_production", "prod", agreed_by="ad").rules == ("SC-R05",)
    d.wrap({})
    assert d.run("close_production", "prod", agreed_by="arm").verdict == "accepted"
    assert d.state.closed
    for type_, actor, fields in (("tick", "crew", {}), ("stop_work", "lead", {"reason": "x"}),
                                 ("add_person", "prod", {"person": "z", "name": "Z",
                                                         "roles": ["crew"]})):  # fmt: skip
        out = d.run(type_, actor, **fields)
        assert out.verdict == "refused" and out.rules == () and "closed" in out.message


def test_v02_a_lot_with_nothing_on_hand_needs_no_disposition() -> None:
    d = cast_day()
    d.ok("receive_ammo", lot="e", kind="blank", caliber="9mm", count=0, vendor="v")
    for item in ({"firearm": "g1"}, {"lot": "b1", "count": 50}, {"lot": "d1", "count": 50}):
        d.ok("dispose", how="returned", to="v", **item)
    assert d.run("close_production", "prod", agreed_by="arm").verdict == "accepted"


# -- SC-V03 a lot leaving with another count --------------------------------------------------


def test_v03_count_other_than_on_hand_alerts_and_opens_an_incident(ready: Day) -> None:
    ready.ok("file_incident", "ss", incident="unaccounted-b1", cause="an earlier recount")
    out = ready.run("dispose", lot="b1", how="returned", to="v", count=48)
    assert out.verdict == "accepted" and out.alerts == ("SC-V03",)
    (alert,) = alerts_of(ready, "SC-V03")
    assert alert.data["to"] == ["armorer", "safety_supervisor", "producer"]
    inc = ready.state.incidents["unaccounted-b1-2"]  # numbered: the plain ID was taken
    assert inc.opened_by_rule == "SC-V03" and "48" in inc.cause and "50" in inc.cause
    assert ready.state.lots["b1"].on_hand == 0
    out = ready.run("dispose", lot="d1", how="destroyed", witness="ss", count=51)
    assert out.alerts == ("SC-V03",) and "unaccounted-d1" in ready.state.incidents


def test_v03_near_miss_the_papers_match_the_rounds_on_hand(ready: Day) -> None:
    assert ready.load("g1", "b1", 6).verdict == "accepted"
    ready.ok("discharge", "ad", firearm="g1", planned=True, rounds=2)
    ready.ok("unload", firearm="g1")
    out = ready.run("dispose", lot="b1", how="returned", to="v", count=48)
    assert out.verdict == "accepted" and out.alerts == ()
    assert not alerts_of(ready, "SC-V03") and ready.state.incidents == {}


# -- SC-V04 rentals due back ------------------------------------------------------------------


def rented(due: str = "2024-03-05") -> Day:
    d = cast_day()
    d.ok("register_firearm", firearm="r1", kind="blank_firing", caliber="9mm", vendor="acme",
         due_back=due)  # fmt: skip
    return d


def test_v04_alert_on_the_first_line_dated_after_due_back_and_only_once() -> None:
    d = rented("2024-03-05")
    end_of_due = datetime(2024, 3, 5, 23, 59, 59, tzinfo=START.tzinfo)
    assert d.run("tick", "crew", at=end_of_due).alerts == ()
    out = d.run("tick", "crew", at=end_of_due + timedelta(seconds=2))
    assert out.alerts == ("SC-V04",)
    (alert,) = alerts_of(d, "SC-V04")
    assert alert.data["to"] == ["armorer", "producer"]
    assert alert.data["subject"]["firearm"] == "r1" and "acme" in alert.data["message"]
    assert d.run("tick", "crew", at=end_of_due + timedelta(days=3)).alerts == ()
    assert len(alerts_of(d, "SC-V04")) == 1


def test_v04_the_lines_own_offset_decides_its_date() -> None:
    d = rented("2024-03-05")
    # 2024-03-05 20:00 at UTC-7 is 2024-03-06 12:00 at UTC+9: a line written in Tokyo is late.
    tokyo = timezone(timedelta(hours=9))
    assert d.run("tick", "crew", at=datetime(2024, 3, 5, 19, 0, tzinfo=START.tzinfo)).alerts == ()
    out = d.run("tick", "crew", at=datetime(2024, 3, 6, 12, 0, tzinfo=tokyo))
    assert out.alerts == ("SC-V04",)


def test_v04_near_miss_returned_by_the_end_of_the_due_date() -> None:
    d = rented("2024-03-05")
    d.ok("dispose", firearm="r1", how="returned", to="acme",
         at=datetime(2024, 3, 5, 23, 0, tzinfo=START.tzinfo))  # fmt: skip
    assert d.run("tick", "crew", at=datetime(2024, 3, 9, tzinfo=START.tzinfo)).alerts == ()
    assert d.state.rentals_due == {} and d.state.next_due_back is None
