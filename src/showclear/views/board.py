"""The armory board: the state of a production as plain, JSON-ready answers.

Who holds each firearm, loaded with what, in service or not and why; each lot's counts,
location and quarantine; stop-work and the sign-offs still missing; concerns, incidents,
today's setups and approvals; recent alerts. Used by the CLI, the web app and reports.
"""

from __future__ import annotations

from typing import Any

from showclear.domain.rules.stopwork import missing_signoffs
from showclear.domain.state import Disposal, Firearm, Lot, State
from showclear.domain.values import Holder


def holder_text(state: State, h: Holder) -> str:
    if h.kind == "container":
        c = state.containers.get(h.id)
        return f"{h.id} ({c.kind}{', locked' if c and c.is_storage else ''})" if c else h.id
    p = state.people.get(h.id)
    return f"{p.name} ({h.id})" if p else h.id


def disposal_row(d: Disposal | None) -> dict[str, Any] | None:
    """How an item left the production (SC-V02), or None while it is still here."""
    if d is None:
        return None
    return {"how": d.how, "to": d.to, "count": d.count, "witness": d.witness,
            "reference": d.reference, "by": d.by, "at": d.at}  # fmt: skip


def firearm_row(state: State, f: Firearm) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind,
        "caliber": f.caliber,
        "make": f.make,
        "model": f.model,
        "serial": f.serial,
        "custodian": f.custodian.as_dict(),
        "custodian_text": holder_text(state, f.custodian),
        "issued_to": f.issued_to,
        "setup": f.issued_setup,
        "loaded": [{"lot": lot, "rounds": n} for lot, n in f.loaded],
        "loaded_kind": f.loaded_kind,
        "rounds": f.rounds,
        "in_service": f.out_of_service is None,
        "out_of_service": f.out_of_service,
        "secured": state.in_storage(f.custodian),
        "class": f.firearm_class,
        "vendor": f.vendor,
        "invoice": f.invoice,
        "due_back": f.due_back.isoformat() if f.due_back else None,
        "disposed": disposal_row(f.disposed),
    }


def lot_row(state: State, lot: Lot) -> dict[str, Any]:
    return {
        "id": lot.id,
        "kind": lot.kind,
        "caliber": lot.caliber,
        "vendor": lot.vendor,
        "received": lot.received,
        "expended": lot.expended,
        "in_firearms": lot.in_firearms,
        "on_hand": lot.on_hand,
        "verified_today": lot.verified,
        "usable": lot.kind != "dummy" or lot.inspected_ok,
        "quarantined": lot.quarantined,
        "custodian": lot.custodian.as_dict(),
        "custodian_text": holder_text(state, lot.custodian),
        "secured": state.in_storage(lot.custodian),
        "invoice": lot.invoice,
        "disposed": disposal_row(lot.disposed),
    }


def board(state: State) -> dict[str, Any]:
    day = state.day
    stop = state.stop
    return {
        "production": state.production,
        "title": state.title,
        "head": state.version,
        "now": state.now.isoformat() if state.now else None,
        "policy": state.policy.as_dict(),
        "day": None
        if day is None
        else {"day": day.day.isoformat(), "armorer": day.armorer, "assistant": day.assistant},
        "stop": None
        if stop is None
        else {
            "by": stop.by,
            "at": stop.at,
            "reason": stop.reason,
            "causes": sorted(stop.causes),
            "signoffs": list(stop.signoffs),
            "missing_signoffs": missing_signoffs(state, stop.signoffs),
            "incident_needed": stop.incident_needed_after is not None
            and state.last_incident_number <= stop.incident_needed_after,
        },
        "break": None if state.brk is None else {"kind": state.brk.kind, "at": state.brk.at},
        "firearms": [firearm_row(state, f) for f in state.firearms.values()],
        "lots": [lot_row(state, lot) for lot in state.lots.values()],
        "containers": [
            {"id": c.id, "kind": c.kind, "lockable": c.lockable, "storage": c.is_storage}
            for c in state.containers.values()
        ],
        "people": [
            {"id": p.id, "name": p.name, "roles": sorted(p.roles)} for p in state.people.values()
        ],
        "setups": [
            {
                "id": s.id,
                "scene": s.scene,
                "action": s.action,
                "firearms": list(s.firearms),
                "performers": list(s.performers),
                "approvals": sorted(s.approvals),
                "approved": state.setup_approved(s),
                "completed": s.completed,
            }
            for s in state.setups.values()
            if day is not None and s.day_no == day.number
        ],
        "safety_meeting_attendees": sorted(state.meeting_attendees),
        "concerns": sorted(
            (
                {
                    "id": c.id,
                    "text": c.text,
                    "raised_by": c.raised_by,
                    "raised_at": c.raised_at.isoformat(),
                    "acknowledged_by": c.acknowledged_by,
                    "response": c.response,
                    "overdue": c.overdue,
                }
                for c in state.concerns.values()
            ),
            key=lambda c: (c["acknowledged_by"] is not None, c["raised_at"]),
        ),
        "incidents": [
            {
                "id": i.id,
                "cause": i.cause,
                "filed_by": i.filed_by,
                "at": i.at,
                "opened_by_rule": i.opened_by_rule,
            }
            for i in state.incidents.values()
        ],
        "alerts": [
            {"rule": a.rule, "to": list(a.to), "message": a.message, "at": a.at}
            for a in state.alerts[-20:]
        ],
        "alert_count": state.alert_count,
        "refusal_count": state.refusal_count,
        "closed": state.closed,
    }
