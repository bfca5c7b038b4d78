"""A. Ammunition: SC-A01 .. SC-A08, each refusing (or alerting) and a near miss that passes."""

from __future__ import annotations

from showclear.domain import events as ev

from .conftest import Day, ready_day

# -- SC-A01 live ammunition never enters ---------------------------------------------------------


def test_a01_live_lot_is_refused(ready: Day) -> None:
    out = ready.run("receive_ammo", lot="x", kind="live", caliber="9mm", count=10, vendor="v")
    assert out.verdict == "refused"
    assert out.rules == ("SC-A01",)
    assert "x" not in ready.state.lots


def test_a01_near_miss_blank_lot_is_received(ready: Day) -> None:
    out = ready.run("receive_ammo", lot="x", kind="blank", caliber="9mm", count=10, vendor="v")
    assert out.verdict == "accepted"
    assert ready.state.lots["x"].received == 10
    assert ready.state.lots["x"].custodian.id == "arm"


# -- SC-A02 live round reported -----------------------------------------------------------------


def test_a02_live_round_stops_quarantines_vendor_and_sidelines_firearms() -> None:
    d = ready_day()
    d.ok("receive_ammo", lot="d2", kind="dummy", caliber="9mm", count=20, vendor="vendor-a")
    d.ok("register_firearm", firearm="g2", kind="real_firing", caliber="9mm")
    d.ok("register_firearm", firearm="g3", kind="real_firing", caliber="9mm")
    assert d.load("g2", "d1", 3).verdict == "accepted"  # g2 touched lot d1 today
    assert d.load("g1", "b1", 2).verdict == "accepted"  # g1 only touched b1 (vendor-b)
    out = d.run("report_live_round", "crew", lot="d1", note="rattled wrong")
    assert out.verdict == "accepted"
    assert out.alerts == ("SC-A02",)
    s = d.state
    assert s.stop is not None and "SC-A02" in s.stop.causes
    # the named lot and every lot of the same vendor; not the other vendor's
    assert s.lots["d1"].quarantined and s.lots["d2"].quarantined
    assert s.lots["b1"].quarantined is None
    # every firearm loaded from a quarantined lot today; the others stay in service
    assert s.firearms["g2"].out_of_service
    assert s.firearms["g1"].out_of_service is None
    assert s.firearms["g3"].out_of_service is None
    alert = d.events_of(ev.ALERT_RAISED)[-1]
    assert alert.data["rule"] == "SC-A02" and alert.data["to"] == ["everyone"]
    # all firearms work stopped at once
    d.ok("verify_rounds", lot="b1", count=1, method="visual")
    assert "SC-S01" in d.run("load", firearm="g3", lot="b1", rounds=1).rules


def test_a02_naming_only_a_firearm_quarantines_what_it_was_loaded_with() -> None:
    d = ready_day()
    d.ok("receive_ammo", lot="b2", kind="blank", caliber="9mm", count=20, vendor="vendor-b")
    d.ok("receive_ammo", lot="b3", kind="blank", caliber="9mm", count=20, vendor="vendor-c")
    assert d.load("g1", "b1", 2).verdict == "accepted"
    out = d.run("report_live_round", "lead", firearm="g1", note="heavy round")
    assert out.verdict == "accepted" and "SC-A02" in out.alerts
    s = d.state
    assert s.lots["b1"].quarantined and s.lots["b2"].quarantined  # b1, and vendor-b's b2
    assert s.lots["b3"].quarantined is None and s.lots["d1"].quarantined is None
    assert s.firearms["g1"].out_of_service


def test_a02_near_miss_misfire_raises_no_live_round_alert(ready: Day) -> None:
    out = ready.run("report_misfire", "lead", firearm="g1")
    assert out.verdict == "accepted"
    assert out.alerts == ()
    assert ready.state.stop is None
    assert all(lot.quarantined is None for lot in ready.state.lots.values())


# -- SC-A03 inspected dummies, never from quarantine -------------------------------------------


def test_a03_uninspected_dummy_lot_is_refused_then_usable_after_full_inspection() -> None:
    d = ready_day()
    d.ok("receive_ammo", lot="d2", kind="dummy", caliber="9mm", count=20, vendor="vendor-a")
    d.ok("verify_rounds", lot="d2", count=6, method="rattle")
    out = d.run("load", firearm="g1", lot="d2", rounds=6)
    assert out.verdict == "refused" and out.rules == ("SC-A03",)
    d.ok("inspect_lot", lot="d2", method="rattle", checked=19, failed=0)  # not every round
    assert d.run("load", firearm="g1", lot="d2", rounds=6).rules == ("SC-A03",)
    d.ok("inspect_lot", lot="d2", method="rattle", checked=20, failed=0)
    out = d.run("load", firearm="g1", lot="d2", rounds=6)
    assert out.verdict == "accepted"
    assert d.state.firearms["g1"].loaded == (("d2", 6),)


def test_a03_failed_round_quarantines_the_lot_for_good() -> None:
    d = ready_day()
    d.ok("receive_ammo", lot="d2", kind="dummy", caliber="9mm", count=20, vendor="vendor-a")
    out = d.ok("inspect_lot", lot="d2", method="drilled_case", checked=20, failed=1)
    assert [e.type for e in out.events] == [ev.LOT_INSPECTED, ev.LOT_QUARANTINED]
    assert d.state.lots["d2"].quarantined
    d.ok("verify_rounds", lot="d2", count=6, method="rattle")
    assert d.run("load", firearm="g1", lot="d2", rounds=6).rules == ("SC-A03",)
    # a later clean inspection does not lift the quarantine
    d.ok("inspect_lot", lot="d2", method="xray", checked=20, failed=0)
    assert d.run("load", firearm="g1", lot="d2", rounds=6).rules == ("SC-A03",)


def test_a03_near_miss_blank_lot_needs_no_receiving_inspection(ready: Day) -> None:
    assert ready.load("g1", "b1", 6).verdict == "accepted"


# -- SC-A04 verified rounds ------------------------------------------------------------------------


def test_a04_loading_more_than_verified_is_refused(ready: Day) -> None:
    ready.ok("verify_rounds", lot="b1", count=5, method="visual")
    out = ready.run("load", firearm="g1", lot="b1", rounds=6)
    assert out.verdict == "refused" and out.rules == ("SC-A04",)
    assert "Verify the rounds first" in out.message
    ready.ok("verify_rounds", lot="b1", count=1, method="visual")
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).verdict == "accepted"


def test_a04_after_verifying_six_loading_six_is_accepted(ready: Day) -> None:
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).verdict == "accepted"


def test_a04_each_load_spends_and_unload_gives_nothing_back(ready: Day) -> None:
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    ready.ok("load", firearm="g1", lot="b1", rounds=4)
    assert ready.run("load", firearm="g1", lot="b1", rounds=3).rules == ("SC-A04",)
    ready.ok("load", firearm="g1", lot="b1", rounds=2)
    ready.ok("unload", firearm="g1")
    assert ready.state.lots["b1"].verified == 0
    assert ready.run("load", firearm="g1", lot="b1", rounds=1).rules == ("SC-A04",)


def test_a04_verification_is_for_the_same_day_only() -> None:
    d = ready_day()
    d.ok("verify_rounds", lot="b1", count=6, method="visual")
    d.secure_all()
    d.ok("wrap_day", counts={"d1": 50, "b1": 50})
    d.wait(hours=24)
    d.ok("start_day", day="2024-03-05", armorer="arm")
    d.ok("safety_meeting", attendees=["ad", "lead"])
    d.plan("s9", ["g1"], ["lead"])
    d.ok("retrieve", firearm="g1", container="safe1")
    d.ok("retrieve", lot="b1", container="safe1")
    assert d.run("load", firearm="g1", lot="b1", rounds=6).rules == ("SC-A04",)
    d.ok("verify_rounds", lot="b1", count=6, method="visual")
    assert d.run("load", firearm="g1", lot="b1", rounds=6).verdict == "accepted"


def test_a04_verification_is_capped_by_rounds_on_hand() -> None:
    d = ready_day()
    d.ok("receive_ammo", lot="b2", kind="blank", caliber="9mm", count=4, vendor="v")
    d.ok("verify_rounds", lot="b2", count=10, method="visual")
    assert d.state.lots["b2"].verified == 4


# -- SC-A05 one kind at a time --------------------------------------------------------------------


def test_a05_dummies_into_a_firearm_holding_blanks_is_refused(ready: Day) -> None:
    assert ready.load("g1", "b1", 2).verdict == "accepted"
    ready.ok("verify_rounds", lot="d1", count=2, method="rattle")
    out = ready.run("load", firearm="g1", lot="d1", rounds=2)
    assert out.verdict == "refused" and out.rules == ("SC-A05",)
    # near miss: more blanks are fine
    assert ready.load("g1", "b1", 2).verdict == "accepted"
    assert ready.state.firearms["g1"].rounds == 4


def test_a05_blanks_into_a_firearm_holding_dummies_is_refused(ready: Day) -> None:
    assert ready.load("g1", "d1", 2).verdict == "accepted"
    ready.ok("verify_rounds", lot="b1", count=2, method="visual")
    out = ready.run("load", firearm="g1", lot="b1", rounds=2)
    assert "SC-A05" in out.rules  # SC-S05 also applies: g1 has held dummies


# -- SC-A06 caliber --------------------------------------------------------------------------------


def test_a06_wrong_caliber_is_refused(ready: Day) -> None:
    ready.ok("receive_ammo", lot="b45", kind="blank", caliber=".45 Colt", count=10, vendor="v")
    ready.ok("verify_rounds", lot="b45", count=6, method="visual")
    out = ready.run("load", firearm="g1", lot="b45", rounds=6)
    assert out.verdict == "refused" and out.rules == ("SC-A06",)


def test_a06_near_miss_matching_caliber(ready: Day) -> None:
    ready.ok("receive_ammo", lot="b9", kind="blank", caliber="9mm", count=10, vendor="v")
    assert ready.load("g1", "b9", 6).verdict == "accepted"


# -- SC-A07 blanks only where planned; nothing into rubber or airsoft ------------------------------


def test_a07_blanks_into_a_firearm_in_no_fire_blanks_setup_are_refused(ready: Day) -> None:
    ready.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    out = ready.run("load", firearm="g2", lot="b1", rounds=6)
    assert out.verdict == "refused" and out.rules == ("SC-A07",)
    # near miss: plan and approve a fire_blanks setup naming g2
    ready.plan("s2", ["g2"], ["lead"])
    assert ready.run("load", firearm="g2", lot="b1", rounds=6).verdict == "accepted"


def test_a07_setup_must_be_fire_blanks_and_approved(ready: Day) -> None:
    ready.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    ready.plan("s2", ["g2"], ["lead"], action="point")
    ready.plan("s3", ["g2"], ["lead"], approve=False)
    ready.ok("approve_setup", "arm", setup="s3")  # the 1st AD has not approved
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    assert ready.run("load", firearm="g2", lot="b1", rounds=6).rules == ("SC-A07",)
    ready.ok("approve_setup", "ad", setup="s3")
    assert ready.run("load", firearm="g2", lot="b1", rounds=6).verdict == "accepted"


def test_a07_completed_setup_no_longer_allows_blanks(ready: Day) -> None:
    ready.ok("complete_setup", "ad", setup="s1")
    ready.ok("verify_rounds", lot="b1", count=6, method="visual")
    assert ready.run("load", firearm="g1", lot="b1", rounds=6).rules == ("SC-A07",)


def test_a07_nothing_is_loaded_into_rubber_or_airsoft(ready: Day) -> None:
    for kind in ("rubber", "airsoft"):
        fid = f"toy-{kind}"
        ready.ok("register_firearm", firearm=fid, kind=kind, caliber="9mm")
        ready.ok("verify_rounds", lot="d1", count=1, method="rattle")
        out = ready.run("load", firearm=fid, lot="d1", rounds=1)
        assert out.verdict == "refused" and out.rules == ("SC-A07",)


def test_a07_blanks_never_into_a_non_firing_firearm(ready: Day) -> None:
    ready.ok("register_firearm", firearm="nf", kind="non_firing", caliber="9mm")
    ready.plan("s2", ["nf"], ["lead"])
    ready.ok("verify_rounds", lot="b1", count=1, method="visual")
    assert ready.run("load", firearm="nf", lot="b1", rounds=1).rules == ("SC-A07",)
    # near miss: dummies into a non-firing firearm are fine
    assert ready.load("nf", "d1", 1).verdict == "accepted"


# -- SC-A08 reconciliation at wrap ---------------------------------------------------------------


def test_a08_unaccounted_rounds_open_an_incident_and_alert(ready: Day) -> None:
    assert ready.load("g1", "b1", 6).verdict == "accepted"
    ready.ok("discharge", "ad", firearm="g1", planned=True, rounds=2)
    ready.secure_all()  # unloads 4 back into b1: 48 on hand
    assert ready.state.lots["b1"].on_hand == 48
    out = ready.wrap({"b1": 47})  # d1 absent from counts: reported as 0
    assert out.verdict == "accepted"
    assert out.alerts == ("SC-A08",)
    s = ready.state
    assert s.day is None
    opened = [i for i in s.incidents.values() if i.opened_by_rule == "SC-A08"]
    assert len(opened) == 1
    assert "b1" in opened[0].cause and "d1" in opened[0].cause
    wrapped = ready.events_of(ev.DAY_WRAPPED)[-1]
    assert wrapped.data["reconciliation"]["b1"]["difference"] == 1
    assert wrapped.data["reconciliation"]["d1"]["difference"] == 50
    alert = ready.events_of(ev.ALERT_RAISED)[-1]
    assert set(alert.data["to"]) == {"armorer", "safety_supervisor", "producer"}


def test_a08_near_miss_every_lot_reconciles(ready: Day) -> None:
    assert ready.load("g1", "b1", 6).verdict == "accepted"
    ready.ok("discharge", "ad", firearm="g1", planned=True, rounds=2)
    ready.secure_all()
    out = ready.wrap({"b1": 48, "d1": 50})
    assert out.verdict == "accepted" and out.alerts == ()
    assert not ready.state.incidents
