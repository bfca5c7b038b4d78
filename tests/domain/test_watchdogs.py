"""Watchdogs: SC-C07 (return after use), SC-C08 (break recall), SC-S06 (concern acknowledgement).

DRILLS.md: an action at or before a deadline is in time; the alert is raised on the first line
whose `at` is later than the deadline. SC-C07 raises a second alert (to producers) at twice its
time. An `end_break` before the SC-C08 deadline cancels that check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from showclear.domain import due
from showclear.domain import events as ev

from .conftest import Day, ready_day

SECOND = timedelta(seconds=1)
MIN = timedelta(minutes=1)


def alerts_of(d: Day, rule: str) -> list[dict[str, object]]:
    return [dict(e.data) for e in d.events_of(ev.ALERT_RAISED) if e.data["rule"] == rule]


def tick(d: Day, at: datetime) -> tuple[str, ...]:
    out = d.run("tick", "crew", at=at)
    assert out.verdict == "accepted"
    return out.alerts


# -- SC-C07 ---------------------------------------------------------------------------------------


def completed_with_g1_out(**policy: float) -> tuple[Day, datetime]:
    d = ready_day(policy or None)
    assert d.issue().verdict == "accepted"
    t = d.clock
    out = d.run("complete_setup", "ad", at=t, setup="s1")
    assert out.verdict == "accepted" and "g1" in out.message
    return d, t


def test_c07_return_at_the_deadline_exactly_is_in_time() -> None:
    d, t = completed_with_g1_out()
    out = d.run("return", "arm", at=t + 5 * MIN, firearm="g1", from_="lead")
    assert out.verdict == "accepted" and out.alerts == ()
    assert tick(d, t + 60 * MIN) == ()
    assert alerts_of(d, "SC-C07") == []


def test_c07_first_line_strictly_after_the_deadline_raises_it() -> None:
    d, t = completed_with_g1_out()
    assert tick(d, t + 5 * MIN) == ()
    assert tick(d, t + 5 * MIN + SECOND) == ("SC-C07",)
    (first,) = alerts_of(d, "SC-C07")
    assert set(first["to"]) == {"armorer", "first_ad"}  # type: ignore[arg-type]
    assert d.state.alerts[-1].rule == "SC-C07"  # on the board
    assert tick(d, t + 10 * MIN) == ()  # raised once
    assert tick(d, t + 10 * MIN + SECOND) == ("SC-C07",)  # twice the time: producers
    second = alerts_of(d, "SC-C07")[-1]
    assert second["to"] == ["producer"]
    assert tick(d, t + 60 * MIN) == ()
    assert len(alerts_of(d, "SC-C07")) == 2
    # the alert is a warning, not a refusal: returning late is still accepted
    assert d.run("return", "arm", firearm="g1", from_="lead").verdict == "accepted"


def test_c07_returned_between_the_deadlines_no_second_alert() -> None:
    d, t = completed_with_g1_out()
    assert tick(d, t + 6 * MIN) == ("SC-C07",)
    assert d.run("return", "arm", at=t + 7 * MIN, firearm="g1", from_="lead").alerts == ()
    assert tick(d, t + 30 * MIN) == ()
    assert len(alerts_of(d, "SC-C07")) == 1


def test_c07_both_deadlines_passed_at_once_raise_both_alerts() -> None:
    d, t = completed_with_g1_out()
    out = d.run("tick", "crew", at=t + 11 * MIN)
    assert out.alerts == ("SC-C07",)
    assert [e.data["to"] for e in out.events if e.type == ev.ALERT_RAISED] == [
        ["armorer", "first_ad"],
        ["producer"],
    ]


def test_c07_alert_rides_on_whatever_line_comes_next_even_a_refused_one() -> None:
    d, t = completed_with_g1_out()
    out = d.issue(to="lead2", at=t + 6 * MIN)
    assert out.verdict == "refused"
    assert out.alerts == ("SC-C07",)


def test_c07_return_minutes_follow_policy() -> None:
    d, t = completed_with_g1_out(return_minutes=2)
    assert tick(d, t + 2 * MIN) == ()
    assert tick(d, t + 2 * MIN + SECOND) == ("SC-C07",)


def test_c07_break_recalls_every_issued_firearm() -> None:
    d = ready_day()
    d.issue()
    t = d.clock
    d.ok("call_break", "ad", at=t, kind="meal")
    assert tick(d, t + 5 * MIN) == ()
    assert "SC-C07" in tick(d, t + 5 * MIN + SECOND)


def test_c07_near_miss_nothing_issued_nothing_due() -> None:
    d = ready_day()
    t = d.clock
    d.ok("complete_setup", "ad", at=t, setup="s1")
    assert tick(d, t + 30 * MIN) == ()


# -- SC-C08 ---------------------------------------------------------------------------------------


def test_c08_break_not_secured_in_time_alerts() -> None:
    d = ready_day()  # g1, d1 and b1 are in the armorer's hands
    t = d.clock
    d.ok("call_break", "ad", at=t, kind="meal")
    assert tick(d, t + 10 * MIN) == ()
    assert tick(d, t + 10 * MIN + SECOND) == ("SC-C08",)
    (alert,) = alerts_of(d, "SC-C08")
    assert set(alert["to"]) == {"armorer", "first_ad", "safety_supervisor"}  # type: ignore[arg-type]
    subject = alert["subject"]
    assert subject == {"firearms": ["g1"], "lots": ["d1", "b1"]}
    assert d.state.alerts[-1].rule == "SC-C08"
    assert tick(d, t + 60 * MIN) == ()  # raised once


def test_c08_near_miss_everything_locked_at_the_deadline_exactly() -> None:
    d = ready_day()
    t = d.clock
    d.ok("call_break", "ad", at=t, kind="meal")
    d.ok("secure", firearm="g1", container="safe1", at=t + 8 * MIN)
    d.ok("secure", lot="d1", container="safe1", at=t + 9 * MIN)
    d.ok("secure", lot="b1", container="safe1", at=t + 10 * MIN)
    assert tick(d, t + 10 * MIN + SECOND) == ()
    assert alerts_of(d, "SC-C08") == []


def test_c08_end_break_before_the_deadline_cancels_the_check() -> None:
    d = ready_day()
    t = d.clock
    d.ok("call_break", "ad", at=t, kind="other")
    out = d.run("end_break", "ad", at=t + 9 * MIN)
    assert out.verdict == "accepted"
    assert tick(d, t + 30 * MIN) == ()
    assert alerts_of(d, "SC-C08") == []
    # SC-C11 still applies at wrap
    assert d.wrap().rules == ("SC-C11",)


def test_c08_end_break_at_the_deadline_exactly_is_in_time() -> None:
    d = ready_day()
    t = d.clock
    d.ok("call_break", "ad", at=t, kind="other")
    assert d.run("end_break", "ad", at=t + 10 * MIN).alerts == ()
    assert tick(d, t + 30 * MIN) == ()


def test_c08_end_break_after_the_deadline_is_too_late() -> None:
    d = ready_day()
    t = d.clock
    d.ok("call_break", "ad", at=t, kind="other")
    out = d.run("end_break", "ad", at=t + 10 * MIN + SECOND)
    assert out.verdict == "accepted" and out.alerts == ("SC-C08",)


def test_c08_secure_minutes_follow_policy() -> None:
    d = ready_day({"secure_minutes": 3})
    t = d.clock
    d.ok("call_break", "ad", at=t, kind="meal")
    assert tick(d, t + 3 * MIN) == ()
    assert tick(d, t + 3 * MIN + SECOND) == ("SC-C08",)


# -- SC-S06 (the ALERT part) -----------------------------------------------------------------------


def test_s06_unacknowledged_concern_alerts_producers_after_the_deadline() -> None:
    d = ready_day()
    t = d.clock
    d.ok("report_concern", "crew", at=t, concern="c1", text="blanks left on the cart")
    assert tick(d, t + timedelta(hours=2)) == ()
    assert tick(d, t + timedelta(hours=2) + SECOND) == ("SC-S06",)
    (alert,) = alerts_of(d, "SC-S06")
    assert alert["to"] == ["producer"]
    assert d.state.concerns["c1"].overdue
    assert tick(d, t + timedelta(hours=5)) == ()


def test_s06_near_miss_acknowledged_at_the_deadline_exactly() -> None:
    d = ready_day()
    t = d.clock
    d.ok("report_concern", "crew", at=t, concern="c1", text="blanks left on the cart")
    out = d.run(
        "acknowledge_concern",
        "prod",
        at=t + timedelta(hours=2),
        concern="c1",
        response="cart banned",
    )
    assert out.verdict == "accepted" and out.alerts == ()
    assert tick(d, t + timedelta(hours=9)) == ()


def test_due_is_pure_and_strict() -> None:
    d, t = completed_with_g1_out()
    s = d.state
    assert due(s, t + 5 * MIN) == []
    late = due(s, t + 5 * MIN + SECOND)
    assert [e.data["rule"] for e in late] == ["SC-C07"]
    assert d.state is s
