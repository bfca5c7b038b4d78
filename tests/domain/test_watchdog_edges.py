"""Watchdog deadlines at the exact instant: acting at a deadline is in time, the alert comes at
the first moment strictly after it (watchdogs.py). `due` is called directly on the state, at
the deadline and one microsecond past it; each test fails on a mutant that survived the rest
of the suite (make mutate, docs/testing.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from showclear.domain import Event, State
from showclear.domain.watchdogs import (
    break_recall,
    concern_overdue,
    due,
    rental_overdue,
    return_after_use,
)

from .conftest import Day, ready_day

TICK = timedelta(microseconds=1)


def rules_of(events: list[Event]) -> list[str]:
    return [e.data["rule"] for e in events]


def two_firearms_out() -> Day:
    """g1 and g2 issued for setup s2, then the setup completed: both due back."""
    d = ready_day()
    d.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    assert d.plan("s2", ["g1", "g2"], ["lead", "lead2"]).verdict == "accepted"
    assert d.issue(setup="s2").verdict == "accepted"
    assert d.issue("g2", to="lead2", setup="s2", witnesses=["lead2", "ad"]).verdict == "accepted"
    d.ok("complete_setup", "ad", setup="s2")
    return d


def test_c07_the_return_deadlines_are_inclusive() -> None:
    state = two_firearms_out().state
    first, second = state.watches[0].first, state.watches[0].second
    assert due(state, first) == []
    assert rules_of(due(state, first + TICK)) == ["SC-C07", "SC-C07"]
    assert [e.data["subject"].get("escalated") for e in due(state, second)] == [None, None]
    late = due(state, second + TICK)
    assert [e.data["subject"].get("escalated") for e in late] == [None, True, None, True]
    assert "g1 is STILL with lead, 10 min after the setup s2 completed." in [
        e.data["message"] for e in late
    ]


def test_c07_a_firearm_back_does_not_stop_the_watch_on_the_next() -> None:
    d = two_firearms_out()
    d.ok("return", firearm="g1", from_="lead")
    state = d.state
    alerts = due(state, max(w.second for w in state.watches) + TICK)
    assert {e.data["subject"]["firearm"] for e in alerts} == {"g2"}


def test_c08_the_break_deadline_is_inclusive_and_every_item_is_named(ready: Day) -> None:
    ready.ok("call_break", "ad", kind="meal")
    state = ready.state
    assert state.brk is not None
    assert due(state, state.brk.secure_deadline) == []
    (alert,) = due(state, state.brk.secure_deadline + TICK)
    assert alert.data["message"] == (
        "Break called 10 min ago and not locked away: g1, lot d1, lot b1."
    )


def test_s06_the_concern_deadline_is_inclusive(ready: Day) -> None:
    ready.ok("report_concern", "lead", concern="c1", text="the door sticks")
    state = ready.state
    deadline = state.concerns["c1"].deadline
    assert due(state, deadline) == []
    assert rules_of(due(state, deadline + TICK)) == ["SC-S06"]


def rentals(*firearms: tuple[str, str, str | None]) -> State:
    d = ready_day()
    for fid, due_back, vendor in firearms:
        fields = {"due_back": due_back} | ({"vendor": vendor} if vendor else {})
        d.ok("register_firearm", firearm=fid, kind="non_firing", caliber="-", **fields)
    return d.state


def test_v04_a_rental_is_due_back_by_the_end_of_its_date() -> None:
    state = rentals(("r1", "2024-03-10", "vendor-a"))
    end = datetime(2024, 3, 10, 23, 59, 59, tzinfo=state.now.tzinfo if state.now else None)
    assert due(state, end) == []
    (alert,) = due(state, end + timedelta(seconds=1))
    assert alert.data["message"].startswith("r1 was due back to vendor-a by the end of 2024-03-10")


def test_v04_each_overdue_rental_is_named_and_a_vendorless_one_says_no_vendor() -> None:
    state = rentals(("r1", "2024-03-20", None), ("r2", "2024-03-10", None))
    alerts = due(state, datetime(2024, 3, 11, 8, 0, tzinfo=state.now.tzinfo if state.now else None))
    assert [e.data["subject"]["firearm"] for e in alerts] == ["r2"]
    assert alerts[0].data["message"].startswith("r2 was due back by the end of 2024-03-10 and")


def test_due_stamps_alerts_with_the_given_text_or_the_instant() -> None:
    state = two_firearms_out().state
    now = state.watches[0].first + timedelta(seconds=1)
    assert {e.at for e in due(state, now)} == {now.isoformat()}
    assert {e.at for e in due(state, now, "2024-03-04T09:00:00-07:00")} == {
        "2024-03-04T09:00:00-07:00"
    }


# `due` checks the earliest deadline before it asks any watchdog, so at an exact deadline it
# never reaches one. A watchdog also runs when another, earlier deadline has passed: each is
# asked directly here, at its own deadline, where it must still be quiet.


def test_c07_at_its_first_deadline_the_return_watch_is_quiet() -> None:
    state = two_firearms_out().state
    first = state.watches[0].first
    assert return_after_use(state, first, "t") == []
    assert rules_of(return_after_use(state, first + TICK, "t")) == ["SC-C07", "SC-C07"]


def test_c08_at_its_deadline_the_break_recall_is_quiet(ready: Day) -> None:
    ready.ok("call_break", "ad", kind="meal")
    state = ready.state
    assert state.brk is not None
    assert break_recall(state, state.brk.secure_deadline, "t") == []
    assert rules_of(break_recall(state, state.brk.secure_deadline + TICK, "t")) == ["SC-C08"]


def test_s06_at_its_deadline_the_concern_watch_is_quiet(ready: Day) -> None:
    ready.ok("report_concern", "lead", concern="c1", text="the door sticks")
    state = ready.state
    deadline = state.concerns["c1"].deadline
    assert concern_overdue(state, deadline, "t") == []
    assert rules_of(concern_overdue(state, deadline + TICK, "t")) == ["SC-S06"]


def test_v04_on_its_due_date_a_rental_is_not_overdue() -> None:
    state = rentals(("r1", "2024-03-10", "vendor-a"))
    zone = state.now.tzinfo if state.now else None
    assert rental_overdue(state, datetime(2024, 3, 10, 23, 59, 59, tzinfo=zone), "t") == []
    late = rental_overdue(state, datetime(2024, 3, 11, tzinfo=zone), "t")
    assert rules_of(late) == ["SC-V04"]
