"""The rows of every report, built from stored events and the state they fold into (pure).

Each stored event is an envelope dict: ``seq``, ``type``, ``actor``, ``at`` (ISO 8601 with the
set's UTC offset), ``data``. The PDF, the CSV and the web pages all print these rows, so a row
in a spreadsheet, on paper and on screen say the same thing.

- Daily firearms log: the firearms events of one day in time (sequence) order, with people's
  names and roles. A day is the local date of ``at`` plus everything between that day's
  ``day_started`` and ``day_wrapped`` (night shoots run past midnight).
- Ammunition reconciliation: per lot, received / expended / in firearms / on hand / reported /
  difference; from the latest ``day_wrapped`` of the day, else live counts (reported blank).
- Incident timeline: every event within ``window`` minutes either side of the incident.
- Firearm custody history: every event naming the firearm, with its custodian after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from showclear.domain import Event, State, evolve
from showclear.errors import ReportNotFound
from showclear.views.board import holder_text
from showclear.views.history import BOOKKEEPING, mentions

Env = dict[str, Any]

# What each event type is called in a report; the daily log shows exactly these types.
LABELS: dict[str, str] = {
    "ammo_received": "Ammunition received",
    "lot_inspected": "Lot inspected",
    "lot_quarantined": "Lot quarantined",
    "firearm_registered": "Firearm registered",
    "firearm_inspected": "Firearm inspected",
    "day_started": "Day started",
    "safety_meeting_held": "Safety meeting",
    "setup_approved": "Setup approved",
    "setup_completed": "Setup completed",
    "rounds_verified": "Rounds verified",
    "firearm_loaded": "Loaded",
    "firearm_unloaded": "Unloaded",
    "firearm_issued": "Handover",
    "firearm_returned": "Returned",
    "item_secured": "Secured",
    "item_retrieved": "Retrieved",
    "firearm_discharged": "Discharge",
    "misfire_reported": "Misfire",
    "firearm_out_of_service": "Out of service",
    "live_round_reported": "Live round reported",
    "work_stopped": "Work stopped",
    "resume_signed": "Resume signed",
    "work_resumed": "Work resumed",
    "incident_filed": "Incident filed",
    "incident_opened": "Incident opened",
    "concern_raised": "Concern raised",
    "concern_acknowledged": "Concern acknowledged",
    "break_called": "Break called",
    "break_ended": "Break ended",
    "alert_raised": "Alert",
    "contact_set": "Alert address set",
    "command_refused": "Refused",
    "record_corrected": "Correction",
    "day_wrapped": "Day wrapped",
}
# Not in any timeline: set-up facts and bookkeeping with nothing to say about custody.
QUIET = frozenset({"clock_ticked", "pin_locked_out"})
MAX_WINDOW = 7 * 24 * 60  # an incident report's window either side: a week, in minutes

LOG_COLUMNS = ("seq", "at", "event", "item", "by", "people", "details", "flag")
LOG_HEADERS = ("#", "Time", "Event", "Firearm / lot", "By", "To / from / witnesses", "Details",
               "Flag")  # fmt: skip
RECON_COLUMNS = ("lot", "kind", "caliber", "received", "expended", "in_firearms", "on_hand",
                 "reported", "difference", "flag")  # fmt: skip
RECON_HEADERS = ("Lot", "Kind", "Caliber", "Received", "Expended", "In firearms", "On hand",
                 "Reported", "Difference", "Flag")  # fmt: skip
CUSTODY_COLUMNS = ("seq", "at", "event", "by", "people", "details", "custodian", "flag")
CUSTODY_HEADERS = ("#", "Time", "Event", "By", "To / from / witnesses", "Details",
                   "Custodian after", "Flag")  # fmt: skip


class ReportError(ReportNotFound, ValueError):
    """The report cannot be built as asked (an unknown incident or firearm, a bad day)."""


# -- people and items ------------------------------------------------------------------------


def person_text(state: State, pid: str | None) -> str:
    """ "Name (id; role, role)" for a known person, the ID otherwise."""
    if not pid:
        return ""
    p = state.people.get(pid)
    if p is None:
        return pid
    roles = ", ".join(sorted(r.replace("_", " ") for r in p.roles))
    return f"{p.name} ({pid}; {roles})" if roles else f"{p.name} ({pid})"


def _people_list(state: State, ids: Iterable[str]) -> str:
    return ", ".join(person_text(state, i) for i in ids)


def _counts(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _generic(data: dict[str, Any]) -> str:
    parts = []
    for k, v in data.items():
        if k in BOOKKEEPING or k == "override" or v in (None, [], {}, ""):
            continue
        if isinstance(v, bool):
            v = "yes" if v else "no"
        elif isinstance(v, list):
            v = ", ".join(map(str, v))
        elif isinstance(v, dict):
            v = _counts(v)
        parts.append(f"{k.replace('_', ' ')}: {v}")
    return "; ".join(parts)


def describe(state: State, env: Env) -> dict[str, Any]:
    """One event as a report row: what, which item, who, the people involved, the details."""
    t, d, actor = env["type"], env["data"], env["actor"]
    item = d.get("firearm") or d.get("lot") or d.get("id") or ""
    people = ""
    details = ""
    flag = ""
    event = LABELS.get(t, t.replace("_", " ").capitalize())
    if t == "ammo_received":
        details = f"{d.get('count')} {d.get('kind')} {d.get('caliber')} from {d.get('vendor')}"
    elif t == "lot_inspected":
        verdict = "passed" if d.get("passed") else "FAILED"
        details = f"{d.get('method')}: {d.get('checked')} checked, {d.get('failed')} failed, "
        details += verdict
    elif t == "firearm_inspected":
        details = "barrel clear" if d.get("barrel_clear") else "barrel NOT clear"
    elif t == "rounds_verified":
        details = f"{d.get('count')} rounds verified ({d.get('method')})"
    elif t == "firearm_loaded":
        details = f"{d.get('rounds')} {d.get('kind')} rounds from lot {d.get('lot')}"
    elif t == "firearm_unloaded":
        details = "rounds back: " + (_counts(d.get("rounds")) or "none")
    elif t == "firearm_issued":
        people = "to " + person_text(state, d.get("to"))
        people += "; witnesses: " + (_people_list(state, d.get("witnesses") or []) or "none")
        details = f"setup {d.get('setup')}; " + (
            "shown clear" if d.get("shown") else "NOT shown clear"
        )
    elif t == "firearm_returned":
        people = "from " + person_text(state, d.get("from"))
    elif t in ("item_secured", "item_retrieved"):
        prep = "into" if t == "item_secured" else "from"
        details = f"{d.get('item')} {prep} {d.get('container')}"
    elif t == "firearm_discharged":
        planned = "planned" if d.get("planned") else "UNPLANNED"
        details = f"{d.get('rounds')} rounds, {planned}; expended {_counts(d.get('expended'))}"
        if not d.get("planned"):
            flag = "alert"
    elif t == "day_started":
        people = "armorer: " + person_text(state, d.get("armorer"))
        if d.get("assistant_armorer"):
            people += "; assistant: " + person_text(state, d.get("assistant_armorer"))
        details = f"day {d.get('day')}"
    elif t == "safety_meeting_held":
        people = _people_list(state, d.get("attendees") or [])
        details = f"{len(d.get('attendees') or [])} attended"
    elif t == "command_refused":
        command = d.get("command") or {}
        event = f"Refused: {str(command.get('type', '?')).replace('_', ' ')}"
        item = command.get("firearm") or command.get("lot") or command.get("id") or ""
        if command.get("to"):
            people = "to " + person_text(state, command.get("to"))
        details = str(d.get("message", ""))
        flag = "refused"
    elif t == "alert_raised":
        event = f"Alert {d.get('rule', '')}".strip()
        details = str(d.get("message", ""))
        subject = d.get("subject") or {}
        item = subject.get("firearm") or subject.get("lot") or ""
        flag = "alert"
    elif t in ("alert_delivered", "alert_delivery_failed"):
        told = t == "alert_delivered"
        event = f"Alert {d.get('rule', '')} {'delivered' if told else 'NOT delivered'}"
        people = "to " + person_text(state, d.get("person"))
        how = f"{d.get('channel')} {d.get('shown') or ''}".strip()
        tries = f"attempt {d.get('attempts')}" if told else f"{d.get('attempts')} attempt(s)"
        details = f"alert #{d.get('alert')} by {how}; {tries}"
        details += f" (via {d.get('transport')})" if told else f": {d.get('error')}"
        flag = "" if told else "alert"
    elif t == "contact_set":
        people = person_text(state, d.get("person"))
        details = f"{d.get('channel')}: {d.get('shown') or 'removed'}"
    elif t in ("incident_filed", "incident_opened"):
        item = d.get("incident", "")
        details = f"cause: {d.get('cause') or '(none stated)'}"
        flag = "incident"
    elif t == "work_stopped":
        details = f"{d.get('cause')}: {d.get('reason')}"
        flag = "stop"
    elif t == "work_resumed":
        people = _people_list(state, d.get("signers") or [])
    elif t == "setup_approved":
        item = d.get("setup", "")
        details = (
            "both approvals in: the setup may go ahead"
            if d.get("approved")
            else "first approval; waiting for the other (armorer and 1st AD both approve)"
        )
    elif t == "day_wrapped":
        details = "counts " + _counts(d.get("counts") or {})
    else:
        details = _generic({k: v for k, v in d.items() if k not in ("firearm", "lot")})
    override = d.get("override")
    if isinstance(override, dict):
        details += f"; OVERRIDE by {_people_list(state, override.get('by') or [])}: "
        details += str(override.get("reason", ""))
        flag = flag or "override"
    return {
        "seq": env["seq"],
        "at": env["at"],
        "type": t,
        "event": event,
        "item": str(item) if not isinstance(item, list) else ", ".join(map(str, item)),
        "by": person_text(state, actor),
        "people": people,
        "details": details.strip("; "),
        "flag": flag,
    }


# -- days ------------------------------------------------------------------------------------


def days(envs: Iterable[Env]) -> list[str]:
    """The shooting days of the production (from day_started), oldest first."""
    return sorted({e["data"]["day"] for e in envs if e["type"] == "day_started"})


def default_day(envs: Sequence[Env]) -> str:
    """The latest day started, else the local date of the latest event."""
    started = days(envs)
    if started:
        return started[-1]
    if envs:
        return str(envs[-1]["at"])[:10]
    raise ReportError("the production has no events yet")


def _check_day(day: str) -> str:
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError as e:
        raise ReportError(f"day must be a date like 2025-03-14, not {day!r}") from e
    return day


def day_events(envs: Sequence[Env], day: str) -> list[Env]:
    """The events of `day`: its local date, plus its day_started..day_wrapped span."""
    _check_day(day)
    start = end = None
    for e in envs:
        if e["type"] == "day_started" and e["data"].get("day") == day and start is None:
            start = e["seq"]
        elif e["type"] == "day_wrapped" and e["data"].get("day") == day:
            end = e["seq"]
    out = []
    for e in envs:
        in_span = start is not None and e["seq"] >= start and (end is None or e["seq"] <= end)
        if in_span or str(e["at"])[:10] == day:
            out.append(e)
    return out


def daily_log(state: State, envs: Sequence[Env], day: str) -> list[dict[str, Any]]:
    """Every firearms event of the day, in the order it was recorded."""
    return [describe(state, e) for e in day_events(envs, day) if e["type"] in LABELS]


# -- ammunition ------------------------------------------------------------------------------


def reconciliation(state: State, envs: Sequence[Env], day: str) -> dict[str, Any]:
    """Per lot counts for `day`: from its latest wrap, else live (reported blank).

    Returns {"source": "wrap <seq>" | "live", "rows": [...], "totals": {...}}.
    """
    _check_day(day)
    wrap = None
    for e in envs:
        if e["type"] == "day_wrapped" and e["data"].get("day") == day:
            wrap = e
    rows: list[dict[str, Any]] = []
    if wrap is not None:
        recon: dict[str, dict[str, Any]] = wrap["data"].get("reconciliation") or {}
        for lot_id in sorted(recon):
            r = recon[lot_id]
            lot = state.lots.get(lot_id)
            received, expended = int(r.get("received", 0)), int(r.get("expended", 0))
            in_firearms = int(r.get("in_firearms", 0))
            rows.append(
                {
                    "lot": lot_id,
                    "kind": lot.kind if lot else "",
                    "caliber": lot.caliber if lot else "",
                    "received": received,
                    "expended": expended,
                    "in_firearms": in_firearms,
                    "on_hand": received - expended - in_firearms,
                    "reported": r.get("reported"),
                    "difference": r.get("difference"),
                }
            )
    else:
        for lot in sorted(state.lots.values(), key=lambda x: x.id):
            rows.append(
                {
                    "lot": lot.id,
                    "kind": lot.kind,
                    "caliber": lot.caliber,
                    "received": lot.received,
                    "expended": lot.expended,
                    "in_firearms": lot.in_firearms,
                    "on_hand": lot.on_hand,
                    "reported": None,
                    "difference": None,
                }
            )
    for r in rows:
        r["flag"] = "DIFFERENCE" if r["difference"] not in (None, 0) else ""
    totals: dict[str, Any] = {"lot": "Total", "kind": "", "caliber": "", "flag": ""}
    for key in ("received", "expended", "in_firearms", "on_hand"):
        totals[key] = sum(int(r[key]) for r in rows)
    for key in ("reported", "difference"):
        values = [r[key] for r in rows if r[key] is not None]
        totals[key] = sum(values) if values else None
    if totals["difference"] not in (None, 0):
        totals["flag"] = "DIFFERENCE"
    return {
        "source": f"wrap of {day} (event {wrap['seq']})" if wrap else "live counts (not wrapped)",
        "rows": rows,
        "totals": totals,
    }


# -- incidents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentReport:
    incident: dict[str, Any]
    rows: list[dict[str, Any]]
    refusals: int
    alerts: int
    window: int


def _when(at: str) -> datetime:
    return datetime.fromisoformat(at)


def incidents(envs: Iterable[Env]) -> list[str]:
    return [
        e["data"]["incident"] for e in envs if e["type"] in ("incident_filed", "incident_opened")
    ]


def incident_timeline(
    state: State, envs: Sequence[Env], incident: str, window: int = 60
) -> IncidentReport:
    """The incident, its cause, and every event within `window` minutes either side."""
    if not 0 <= window <= MAX_WINDOW:
        raise ReportError(f"the window is a number of minutes, 0 to {MAX_WINDOW}")
    found = None
    for e in envs:
        if e["type"] in ("incident_filed", "incident_opened") and e["data"].get("incident") == (
            incident
        ):
            found = e
    if found is None:
        known = ", ".join(incidents(envs)) or "none"
        raise ReportError(f"no incident {incident!r} in this production (known: {known})")
    centre = _when(found["at"])
    lo, hi = centre - timedelta(minutes=window), centre + timedelta(minutes=window)
    rows = []
    for e in envs:
        if e["type"] in QUIET:
            continue
        if lo <= _when(e["at"]) <= hi:
            row = describe(state, e)
            row["this"] = e["seq"] == found["seq"]
            rows.append(row)
    d = found["data"]
    return IncidentReport(
        incident={
            "id": incident,
            "seq": found["seq"],
            "at": found["at"],
            "by": person_text(state, found["actor"]),
            "cause": d.get("cause") or "(no cause stated)",
            "related": d.get("related"),
            "rule": d.get("rule"),
        },
        rows=rows,
        refusals=sum(1 for r in rows if r["flag"] == "refused"),
        alerts=sum(1 for r in rows if r["type"] == "alert_raised"),
        window=window,
    )


# -- one firearm -----------------------------------------------------------------------------


def firearm_history(envs: Sequence[Env], firearm: str) -> tuple[State, list[dict[str, Any]]]:
    """Every event naming `firearm`, oldest first, with its custodian after each one.

    Folds the events itself (the custodian at each point is part of the row), so it returns
    the state at the end too.
    """
    state = State()
    rows = []
    for env in envs:
        state = evolve(state, Event(env["type"], env["actor"], env["at"], env["data"]))
        if env["type"] in QUIET or not mentions(env, "firearm", firearm):
            continue
        row = describe(state, env)
        f = state.firearms.get(firearm)
        row["custodian"] = holder_text(state, f.custodian) if f is not None else ""
        rows.append(row)
    if firearm not in state.firearms:
        known = ", ".join(sorted(state.firearms)) or "none"
        raise ReportError(f"no firearm {firearm!r} in this production (known: {known})")
    return state, rows


def firearm_facts(state: State, firearm: str) -> dict[str, Any]:
    f = state.firearms[firearm]
    return {
        "id": f.id,
        "kind": f.kind,
        "caliber": f.caliber,
        "make": f.make,
        "model": f.model,
        "serial": f.serial,
        "custodian": holder_text(state, f.custodian),
        "in_service": f.out_of_service is None,
        "out_of_service": f.out_of_service,
    }
