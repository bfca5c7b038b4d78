"""R. Records: corrections append (SC-R01); refusals are recorded and change nothing (SC-R03).

SC-R04 (the tamper-evident ledger) is tested with the ledger; SC-R02/SC-R05 in test_people.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from showclear.domain import Malformed, State, evolve_all, handle
from showclear.domain import events as ev
from showclear.views.board import board

from .conftest import Day, ready_day

# -- SC-R01 corrections are new events; the original stays -----------------------------------------


def test_r01_correction_appends_and_the_original_stays(ready: Day) -> None:
    seq = ready.seq_of(ev.AMMO_RECEIVED, 0)  # lot d1, 50 rounds
    original = ready.events[seq - 1]
    original_data = dict(original.data)
    head = ready.state.version
    out = ready.run(
        "correct",
        "arm",
        extra=True,
        corrects=seq,
        reason="the delivery note said 48",
        changes={"count": 48},
    )
    assert out.verdict == "accepted"
    assert [e.type for e in out.events] == [ev.RECORD_CORRECTED]
    corrected = out.events[0]
    assert corrected.data["corrects"] == seq
    assert corrected.data["reason"] == "the delivery note said 48"
    assert corrected.data["changes"] == {"count": 48}
    s = ready.state
    assert s.version == head + 1
    # the original is untouched in the record and in the view; the correction sits beside it
    assert ready.events[seq - 1] is original and dict(original.data) == original_data
    assert s.lots["d1"].received == 50
    (entry,) = s.corrections[seq]
    assert entry.by == "arm" and entry.changes == {"count": 48}


def test_r01_corrections_accumulate(ready: Day) -> None:
    seq = ready.seq_of(ev.AMMO_RECEIVED, 0)
    for n in (48, 49):
        ready.ok("correct", "prod", extra=True, corrects=seq, reason="recount", changes={"n": n})
    assert [c.changes["n"] for c in ready.state.corrections[seq]] == [48, 49]


@pytest.mark.parametrize(("corrects", "reason"), [(0, "x"), (10_000, "x"), (1, " ")])
def test_r01_correction_must_name_an_event_and_a_reason(
    ready: Day, corrects: int, reason: str
) -> None:
    out = ready.run("correct", "arm", extra=True, corrects=corrects, reason=reason, changes={})
    assert out.verdict == "refused" and out.rules == ()
    assert not ready.state.corrections


def test_r01_correction_by_a_role_not_allowed(ready: Day) -> None:
    out = ready.run("correct", "crew", extra=True, corrects=1, reason="x", changes={})
    assert out.rules == ("SC-R05",)


def test_r01_correct_is_not_a_drill_line_type(ready: Day) -> None:
    with pytest.raises(Malformed) as exc:
        ready.run("correct", "arm", corrects=1, reason="x", changes={})
    assert exc.value.field == "type"


# -- SC-R03 a refusal is recorded and changes nothing else -----------------------------------------

COUNTERS = ("head", "now", "refusal_count")


def view(state: State) -> dict[str, Any]:
    b = board(state)
    for key in COUNTERS:
        b.pop(key)
    return b


Scenario = Callable[[Day], dict[str, Any]]


def refuse_load(d: Day) -> dict[str, Any]:
    return d.raw("load", "arm", d.clock, firearm="g1", lot="b1", rounds=6)


def refuse_issue(d: Day) -> dict[str, Any]:
    return d.raw(
        "issue", "arm", d.clock, firearm="g1", to="lead", setup="s1", shown=False, witnesses=[]
    )


def refuse_wrap(d: Day) -> dict[str, Any]:
    return d.raw("wrap_day", "arm", d.clock, counts={})


def refuse_resume(d: Day) -> dict[str, Any]:  # makes no sense: rules []
    return d.raw("resume_work", "arm", d.clock)


def refuse_live_lot(d: Day) -> dict[str, Any]:
    return d.raw(
        "receive_ammo", "arm", d.clock, lot="x", kind="live", caliber="9mm", count=5, vendor="v"
    )


@pytest.mark.parametrize(
    "scenario", [refuse_load, refuse_issue, refuse_wrap, refuse_resume, refuse_live_lot]
)
def test_r03_refusal_is_recorded_and_changes_nothing_else(ready: Day, scenario: Scenario) -> None:
    before = ready.state
    raw = scenario(ready)
    type_, actor = raw.pop("type"), raw.pop("actor")
    del raw["at"]
    out = ready.run(type_, actor, **raw)
    assert out.verdict == "refused"
    (refusal,) = out.events
    assert refusal.type == ev.COMMAND_REFUSED
    assert refusal.actor == actor
    assert refusal.data["rules"] == list(out.rules)
    assert refusal.data["command"]["type"] == type_
    after = ready.state
    assert after.refusal_count == before.refusal_count + 1
    assert after.version == before.version + 1
    assert view(after) == view(before)


def test_r03_refusal_with_due_alerts_changes_only_what_the_alerts_change() -> None:
    d = ready_day()
    d.issue()
    d.ok("complete_setup", "ad", setup="s1")
    d.wait(minutes=10)
    before = d.state
    cmd = d.cmd(
        "issue", "arm", firearm="g1", to="lead2", setup="s1", shown=True, witnesses=["lead2", "ad"]
    )
    out = handle(before, cmd)
    assert out.verdict == "refused" and "SC-C07" in out.alerts
    *alerts, refusal = out.events
    assert refusal.type == ev.COMMAND_REFUSED
    assert alerts and all(e.type == ev.ALERT_RAISED for e in alerts)
    only_alerts = evolve_all(before, alerts)
    after = evolve_all(before, out.events)
    assert view(after) == view(only_alerts)
    assert after.refusal_count == before.refusal_count + 1


def test_r03_refused_command_names_who_what_when(ready: Day) -> None:
    out = ready.run("load", "ad", firearm="g1", lot="b1", rounds=2)
    refusal = out.events[-1]
    assert refusal.actor == "ad"
    assert refusal.at == ready.last_at.isoformat()
    assert refusal.data["command"] == {"type": "load", "firearm": "g1", "lot": "b1", "rounds": 2}
    assert set(refusal.data["rules"]) == {"SC-A04", "SC-C01"}
    assert refusal.data["message"] == out.message


def test_r03_malformed_input_changes_nothing_not_even_the_clock(ready: Day) -> None:
    before = ready.state
    with pytest.raises(Malformed):
        ready.service.execute(
            ready.production,
            ready.cmd("load", firearm="ghost", lot="b1", rounds=1, at=ready.clock),
        )
    assert ready.state is before
