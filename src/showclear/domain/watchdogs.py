"""Watchdogs (SC-C07, SC-C08, SC-S06, SC-V04): deadlines that fall due with the clock.

`due(state, now)` is pure: it returns the alert events whose deadline passed before `now`.
The shell calls it before every command and on a timer. Deadlines are inclusive: acting at
the deadline is in time; the alert is raised at the first moment strictly after it.
"""

from __future__ import annotations

from datetime import datetime

from showclear.domain.events import Event, alert_event
from showclear.domain.rules import alert_rule
from showclear.domain.state import State

SYSTEM = "showclear"  # the actor of events no person caused


def _alert(at: str, rule: str, to: list[str], message: str, **subject: object) -> Event:
    return alert_event(SYSTEM, at, rule, to, message, **subject)


@alert_rule("SC-C07", "a firearm not back with the armorer after a setup or break")
def return_after_use(state: State, now: datetime, at: str) -> list[Event]:
    alerts: list[Event] = []
    minutes = state.policy.return_minutes
    for w in state.watches:
        f = state.firearms.get(w.firearm)
        if f is None or f.issued_to is None:
            continue
        if w.stage == 0 and now > w.first:
            alerts.append(_alert(at, "SC-C07", ["armorer", "first_ad"],
                f"{f.id} is still with {f.issued_to}, {minutes:g} min after the {w.because}: "
                "bring it back to the armorer now.", firearm=f.id, holder=f.issued_to))  # fmt: skip
        if now > w.second:
            alerts.append(_alert(at, "SC-C07", ["producer"],
                f"{f.id} is STILL with {f.issued_to}, {2 * minutes:g} min after the {w.because}.",
                firearm=f.id, holder=f.issued_to, escalated=True))  # fmt: skip
    return alerts


@alert_rule("SC-C08", "firearms or lots not locked away within secure_minutes of a break")
def break_recall(state: State, now: datetime, at: str) -> list[Event]:
    brk = state.brk
    if brk is None or brk.secure_checked or now <= brk.secure_deadline:
        return []
    firearms, lots = state.unsecured()
    if not firearms and not lots:
        return []
    items = [*firearms, *(f"lot {lot}" for lot in lots)]
    return [_alert(at, "SC-C08", ["armorer", "first_ad", "safety_supervisor"],
                   f"Break called {state.policy.secure_minutes:g} min ago and not locked away: "
                   f"{', '.join(items)}.", firearms=firearms, lots=lots)]  # fmt: skip


@alert_rule("SC-S06", "a concern unacknowledged after concern_ack_hours")
def concern_overdue(state: State, now: datetime, at: str) -> list[Event]:
    return [
        _alert(
            at,
            "SC-S06",
            ["producer"],
            f"Safety concern {c.id} from {c.raised_by} is unacknowledged after "
            f"{state.policy.concern_ack_hours:g} h: {c.text}",
            concern=c.id,
        )
        for c in state.concerns.values()
        if c.acknowledged_by is None and not c.overdue and now > c.deadline
    ]


@alert_rule("SC-V04", "a rented firearm not disposed of by the end of its due_back date")
def rental_overdue(state: State, now: datetime, at: str) -> list[Event]:
    today = now.date()  # SC-V04 reads the date in the line's own offset
    alerts = []
    for fid, due_back in state.rentals_due.items():
        if today <= due_back:
            continue
        f = state.firearms[fid]
        to = f" to {f.vendor}" if f.vendor else ""
        alerts.append(_alert(at, "SC-V04", ["armorer", "producer"],
            f"{fid} was due back{to} by the end of {due_back.isoformat()} and is still here: "
            f"return it{to} and record it (dispose, how returned), or settle the late return "
            "with the vendor.",
            firearm=fid, due_back=due_back.isoformat(), vendor=f.vendor))  # fmt: skip
    return alerts


def due(state: State, now: datetime, at_text: str | None = None) -> list[Event]:
    """Alert events that have fallen due by `now` (strictly after their deadlines)."""
    deadline = state.next_deadline is not None and now > state.next_deadline
    rental = state.next_due_back is not None and now.date() > state.next_due_back
    if not deadline and not rental:
        return []
    at = at_text or now.isoformat()
    return [
        *return_after_use(state, now, at),
        *break_recall(state, now, at),
        *concern_overdue(state, now, at),
        *rental_overdue(state, now, at),
    ]
