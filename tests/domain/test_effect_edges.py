"""What accepted commands cause, at the edges the drills do not reach (effects.py): each test
fails on a mutant that survived the rest of the suite (make mutate, docs/testing.md)."""

from __future__ import annotations

from showclear.domain import events as ev
from showclear.domain.parsing import command_digest

from .conftest import Day, ready_day


def test_load_boundaries(ready: Day) -> None:
    out = ready.run("load", firearm="g1", lot="b1", rounds=0)
    assert out.verdict == "refused" and out.message == "Load at least one round."
    ready.ok("verify_rounds", lot="b1", count=50, method="visual")
    ready.ok("verify_rounds", lot="b1", count=50, method="visual")  # checked twice: 100
    out = ready.run("load", firearm="g1", lot="b1", rounds=51)
    assert out.verdict == "refused" and out.message == "Lot b1 has only 50 rounds on hand."
    out = ready.run("load", firearm="g1", lot="b1", rounds=50)  # every round on hand
    assert out.verdict == "accepted"
    assert ready.state.lots["b1"].on_hand == 0


def test_retrieve_from_the_container_that_holds_it(ready: Day) -> None:
    ready.ok("register_container", container="safe2", kind="safe", lockable=True)
    ready.ok("secure", firearm="g1", container="safe1")
    out = ready.run("retrieve", firearm="g1", container="safe2")
    assert out.verdict == "refused"
    assert out.message == "Firearm g1 is not in safe2; it is with container safe1."


def test_completing_a_setup_recalls_each_firearm_out_for_it() -> None:
    d = ready_day()
    d.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    assert d.plan("s2", ["g1", "g2"], ["lead", "lead2"]).verdict == "accepted"
    assert d.issue(setup="s2").verdict == "accepted"
    assert d.issue("g2", to="lead2", setup="s2", witnesses=["lead2", "ad"]).verdict == "accepted"
    out = d.run("complete_setup", "ad", setup="s2")
    assert out.message == "Setup s2 completed; g1, g2 due back within 5 min."


def test_live_round_with_a_lot_and_a_firearm_quarantines_both_lines() -> None:
    d = ready_day()
    assert d.load("g1", "b1", 2).verdict == "accepted"
    out = d.run("report_live_round", "lead", lot="d1", firearm="g1", note="heavy")
    assert out.message == (
        "Live round reported: work stopped. lots quarantined: b1, d1; out of service: g1"
    )
    assert {d.state.lots[lot].quarantined is not None for lot in ("b1", "d1")} == {True}


def test_live_round_in_a_firearm_not_loaded_today_sidelines_it() -> None:
    d = ready_day()
    out = d.run("report_live_round", "lead", firearm="g1", note="found in the cylinder")
    assert out.message == "Live round reported: work stopped. out of service: g1"
    assert d.state.firearms["g1"].out_of_service is not None


def test_live_round_with_nothing_named_adds_no_detail() -> None:
    d = ready_day()
    out = d.run("report_live_round", "crew", note="a round on the floor")
    assert out.message == "Live round reported: work stopped."
    alert = d.events_of(ev.ALERT_RAISED)[-1]
    assert alert.data["message"] == "LIVE ROUND REPORTED. All firearms work is stopped."


def test_a_third_unaccounted_incident_of_a_day_gets_the_next_free_number(ready: Day) -> None:
    base = f"unaccounted-{ready.state.day.day.isoformat()}"  # type: ignore[union-attr]
    ready.ok("file_incident", "ss", incident=base, cause="an earlier count")
    ready.ok("file_incident", "ss", incident=f"{base}-2", cause="a second count")
    ready.secure_all()
    out = ready.wrap(counts={"d1": 49, "b1": 50})
    assert out.verdict == "accepted"
    assert f"incident {base}-3" in out.message


def test_a_vendor_licence_expiring_today_is_still_valid() -> None:
    d = ready_day()
    today = d.clock.date().isoformat()
    out = d.run("approve_vendor", "prod", vendor="v", name="V", licence="L-1",
                licence_expires=today, agreed_by="arm")  # fmt: skip
    assert out.message == f"Vendor v (V) approved: licence L-1, valid through {today}."


def test_corrections_name_an_event_that_exists_and_say_why(ready: Day) -> None:
    last = ready.state.version
    first = ready.run(
        "correct", extra=True, corrects=1, reason="typo in the title", changes={"title": "T"}
    )
    assert first.message == "Correction to event 1 recorded; the original stays."
    assert (
        ready.run("correct", extra=True, corrects=last + 1, reason="r", changes={}).verdict
        == "accepted"
    )
    beyond = ready.state.version + 1
    out = ready.run("correct", extra=True, corrects=beyond, reason="r", changes={})
    assert out.message == f"There is no event {beyond} in this production to correct."
    out = ready.run("correct", extra=True, corrects=1, reason="  ", changes={})
    assert out.message == "Say why the record is corrected."


def test_every_event_of_a_command_carries_its_id_and_digest(ready: Day) -> None:
    """What lets the shell answer a repeated submission once, and tell a reused ID apart."""
    cmd = ready.cmd("verify_rounds", lot="b1", count=6, method="visual", command_id="tab-7-42")
    out = ready.run("verify_rounds", lot="b1", count=6, method="visual", command_id="tab-7-42")
    assert out.verdict == "accepted" and out.events
    for event in out.events:
        assert event.data["command_id"] == "tab-7-42"
        assert event.data["command_digest"] == command_digest(cmd)
    assert "command_id" not in ready.run("safety_meeting", attendees=["ad"]).events[0].data


def test_a_lot_whose_every_checked_round_failed_is_quarantined(ready: Day) -> None:
    out = ready.run("inspect_lot", lot="b1", method="visual", checked=5, failed=5)
    assert out.message == "Lot b1 quarantined: 5 of 5 rounds failed visual inspection."
    assert ready.state.lots["b1"].quarantined is not None
