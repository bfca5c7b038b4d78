"""evolve(state, event) -> state: fold one fact into the projection. Pure, total, fast.

Events are facts that `decide` already judged, so nothing here refuses anything. Watchdog
deadlines close on the first event whose clock is past them, which makes a rebuilt state
identical to the live one. Nothing is changed in place: every handler returns a new State
built through the records' constructors, and the state it was given stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from showclear.domain import events as ev
from showclear.domain.commands import RiskAssessment
from showclear.domain.events import Event
from showclear.domain.state import (
    EMPTY,
    RECENT_ALERTS,
    Alert,
    Break,
    Concern,
    ContactRef,
    Container,
    Correction,
    Credential,
    Day,
    DeliveryKey,
    Disposal,
    Firearm,
    Frozen,
    Incident,
    Lot,
    Notification,
    PendingDelivery,
    Person,
    ReturnWatch,
    Setup,
    State,
    Stop,
    Vendor,
    put,
    without,
)
from showclear.domain.values import EVERYONE, Policy, container, person

# What every event does to the state: (its time, the state's new version). A plain pair, not
# a named one: it is built once per event of a rebuild.
Stamp = tuple[datetime, int]


# Most events of a rebuild change one firearm or lot, and every event the clock and version.
# `_with_item` does all three in one copy of the state, so `evolve` need not stamp it again.
# It builds each new record from a list of its fields, by position, with the tuple
# constructor itself (what `_make` calls, minus its length check: the list is a copy of a
# record of that very type). By name (`_replace`) the same copy costs several times more, and
# this is the hot path of a rebuild.
_new = tuple.__new__
_instant = datetime.fromisoformat
_STATE = {name: i for i, name in enumerate(State._fields)}
_FIREARM = {name: i for i, name in enumerate(Firearm._fields)}
_LOT = {name: i for i, name in enumerate(Lot._fields)}
_FIREARMS, _LOTS, _NOW, _VERSION = (_STATE[k] for k in ("firearms", "lots", "now", "version"))
Handler = Callable[[State, Event, Stamp], State]


def _with_item(s: State, t: Stamp, index: int, key: str, item: Firearm | Lot) -> State:
    """The stamped state with one firearm or lot replaced (`s` itself is untouched)."""
    fields: list[Any] = list(s)
    items = fields[index].copy()  # the map's own dict copied, then wrapped read-only again
    items[key] = item
    fields[index] = Frozen(items)
    fields[_NOW], fields[_VERSION] = t
    return _new(State, fields)


def _stamped(s: State, t: Stamp) -> State:
    fields: list[Any] = list(s)
    fields[_NOW], fields[_VERSION] = t
    return _new(State, fields)


def _firearm(s: State, t: Stamp, fid: str, **changes: Any) -> State:
    fields = list(s.firearms[fid])
    for name, value in changes.items():
        fields[_FIREARM[name]] = value
    return _with_item(s, t, _FIREARMS, fid, _new(Firearm, fields))


def _lot(s: State, t: Stamp, lid: str, **changes: Any) -> State:
    fields = list(s.lots[lid])
    for name, value in changes.items():
        fields[_LOT[name]] = value
    return _with_item(s, t, _LOTS, lid, _new(Lot, fields))


def _no_verified_rounds(lots: Frozen[str, Lot]) -> Frozen[str, Lot]:
    """SC-A04: the verified budget is per day; a day's start and its wrap reset it."""
    if not any(lot.verified for lot in lots.values()):
        return lots
    return Frozen({k: v._replace(verified=0) if v.verified else v for k, v in lots.items()})


# -- setup ------------------------------------------------------------------------------------


def _production_opened(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    return s._replace(
        production=d["production"],
        title=d["title"],
        opener=e.actor,
        policy=Policy().merged(dict(d["policy"])),
    )


def _person_added(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    p = Person(d["person"], d["name"], frozenset(d["roles"]))
    return s._replace(people=put(s.people, p.id, p))


def _credential_added(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    cred = Credential(d["kind"], date.fromisoformat(d["expires"]), frozenset(d.get("classes", ())))
    held = s.credentials.get(d["person"], ())
    return s._replace(credentials=put(s.credentials, d["person"], (*held, cred)))


def _container_registered(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    c = Container(d["container"], d["kind"], d["lockable"])
    return s._replace(containers=put(s.containers, c.id, c))


def _firearm_registered(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    f = Firearm(
        d["firearm"],
        d["kind"],
        d["caliber"],
        d.get("make"),
        d.get("model"),
        d.get("serial"),
        custodian=person(e.actor),
        vendor=d.get("vendor"),
        invoice=d.get("invoice"),
        due_back=date.fromisoformat(d["due_back"]) if d.get("due_back") else None,
        firearm_class=d.get("class"),
    )
    s = s._replace(firearms=put(s.firearms, f.id, f))
    if f.due_back is None:
        return s
    return _reschedule(s._replace(rentals_due=put(s.rentals_due, f.id, f.due_back)))


def _ammo_received(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    lot = Lot(d["lot"], d["kind"], d["caliber"], d["vendor"], d["count"], person(e.actor),
              invoice=d.get("invoice"))  # fmt: skip
    return s._replace(lots=put(s.lots, lot.id, lot))


def _lot_inspected(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    if d["passed"]:
        return _lot(s, t, d["lot"], inspected_ok=True)
    return s


def _lot_quarantined(s: State, e: Event, t: Stamp) -> State:
    return _lot(s, t, e.data["lot"], quarantined=e.data["reason"])


def _policy_set(s: State, e: Event, t: Stamp) -> State:
    return s._replace(policy=Policy().merged(dict(e.data["policy"])))


def _vendor_approved(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    v = Vendor(d["vendor"], d["name"], d["licence"], date.fromisoformat(d["licence_expires"]),
               e.actor, d["agreed_by"])  # fmt: skip
    return s._replace(vendors=put(s.vendors, v.id, v))


def _item_disposed(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    gone = Disposal(d["how"], d.get("to"), d.get("count"), d.get("witness"), d.get("reference"),
                    e.actor, e.at)  # fmt: skip
    if d["item"] == "lot":
        lot = s.lots[d["id"]]  # its rounds on hand leave with it, whatever the papers say
        return _lot(s, t, lot.id, disposed=gone, left=lot.on_hand, verified=0)
    s = _firearm(s, t, d["id"], disposed=gone)
    if d["id"] in s.rentals_due:  # SC-V04: disposed in time, nothing is overdue
        s = _reschedule(s._replace(rentals_due=without(s.rentals_due, d["id"])))
    return s


def _notification_recorded(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    n = Notification(date.fromisoformat(d["day"]), d["agency"], d["reference"], d.get("officer"),
                     e.actor, t[0])  # fmt: skip
    return s._replace(notifications=(*s.notifications, n))


def _production_closed(s: State, e: Event, t: Stamp) -> State:
    return s._replace(closed=True)


# -- days and planning ------------------------------------------------------------------------


def _day_started(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    number = s.days_started + 1
    day = Day(date.fromisoformat(d["day"]), d["armorer"], d.get("assistant_armorer"), number)
    return s._replace(
        day=day,
        last_day=day.day,
        days_started=number,
        meeting_attendees=frozenset(),
        loads_today=frozenset(),
        lots=_no_verified_rounds(s.lots),
        tasks=EMPTY,
    )


def _safety_meeting_held(s: State, e: Event, t: Stamp) -> State:
    return s._replace(meeting_attendees=s.meeting_attendees | set(e.data["attendees"]))


def _setup_planned(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    setup = Setup(
        d["setup"],
        d["scene"],
        tuple(d["firearms"]),
        tuple(d["performers"]),
        d["action"],
        d["toward_people"],
        d.get("distance_m"),
        d["shields"],
        d["remote_camera"],
        d["rehearsal"],
        day_no=s.day.number if s.day else 0,
        ppe=bool(d.get("ppe")),
        medic=d.get("medic"),
        risk_assessment=RiskAssessment(**ra) if (ra := d.get("risk_assessment")) else None,
    )
    return s._replace(setups=put(s.setups, setup.id, setup))


def _setup_approved(s: State, e: Event, t: Stamp) -> State:
    setup = s.setups[e.data["setup"]]
    new = replace(setup, approvals=setup.approvals | {e.actor})
    return s._replace(setups=put(s.setups, setup.id, new))


def _setup_completed(s: State, e: Event, t: Stamp) -> State:
    setup = s.setups[e.data["setup"]]
    s = s._replace(setups=put(s.setups, setup.id, replace(setup, completed=True)))
    return _watch_returns(s, e.data["recall"], f"setup {setup.id} completed", t[0])


def _watch_returns(s: State, firearms: Iterable[str], because: str, at: datetime) -> State:
    minutes = timedelta(minutes=s.policy.return_minutes)
    new = tuple(ReturnWatch(f, because, at + minutes, at + 2 * minutes) for f in firearms)
    if not new:
        return s
    return _reschedule(s._replace(watches=s.watches + new))


# -- ammunition and custody -------------------------------------------------------------------


def _rounds_verified(s: State, e: Event, t: Stamp) -> State:
    lot = s.lots[e.data["lot"]]
    return _lot(s, t, lot.id, verified=lot.verified + e.data["added"])


def _firearm_loaded(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    fid, lid, n = d["firearm"], d["lot"], d["rounds"]
    f, lot = s.firearms[fid], s.lots[lid]
    loaded = dict(f.loaded)
    loaded[lid] = loaded.get(lid, 0) + n
    s = _firearm(
        s,
        t,
        fid,
        custodian=person(e.actor),  # the armory member who acts becomes the custodian
        loaded=tuple(loaded.items()),
        loaded_kind=lot.kind,
        dummies_since_inspection=f.dummies_since_inspection or lot.kind == "dummy",
    )
    s = _lot(
        s,
        t,
        lid,
        custodian=person(e.actor),
        in_firearms=lot.in_firearms + n,
        verified=max(0, lot.verified - n),
    )
    return s._replace(loads_today=s.loads_today | {(fid, lid)})


def _firearm_unloaded(s: State, e: Event, t: Stamp) -> State:
    fid = e.data["firearm"]
    for lid, n in s.firearms[fid].loaded:
        s = _lot(s, t, lid, in_firearms=s.lots[lid].in_firearms - n)
    return _firearm(s, t, fid, custodian=person(e.actor), loaded=(), loaded_kind=None)


def _firearm_issued(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    return _firearm(s, t, d["firearm"], custodian=person(d["to"]), issued_to=d["to"],
                    issued_setup=d["setup"])  # fmt: skip


def _firearm_returned(s: State, e: Event, t: Stamp) -> State:
    fid = e.data["firearm"]
    s = _firearm(s, t, fid, custodian=person(e.actor), issued_to=None, issued_setup=None)
    if s.watches and any(w.firearm == fid for w in s.watches):
        s = _reschedule(s._replace(watches=tuple(w for w in s.watches if w.firearm != fid)))
    return s


def _item_moved(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    holder = container(d["container"]) if e.type == ev.ITEM_SECURED else person(e.actor)
    if d["item"] == "firearm":
        return _firearm(s, t, d["id"], custodian=holder)
    return _lot(s, t, d["id"], custodian=holder)


def _firearm_discharged(s: State, e: Event, t: Stamp) -> State:
    fid = e.data["firearm"]
    f = s.firearms[fid]
    spent: Mapping[str, int] = e.data["expended"]
    for lid, n in spent.items():
        lot = s.lots[lid]
        s = _lot(s, t, lid, expended=lot.expended + n, in_firearms=lot.in_firearms - n)
    remaining = tuple((lid, n - spent.get(lid, 0)) for lid, n in f.loaded if n > spent.get(lid, 0))
    return _firearm(s, t, fid, loaded=remaining, loaded_kind=f.loaded_kind if remaining else None)


def _misfire_reported(s: State, e: Event, t: Stamp) -> State:
    return _firearm(s, t, e.data["firearm"], out_of_service="misfire reported")


def _firearm_out_of_service(s: State, e: Event, t: Stamp) -> State:
    return _firearm(s, t, e.data["firearm"], out_of_service=e.data["reason"])


def _firearm_inspected(s: State, e: Event, t: Stamp) -> State:
    fid = e.data["firearm"]
    if e.data["barrel_clear"]:
        day = s.day.number if s.day else None  # SC-F05 counts checks made after start_day
        return _firearm(s, t, fid, out_of_service=None, dummies_since_inspection=False,
                        cleared_day=day)  # fmt: skip
    return _firearm(s, t, fid, out_of_service="inspection: barrel not clear", cleared_day=None)


# -- stop work, concerns, incidents -----------------------------------------------------------


def _work_stopped(s: State, e: Event, t: Stamp) -> State:
    cause = e.data["cause"]
    number = s.version + 1
    needs = number if cause in ("SC-A02", "SC-S03") else None
    if s.stop is None:
        stop = Stop(e.at, e.actor, e.data["reason"], frozenset({cause}), (), needs)
    else:  # a new stop while one is in force restarts the sign-offs (DRILLS.md)
        stop = Stop(
            s.stop.at,
            s.stop.by,
            s.stop.reason,
            s.stop.causes | {cause},
            (),
            needs if needs is not None else s.stop.incident_needed_after,
        )
    return s._replace(stop=stop)


def _resume_signed(s: State, e: Event, t: Stamp) -> State:
    assert s.stop is not None
    return s._replace(stop=replace(s.stop, signoffs=(*s.stop.signoffs, e.actor)))


def _work_resumed(s: State, e: Event, t: Stamp) -> State:
    return s._replace(stop=None)


def _concern_raised(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    deadline = t[0] + timedelta(hours=s.policy.concern_ack_hours)
    c = Concern(d["concern"], d["text"], e.actor, t[0], deadline)
    return _reschedule(s._replace(concerns=put(s.concerns, c.id, c)))


def _concern_acknowledged(s: State, e: Event, t: Stamp) -> State:
    c = replace(s.concerns[e.data["concern"]], acknowledged_by=e.actor, response=e.data["response"])
    return _reschedule(s._replace(concerns=put(s.concerns, c.id, c)))


def _incident(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    number = s.version + 1
    inc = Incident(
        d["incident"], d["cause"], d.get("related"), e.actor, e.at, number, d.get("rule")
    )
    filed = e.type == ev.INCIDENT_FILED and bool(d["cause"].strip())
    return s._replace(
        incidents=put(s.incidents, inc.id, inc),
        last_incident_number=number if filed else s.last_incident_number,
    )


def _task_assigned(s: State, e: Event, t: Stamp) -> State:
    return s._replace(tasks=put(s.tasks, e.data["person"], e.data["task"]))


def _break_called(s: State, e: Event, t: Stamp) -> State:
    deadline = t[0] + timedelta(minutes=s.policy.secure_minutes)
    s = _reschedule(s._replace(brk=Break(e.data["kind"], e.at, deadline)))
    return _watch_returns(s, e.data["recall"], f"{e.data['kind']} break called", t[0])


def _break_ended(s: State, e: Event, t: Stamp) -> State:
    return _reschedule(s._replace(brk=None))


def _day_wrapped(s: State, e: Event, t: Stamp) -> State:
    lots = _no_verified_rounds(s.lots)
    return _reschedule(s._replace(day=None, brk=None, watches=(), lots=lots, tasks=EMPTY))


def _alert_raised(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    alert = Alert(s.version + 1, d["rule"], tuple(d["to"]), d["message"], e.at)
    return s._replace(
        alerts=(*s.alerts[-(RECENT_ALERTS - 1) :], alert),
        alert_count=s.alert_count + 1,
        outbox=_queue_deliveries(s, alert),
    )


def _queue_deliveries(s: State, alert: Alert) -> Frozen[DeliveryKey, PendingDelivery]:
    """The outbox with one entry per person the alert is routed to, per address they have."""
    if not s.contacts:
        return s.outbox
    everyone = EVERYONE in alert.to
    new = dict(s.outbox)
    for pid, channels in s.contacts.items():
        if not (everyone or s.has_role(pid, *alert.to) or
                ("armorer" in alert.to and s.is_armorer(pid))):  # fmt: skip
            continue
        for channel in channels:
            new[(alert.number, pid, channel)] = PendingDelivery(
                alert.number, alert.rule, pid, channel, alert.message, alert.at
            )
    return Frozen(new)


def _contact_set(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    held = dict(s.contacts.get(d["person"], EMPTY))
    if d.get("fingerprint"):
        held[d["channel"]] = ContactRef(d["fingerprint"], d["shown"])
    else:
        held.pop(d["channel"], None)
    if held:
        return s._replace(contacts=put(s.contacts, d["person"], Frozen(held)))
    if d["person"] in s.contacts:
        return s._replace(contacts=without(s.contacts, d["person"]))
    return s


def _delivery_done(s: State, e: Event, t: Stamp) -> State:
    d = e.data
    key = (d["alert"], d["person"], d["channel"])
    return s._replace(outbox=without(s.outbox, key)) if key in s.outbox else s


def _command_refused(s: State, e: Event, t: Stamp) -> State:
    return s._replace(refusal_count=s.refusal_count + 1)


def _record_corrected(s: State, e: Event, t: Stamp) -> State:
    seq = int(e.data["corrects"])
    entry = Correction(e.actor, e.at, e.data["reason"], e.data["changes"])
    return s._replace(corrections=put(s.corrections, seq, (*s.corrections.get(seq, ()), entry)))


def _nothing(s: State, e: Event, t: Stamp) -> State:
    return s


HANDLERS: dict[str, Handler] = {
    ev.PRODUCTION_OPENED: _production_opened,
    ev.PERSON_ADDED: _person_added,
    ev.CREDENTIAL_ADDED: _credential_added,
    ev.CONTAINER_REGISTERED: _container_registered,
    ev.FIREARM_REGISTERED: _firearm_registered,
    ev.AMMO_RECEIVED: _ammo_received,
    ev.LOT_INSPECTED: _lot_inspected,
    ev.LOT_QUARANTINED: _lot_quarantined,
    ev.POLICY_SET: _policy_set,
    ev.VENDOR_APPROVED: _vendor_approved,
    ev.ITEM_DISPOSED: _item_disposed,
    ev.NOTIFICATION_RECORDED: _notification_recorded,
    ev.PRODUCTION_CLOSED: _production_closed,
    ev.DAY_STARTED: _day_started,
    ev.SAFETY_MEETING_HELD: _safety_meeting_held,
    ev.SETUP_PLANNED: _setup_planned,
    ev.SETUP_APPROVED: _setup_approved,
    ev.SETUP_COMPLETED: _setup_completed,
    ev.ROUNDS_VERIFIED: _rounds_verified,
    ev.FIREARM_LOADED: _firearm_loaded,
    ev.FIREARM_UNLOADED: _firearm_unloaded,
    ev.FIREARM_ISSUED: _firearm_issued,
    ev.FIREARM_RETURNED: _firearm_returned,
    ev.ITEM_SECURED: _item_moved,
    ev.ITEM_RETRIEVED: _item_moved,
    ev.FIREARM_DISCHARGED: _firearm_discharged,
    ev.MISFIRE_REPORTED: _misfire_reported,
    ev.FIREARM_OUT_OF_SERVICE: _firearm_out_of_service,
    ev.FIREARM_INSPECTED: _firearm_inspected,
    ev.LIVE_ROUND_REPORTED: _nothing,  # its consequences are separate events
    ev.CONCERN_RAISED: _concern_raised,
    ev.CONCERN_ACKNOWLEDGED: _concern_acknowledged,
    ev.WORK_STOPPED: _work_stopped,
    ev.INCIDENT_FILED: _incident,
    ev.INCIDENT_OPENED: _incident,
    ev.RESUME_SIGNED: _resume_signed,
    ev.WORK_RESUMED: _work_resumed,
    ev.TASK_ASSIGNED: _task_assigned,
    ev.BREAK_CALLED: _break_called,
    ev.BREAK_ENDED: _break_ended,
    ev.DAY_WRAPPED: _day_wrapped,
    ev.CLOCK_TICKED: _nothing,
    ev.ALERT_RAISED: _alert_raised,
    ev.COMMAND_REFUSED: _command_refused,
    ev.RECORD_CORRECTED: _record_corrected,
    ev.PIN_LOCKED_OUT: _nothing,  # a record for investigators; sign-in state lives elsewhere
    ev.PIN_SET: _nothing,
    ev.PIN_RESET: _nothing,
    ev.CONTACT_SET: _contact_set,
    ev.ALERT_DELIVERED: _delivery_done,
    ev.ALERT_DELIVERY_FAILED: _delivery_done,
}


# -- watchdog deadlines -------------------------------------------------------------------------


def _reschedule(s: State) -> State:
    """Keep `next_deadline` = the earliest pending watchdog deadline, and `next_due_back` = the
    earliest rental due date, so that most events skip the watchdogs with one comparison."""
    pending: list[datetime] = []
    for w in s.watches:
        pending.append(w.first if w.stage == 0 else w.second)
    if s.brk is not None and not s.brk.secure_checked:
        pending.append(s.brk.secure_deadline)
    pending.extend(
        c.deadline for c in s.concerns.values() if c.acknowledged_by is None and not c.overdue
    )
    return s._replace(
        next_deadline=min(pending) if pending else None,
        next_due_back=min(s.rentals_due.values()) if s.rentals_due else None,
    )


def _overdue(s: State, at: datetime) -> list[str]:
    """SC-V04: rentals whose due_back is before the date of `at` (in its own offset).

    A date, not an instant: a rental is late on the first line dated after its due date
    wherever that line's clock is, so it has no single deadline to put in `next_deadline`.
    """
    today = at.date()
    return [fid for fid, due in s.rentals_due.items() if today > due]


def _close_deadlines(s: State, at: datetime) -> State:
    """Every deadline strictly before `at` has now been looked at by `due` (watchdogs.py)."""
    watches = []
    for w in s.watches:
        if w.stage == 0 and at > w.first:
            w = replace(w, stage=1)
        if not (w.stage == 1 and at > w.second):
            watches.append(w)
    brk = s.brk
    if brk is not None and not brk.secure_checked and at > brk.secure_deadline:
        brk = replace(brk, secure_checked=True)
    concerns = s.concerns
    if any(c.acknowledged_by is None and not c.overdue and at > c.deadline
           for c in concerns.values()):  # fmt: skip
        concerns = Frozen({
            k: replace(c, overdue=True)
            if c.acknowledged_by is None and not c.overdue and at > c.deadline
            else c
            for k, c in concerns.items()
        })  # fmt: skip
    rentals = s.rentals_due
    if overdue := _overdue(s, at):
        rentals = Frozen({k: v for k, v in rentals.items() if k not in overdue})
    return _reschedule(
        s._replace(watches=tuple(watches), brk=brk, concerns=concerns, rentals_due=rentals)
    )


def evolve(state: State, event: Event) -> State:
    """Apply one event. Unknown event types are a bug in the store, not bad input."""
    at = _instant(event.at)  # decided events carry an offset (parse_instant checked it)
    t = (at, state.version + 1)
    if (state.next_deadline is not None and at > state.next_deadline) or (
        state.next_due_back is not None and at.date() > state.next_due_back
    ):
        state = _close_deadlines(state, at)
    new = HANDLERS[event.type](state, event, t)
    # A handler that changed a firearm or lot has stamped its new state already (`_with_item`).
    return new if new.version == t[1] else _stamped(new, t)


def evolve_all(state: State, events: Iterable[Event]) -> State:
    for e in events:
        state = evolve(state, e)
    return state


__all__ = ["HANDLERS", "evolve", "evolve_all"]
