"""What an accepted command causes: its events, or a plain refusal when it makes no sense.

Rules have already passed when these run (decide.py). What is left is sense: an ID already in
use, nothing to unload, no stop to resume from. The ALERT rules SC-A02, SC-A08 and SC-S03 add
their consequences here because they follow from accepting the command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from showclear.domain import commands as c
from showclear.domain import events as ev
from showclear.domain.contacts import CHANNEL_WORDS, is_fingerprint
from showclear.domain.events import Event, alert_event
from showclear.domain.rules import alert_rule
from showclear.domain.rules.stopwork import missing_signoffs, signoff_roles
from showclear.domain.state import State
from showclear.domain.values import EVERYONE


@dataclass(frozen=True)
class Effect:
    events: list[Event]
    message: str


@dataclass(frozen=True)
class Nonsense:
    message: str


Outcome = Effect | Nonsense


def _event(cmd: c.Command, type_: str, **data: Any) -> Event:
    return Event(type_, cmd.actor, cmd.at_text, data)


def _override(cmd: c.Command) -> dict[str, Any]:
    if cmd.override is None:
        return {}
    return {"override": {"by": list(cmd.override.by), "reason": cmd.override.reason}}


def _given(**fields: Any) -> dict[str, Any]:
    """The optional fields a command carried (absent ones are left out of its event)."""
    return {k: v for k, v in fields.items() if v is not None}


def alert(cmd: c.Command, rule: str, to: list[str], message: str, **subject: Any) -> Event:
    return alert_event(cmd.actor, cmd.at_text, rule, to, message, **subject)


def _one(cmd: c.Command, type_: str, message: str, **data: Any) -> Effect:
    return Effect([_event(cmd, type_, **data)], message)


def _in_use(kind: str, ident: str) -> Nonsense:
    article = "An" if kind[0] in "aeiou" else "A"
    return Nonsense(f"{article} {kind} with ID {ident} already exists; choose another ID.")


# -- setup ------------------------------------------------------------------------------------


def open_production(s: State, cmd: c.OpenProduction) -> Outcome:
    policy = s.policy.merged(dict(cmd.policy or {})).as_dict()
    return _one(cmd, ev.PRODUCTION_OPENED, f"Opened production {cmd.production}.",
                production=cmd.production, title=cmd.title, policy=policy)  # fmt: skip


def add_person(s: State, cmd: c.AddPerson) -> Outcome:
    if cmd.person in s.people:
        return _in_use("person", cmd.person)
    return _one(cmd, ev.PERSON_ADDED, f"Added {cmd.name} ({cmd.person}).",
                person=cmd.person, name=cmd.name, roles=list(dict.fromkeys(cmd.roles)))  # fmt: skip


def add_credential(s: State, cmd: c.AddCredential) -> Outcome:
    classes = list(dict.fromkeys(cmd.classes)) if cmd.classes is not None else None
    return _one(cmd, ev.CREDENTIAL_ADDED, f"Recorded {cmd.kind} for {cmd.person}.",
                person=cmd.person, kind=cmd.kind, expires=cmd.expires.isoformat(),
                **_given(classes=classes))  # fmt: skip


def register_container(s: State, cmd: c.RegisterContainer) -> Outcome:
    if cmd.container in s.containers:
        return _in_use("container", cmd.container)
    return _one(cmd, ev.CONTAINER_REGISTERED, f"Registered container {cmd.container}.",
                container=cmd.container, kind=cmd.kind, lockable=cmd.lockable)  # fmt: skip


def register_firearm(s: State, cmd: c.RegisterFirearm) -> Outcome:
    if cmd.firearm in s.firearms:
        return _in_use("firearm", cmd.firearm)
    due = f" It is due back by the end of {cmd.due_back.isoformat()}." if cmd.due_back else ""
    return _one(cmd, ev.FIREARM_REGISTERED, f"Registered {cmd.firearm}; {cmd.actor} holds it.{due}",
                firearm=cmd.firearm, kind=cmd.kind, caliber=cmd.caliber, make=cmd.make,
                model=cmd.model, serial=cmd.serial,
                **_given(vendor=cmd.vendor, invoice=cmd.invoice,
                         due_back=cmd.due_back.isoformat() if cmd.due_back else None,
                         **{"class": cmd.class_}))  # fmt: skip


def receive_ammo(s: State, cmd: c.ReceiveAmmo) -> Outcome:
    if cmd.lot in s.lots:
        return _in_use("lot", cmd.lot)
    return _one(cmd, ev.AMMO_RECEIVED, f"Received lot {cmd.lot}: {cmd.count} {cmd.kind} rounds.",
                lot=cmd.lot, kind=cmd.kind, caliber=cmd.caliber, count=cmd.count,
                vendor=cmd.vendor, **_given(invoice=cmd.invoice))  # fmt: skip


def inspect_lot(s: State, cmd: c.InspectLot) -> Outcome:
    if cmd.failed > cmd.checked:
        return Nonsense(f"failed ({cmd.failed}) cannot exceed checked ({cmd.checked}).")
    lot = s.lots[cmd.lot]
    passed = cmd.checked >= lot.received and cmd.failed == 0
    events = [_event(cmd, ev.LOT_INSPECTED, lot=lot.id, method=cmd.method, checked=cmd.checked,
                     failed=cmd.failed, passed=passed)]  # fmt: skip
    if cmd.failed:
        reason = f"{cmd.failed} of {cmd.checked} rounds failed {cmd.method} inspection"
        events.append(_event(cmd, ev.LOT_QUARANTINED, lot=lot.id, reason=reason))
        return Effect(events, f"Lot {lot.id} quarantined: {reason}.")
    if lot.kind == "dummy" and not passed:
        return Effect(events, f"Checked {cmd.checked} of {lot.received}: lot {lot.id} is not "
                              "usable until every round is checked.")  # fmt: skip
    return Effect(events, f"Lot {lot.id} inspected: {cmd.checked} checked, none failed.")


def set_policy(s: State, cmd: c.SetPolicy) -> Outcome:
    policy = s.policy.merged(dict(cmd.policy)).as_dict()
    return _one(cmd, ev.POLICY_SET, "Policy changed; it applies from the next command on.",
                policy=policy, agreed_by=cmd.agreed_by)  # fmt: skip


# -- days and planning ------------------------------------------------------------------------


def start_day(s: State, cmd: c.StartDay) -> Outcome:
    if s.day is not None:
        return Nonsense(f"Day {s.day.day.isoformat()} is still running; wrap it first.")
    return _one(cmd, ev.DAY_STARTED, f"Day {cmd.day.isoformat()} started; {cmd.armorer} on duty.",
                day=cmd.day.isoformat(), armorer=cmd.armorer,
                assistant_armorer=cmd.assistant_armorer, **_override(cmd))  # fmt: skip


def safety_meeting(s: State, cmd: c.SafetyMeeting) -> Outcome:
    attendees = sorted({*cmd.attendees, cmd.actor})
    return _one(cmd, ev.SAFETY_MEETING_HELD, f"Safety meeting held: {len(attendees)} attended.",
                attendees=attendees)  # fmt: skip


def plan_setup(s: State, cmd: c.PlanSetup) -> Outcome:
    revised = cmd.setup in s.setups
    verb = "revised; its approvals are withdrawn" if revised else "planned"
    return _one(cmd, ev.SETUP_PLANNED, f"Setup {cmd.setup} {verb}.", setup=cmd.setup,
                scene=cmd.scene, firearms=list(cmd.firearms), performers=list(cmd.performers),
                action=cmd.action, toward_people=cmd.toward_people, distance_m=cmd.distance_m,
                shields=cmd.shields, remote_camera=cmd.remote_camera, rehearsal=cmd.rehearsal,
                revised=revised, **_readiness(cmd), **_override(cmd))  # fmt: skip


def _readiness(cmd: c.PlanSetup) -> dict[str, Any]:
    """SC-F03 and SC-F04's fields, as far as the setup states them."""
    ra = cmd.risk_assessment
    return _given(ppe=cmd.ppe, medic=cmd.medic, risk_assessment=None if ra is None else
                  {"sha256": ra.sha256, "controls": ra.controls})  # fmt: skip


def approve_setup(s: State, cmd: c.ApproveSetup) -> Outcome:
    setup = s.setups[cmd.setup]
    if setup.completed:
        return Nonsense(f"Setup {setup.id} is completed; plan it again to use it.")
    if cmd.actor in setup.approvals:
        return Nonsense(f"{cmd.actor} has already approved setup {setup.id}.")
    after = s.setup_approved(replace(setup, approvals=setup.approvals | {cmd.actor}))
    note = "approved by the armorer and the 1st AD" if after else "approval recorded"
    return _one(cmd, ev.SETUP_APPROVED, f"Setup {setup.id}: {note}.", setup=setup.id,
                approved=after, **_override(cmd))  # fmt: skip


def complete_setup(s: State, cmd: c.CompleteSetup) -> Outcome:
    setup = s.setups[cmd.setup]
    if setup.completed:
        return Nonsense(f"Setup {setup.id} is already completed.")
    recall = sorted(f.id for f in s.firearms.values() if f.issued_to and f.issued_setup == setup.id)
    extra = (
        f"; {', '.join(recall)} due back within {s.policy.return_minutes:g} min" if recall else ""
    )
    return _one(cmd, ev.SETUP_COMPLETED, f"Setup {setup.id} completed{extra}.",
                setup=setup.id, recall=recall)  # fmt: skip


# -- ammunition -------------------------------------------------------------------------------


def verify_rounds(s: State, cmd: c.VerifyRounds) -> Outcome:
    lot = s.lots[cmd.lot]
    added = min(cmd.count, lot.on_hand)
    return _one(cmd, ev.ROUNDS_VERIFIED, f"Verified {added} rounds of lot {lot.id}.",
                lot=lot.id, count=cmd.count, method=cmd.method, added=added)  # fmt: skip


def load(s: State, cmd: c.Load) -> Outcome:
    lot = s.lots[cmd.lot]
    if cmd.rounds == 0:
        return Nonsense("Load at least one round.")
    if cmd.rounds > lot.on_hand:
        return Nonsense(f"Lot {lot.id} has only {lot.on_hand} rounds on hand.")
    return _one(cmd, ev.FIREARM_LOADED,
                f"Loaded {cmd.rounds} {lot.kind} rounds of lot {lot.id} into {cmd.firearm}.",
                firearm=cmd.firearm, lot=lot.id, rounds=cmd.rounds, kind=lot.kind)  # fmt: skip


def unload(s: State, cmd: c.Unload) -> Outcome:
    f = s.firearms[cmd.firearm]
    if not f.loaded:  # DRILLS.md: unloading an empty firearm is a clearing check, and recorded
        return _one(cmd, ev.FIREARM_UNLOADED, f"Cleared {f.id}: it was empty (clearing check "
                    "recorded).", firearm=f.id, rounds={})  # fmt: skip
    return _one(cmd, ev.FIREARM_UNLOADED, f"Unloaded {f.id}: {f.rounds} rounds back to their lot.",
                firearm=f.id, rounds=dict(f.loaded))  # fmt: skip


# -- custody ----------------------------------------------------------------------------------


def issue(s: State, cmd: c.Issue) -> Outcome:
    called = f", called {cmd.call}" if cmd.call else ""
    return _one(cmd, ev.FIREARM_ISSUED,
                f"Issued {cmd.firearm} to {cmd.to} for {cmd.setup}{called}.",
                firearm=cmd.firearm, to=cmd.to, setup=cmd.setup, shown=cmd.shown,
                witnesses=list(cmd.witnesses), **_given(call=cmd.call),
                **_override(cmd))  # fmt: skip


def return_(s: State, cmd: c.Return) -> Outcome:
    if cmd.from_ == cmd.actor:
        return Nonsense(f"{cmd.actor} already holds {cmd.firearm}.")
    return _one(cmd, ev.FIREARM_RETURNED, f"{cmd.firearm} is back with {cmd.actor}.",
                firearm=cmd.firearm, **{"from": cmd.from_})  # fmt: skip


def _item(cmd: c.Secure | c.Retrieve) -> tuple[str, str]:
    return ("firearm", cmd.firearm) if cmd.firearm is not None else ("lot", str(cmd.lot))


def secure(s: State, cmd: c.Secure) -> Outcome:
    kind, ident = _item(cmd)
    return _one(cmd, ev.ITEM_SECURED, f"{kind.title()} {ident} locked in {cmd.container}.",
                item=kind, id=ident, container=cmd.container)  # fmt: skip


def retrieve(s: State, cmd: c.Retrieve) -> Outcome:
    kind, ident = _item(cmd)
    holder = s.firearms[ident].custodian if kind == "firearm" else s.lots[ident].custodian
    if holder.kind != "container" or holder.id != cmd.container:
        return Nonsense(f"{kind.title()} {ident} is not in {cmd.container}; it is with {holder}.")
    return _one(cmd, ev.ITEM_RETRIEVED, f"{kind.title()} {ident} retrieved by {cmd.actor}.",
                item=kind, id=ident, container=cmd.container)  # fmt: skip


# -- firing and out of service ----------------------------------------------------------------


@alert_rule("SC-S03", "a discharge not inside an approved fire_blanks setup")
def discharge(s: State, cmd: c.Discharge) -> Outcome:
    f = s.firearms[cmd.firearm]
    planned = cmd.planned and bool(s.blank_setups_for(f.id))
    left, expended = cmd.rounds, {}
    for lid, n in f.loaded:
        take = min(n, left)
        if take:
            expended[lid] = take
            left -= take
    events = [_event(cmd, ev.FIREARM_DISCHARGED, firearm=f.id, planned=planned,
                     reported_planned=cmd.planned, rounds=cmd.rounds, expended=expended,
                     unattributed=left)]  # fmt: skip
    if planned:
        return Effect(events, f"Planned discharge of {f.id}: {cmd.rounds} rounds.")
    why = "reported unplanned" if not cmd.planned else "no approved fire_blanks setup for it"
    events += [
        _event(cmd, ev.FIREARM_OUT_OF_SERVICE, firearm=f.id, reason="unplanned discharge"),
        _event(cmd, ev.WORK_STOPPED, reason=f"unplanned discharge of {f.id}", cause="SC-S03"),
        alert(cmd, "SC-S03", [EVERYONE],
              f"UNPLANNED DISCHARGE of {f.id} ({why}). Work is stopped; {f.id} is out of service.",
              firearm=f.id),
    ]  # fmt: skip
    return Effect(events, f"Unplanned discharge of {f.id}: work stopped, everyone alerted.")


def report_misfire(s: State, cmd: c.ReportMisfire) -> Outcome:
    return _one(cmd, ev.MISFIRE_REPORTED,
                f"Misfire: {cmd.firearm} is out of service until the armorer inspects it.",
                firearm=cmd.firearm)  # fmt: skip


def inspect_firearm(s: State, cmd: c.InspectFirearm) -> Outcome:
    state = "barrel clear, in service" if cmd.barrel_clear else "barrel NOT clear: out of service"
    return _one(cmd, ev.FIREARM_INSPECTED, f"{cmd.firearm} inspected: {state}.",
                firearm=cmd.firearm, barrel_clear=cmd.barrel_clear)  # fmt: skip


@alert_rule("SC-A02", "report_live_round")
def report_live_round(s: State, cmd: c.ReportLiveRound) -> Outcome:
    """SC-A02: stop everything, quarantine the lot and its vendor's lots, sideline firearms."""
    named: set[str] = {cmd.lot} if cmd.lot else set()
    if cmd.firearm:
        named |= {lot for fid, lot in s.loads_today if fid == cmd.firearm}
        named |= {lot for lot, _ in s.firearms[cmd.firearm].loaded}
    vendors = {s.lots[lot].vendor for lot in named}
    quarantine = sorted(named | {lot.id for lot in s.lots.values() if lot.vendor in vendors})
    sidelined = sorted({fid for fid, lot in s.loads_today if lot in quarantine}
                       | ({cmd.firearm} if cmd.firearm else set()))  # fmt: skip
    events = [_event(cmd, ev.LIVE_ROUND_REPORTED, lot=cmd.lot, firearm=cmd.firearm, note=cmd.note)]
    events += [_event(cmd, ev.LOT_QUARANTINED, lot=lot, reason="live round reported")
               for lot in quarantine if not s.lots[lot].quarantined]  # fmt: skip
    events += [_event(cmd, ev.FIREARM_OUT_OF_SERVICE, firearm=fid,
                      reason="contact with a quarantined lot") for fid in sidelined]  # fmt: skip
    events.append(_event(cmd, ev.WORK_STOPPED, reason="live round reported", cause="SC-A02"))
    parts = [f"lots quarantined: {', '.join(quarantine)}" if quarantine else "",
             f"out of service: {', '.join(sidelined)}" if sidelined else ""]  # fmt: skip
    detail = "; ".join(p for p in parts if p)
    events.append(alert(cmd, "SC-A02", [EVERYONE],
                        f"LIVE ROUND REPORTED. All firearms work is stopped. {detail}".strip(),
                        lots=quarantine, firearms=sidelined))  # fmt: skip
    return Effect(events, f"Live round reported: work stopped. {detail}".strip())


# -- stop work, concerns, incidents -----------------------------------------------------------


def report_concern(s: State, cmd: c.ReportConcern) -> Outcome:
    if cmd.concern in s.concerns:
        return _in_use("concern", cmd.concern)
    return _one(cmd, ev.CONCERN_RAISED, f"Concern {cmd.concern} recorded; it is never deleted.",
                concern=cmd.concern, text=cmd.text)  # fmt: skip


def acknowledge_concern(s: State, cmd: c.AcknowledgeConcern) -> Outcome:
    concern = s.concerns[cmd.concern]
    if concern.acknowledged_by is not None:
        return Nonsense(f"Concern {concern.id} was already acknowledged by "
                        f"{concern.acknowledged_by}.")  # fmt: skip
    return _one(cmd, ev.CONCERN_ACKNOWLEDGED, f"Concern {concern.id} acknowledged.",
                concern=concern.id, response=cmd.response)  # fmt: skip


def stop_work(s: State, cmd: c.StopWork) -> Outcome:
    return _one(cmd, ev.WORK_STOPPED, "WORK STOPPED: no loading, issuing or approving.",
                reason=cmd.reason, cause="SC-S01")  # fmt: skip


def file_incident(s: State, cmd: c.FileIncident) -> Outcome:
    if cmd.incident in s.incidents:
        return _in_use("incident", cmd.incident)
    return _one(cmd, ev.INCIDENT_FILED, f"Incident {cmd.incident} filed.",
                incident=cmd.incident, cause=cmd.cause, related=cmd.related)  # fmt: skip


def resume_work(s: State, cmd: c.ResumeWork) -> Outcome:
    if s.stop is None:
        return Nonsense("Work is not stopped; there is nothing to resume.")
    if cmd.actor in s.stop.signoffs:
        return Nonsense(f"{cmd.actor} has already signed to resume.")
    signers = (*s.stop.signoffs, cmd.actor)
    events = [_event(cmd, ev.RESUME_SIGNED, roles=signoff_roles(s, cmd.actor))]
    missing = missing_signoffs(s, signers)
    if not missing:
        events.append(_event(cmd, ev.WORK_RESUMED, signers=list(signers)))
        return Effect(events, "Work resumes: the armorer, a safety supervisor and a producer "
                              "have signed.")  # fmt: skip
    still = ", ".join(m.replace("_", " ") for m in missing)
    return Effect(events, f"Sign-off recorded ({len(signers)} so far); work is still stopped. "
                          f"Still to sign: {still}.")  # fmt: skip


def assign_task(s: State, cmd: c.AssignTask) -> Outcome:
    return _one(cmd, ev.TASK_ASSIGNED, f"{cmd.person} assigned: {cmd.task}.",
                person=cmd.person, task=cmd.task)  # fmt: skip


def call_break(s: State, cmd: c.CallBreak) -> Outcome:
    if s.brk is not None:
        return Nonsense("A break is already called; end it first.")
    recall = sorted(f.id for f in s.firearms.values() if f.issued_to)
    return _one(cmd, ev.BREAK_CALLED,
                f"{cmd.kind.title()} break: everything locked away within "
                f"{s.policy.secure_minutes:g} min.", kind=cmd.kind, recall=recall)  # fmt: skip


def end_break(s: State, cmd: c.EndBreak) -> Outcome:
    if s.brk is None:
        return Nonsense("No break is in force.")
    return _one(cmd, ev.BREAK_ENDED, "Break over.")


@alert_rule("SC-A08", "wrap_day with lots that do not reconcile")
def wrap_day(s: State, cmd: c.WrapDay) -> Outcome:
    """Wrap, and SC-A08: every lot reconciles, or an incident opens and people are alerted."""
    if s.day is None:
        return Nonsense("No day is running; there is nothing to wrap.")
    lots = [lot for lot in s.lots.values() if lot.disposed is None]  # gone: not counted
    counts = {lot.id: cmd.counts.get(lot.id, 0) for lot in lots}
    recon = {}
    off = []
    for lot in lots:
        diff = lot.received - lot.expended - lot.in_firearms - counts[lot.id]
        recon[lot.id] = {"received": lot.received, "expended": lot.expended,
                         "in_firearms": lot.in_firearms, "reported": counts[lot.id],
                         "difference": diff}  # fmt: skip
        if diff:
            off.append(f"lot {lot.id}: {diff:+d}")
    day = s.day.day.isoformat()
    events = [_event(cmd, ev.DAY_WRAPPED, day=day, counts=counts, reconciliation=recon)]
    if not off:
        return Effect(events, f"Day {day} wrapped; every lot reconciles.")
    incident = _new_incident_id(s, f"unaccounted-{day}")
    cause = "ammunition unaccounted: " + "; ".join(off)
    events += [
        Event(ev.INCIDENT_OPENED, cmd.actor, cmd.at_text,
              {"incident": incident, "cause": cause, "related": sorted(recon), "rule": "SC-A08"}),
        alert(cmd, "SC-A08", ["armorer", "safety_supervisor", "producer"],
              f"AMMUNITION UNACCOUNTED at wrap of {day}: {'; '.join(off)}. Incident {incident}.",
              incident=incident),
    ]  # fmt: skip
    return Effect(events, f"Day {day} wrapped, but ammunition is unaccounted: incident {incident}.")


def _new_incident_id(s: State, base: str) -> str:
    """`base`, or `base-2`, `base-3`... when an incident already has that ID."""
    incident, n = base, 2
    while incident in s.incidents:
        incident, n = f"{base}-{n}", n + 1
    return incident


def tick(s: State, cmd: c.Tick) -> Outcome:
    return _one(cmd, ev.CLOCK_TICKED, "Clock advanced.")


# -- the inventory's life and firing readiness -------------------------------------------------


def approve_vendor(s: State, cmd: c.ApproveVendor) -> Outcome:
    renewed = cmd.vendor in s.vendors
    expires = cmd.licence_expires.isoformat()
    state = "expired" if cmd.licence_expires < cmd.at.date() else "valid"
    return _one(cmd, ev.VENDOR_APPROVED,
                f"Vendor {cmd.vendor} ({cmd.name}) {'renewed' if renewed else 'approved'}: licence "
                f"{cmd.licence}, {state} through {expires}.",
                vendor=cmd.vendor, name=cmd.name, licence=cmd.licence, licence_expires=expires,
                agreed_by=cmd.agreed_by, renewed=renewed)  # fmt: skip


@alert_rule("SC-V03", "dispose of a lot with a count that differs from its rounds on hand")
def dispose(s: State, cmd: c.Dispose) -> Outcome:
    """Record how an item left; SC-V03: a lot whose papers disagree with its rounds on hand."""
    kind, ident = ("firearm", cmd.firearm) if cmd.firearm is not None else ("lot", str(cmd.lot))
    where = {"returned": f"returned to {cmd.to}", "transferred": f"transferred to {cmd.to}",
             "destroyed": f"destroyed before {cmd.witness}"}[cmd.how]  # fmt: skip
    data: dict[str, Any] = {"item": kind, "id": ident, "how": cmd.how}
    data |= _given(to=cmd.to, witness=cmd.witness, reference=cmd.reference)
    if kind == "firearm":
        return _one(cmd, ev.ITEM_DISPOSED, f"Firearm {ident} {where}; it has left the production.",
                    **data)  # fmt: skip
    lot = s.lots[ident]
    assert cmd.count is not None  # the parser requires it for a lot
    data |= {"count": cmd.count, "on_hand": lot.on_hand}
    events = [_event(cmd, ev.ITEM_DISPOSED, **data)]
    message = f"Lot {ident} {where}: {cmd.count} rounds."
    if cmd.count == lot.on_hand:
        return Effect(events, message)
    diff = cmd.count - lot.on_hand
    incident = _new_incident_id(s, f"unaccounted-{ident}")
    cause = (f"ammunition unaccounted: lot {ident} disposed of with {cmd.count} rounds, "
             f"{lot.on_hand} on hand ({diff:+d})")  # fmt: skip
    events += [
        Event(ev.INCIDENT_OPENED, cmd.actor, cmd.at_text,
              {"incident": incident, "cause": cause, "related": [ident], "rule": "SC-V03"}),
        alert(cmd, "SC-V03", ["armorer", "safety_supervisor", "producer"],
              f"AMMUNITION UNACCOUNTED: lot {ident} left with {cmd.count} rounds on the papers "
              f"but {lot.on_hand} on hand. Incident {incident}.", lot=ident, incident=incident),
    ]  # fmt: skip
    return Effect(events, f"{message} The count differs from the {lot.on_hand} on hand: "
                          f"incident {incident} opened.")  # fmt: skip


def record_notification(s: State, cmd: c.RecordNotification) -> Outcome:
    officer = f" (officer {cmd.officer})" if cmd.officer else ""
    return _one(cmd, ev.NOTIFICATION_RECORDED,
                f"Notice to {cmd.agency.replace('_', ' ')} for {cmd.day.isoformat()} recorded: "
                f"{cmd.reference}{officer}.", day=cmd.day.isoformat(), agency=cmd.agency,
                reference=cmd.reference, **_given(officer=cmd.officer))  # fmt: skip


def close_production(s: State, cmd: c.CloseProduction) -> Outcome:
    if s.day is not None:
        return Nonsense(f"Day {s.day.day.isoformat()} is still running; wrap it first.")
    return _one(cmd, ev.PRODUCTION_CLOSED, f"Production {s.production} closed: every firearm "
                "and lot has a recorded disposition. Nothing more is recorded.",
                agreed_by=cmd.agreed_by)  # fmt: skip


def correct(s: State, cmd: c.Correct) -> Outcome:
    if not 1 <= cmd.corrects <= s.version:
        return Nonsense(f"There is no event {cmd.corrects} in this production to correct.")
    if not cmd.reason.strip():
        return Nonsense("Say why the record is corrected.")
    return _one(cmd, ev.RECORD_CORRECTED, f"Correction to event {cmd.corrects} recorded; the "
                "original stays.", corrects=cmd.corrects, reason=cmd.reason,
                changes=cmd.changes)  # fmt: skip


def set_contact(s: State, cmd: c.SetContact) -> Outcome:
    what = CHANNEL_WORDS[cmd.channel]
    if cmd.fingerprint is None:
        if cmd.channel not in s.contacts.get(cmd.person, {}):
            return Nonsense(f"{cmd.person} has no {what} address to remove.")
        message = f"Removed {cmd.person}'s {what} address: no more alerts go there."
    elif not is_fingerprint(cmd.fingerprint) or not cmd.shown:
        return Nonsense("Send the address itself (address); the node records its fingerprint.")
    else:
        message = (f"Alerts routed to {cmd.person}'s roles now also go to {cmd.shown} "
                   f"({what}).")  # fmt: skip
    return _one(cmd, ev.CONTACT_SET, message, person=cmd.person, channel=cmd.channel,
                fingerprint=cmd.fingerprint, shown=cmd.shown)  # fmt: skip


EFFECTS: dict[str, Callable[[State, Any], Outcome]] = {
    "open_production": open_production,
    "add_person": add_person,
    "add_credential": add_credential,
    "register_container": register_container,
    "register_firearm": register_firearm,
    "receive_ammo": receive_ammo,
    "inspect_lot": inspect_lot,
    "set_policy": set_policy,
    "start_day": start_day,
    "safety_meeting": safety_meeting,
    "plan_setup": plan_setup,
    "approve_setup": approve_setup,
    "complete_setup": complete_setup,
    "verify_rounds": verify_rounds,
    "load": load,
    "unload": unload,
    "issue": issue,
    "return": return_,
    "secure": secure,
    "retrieve": retrieve,
    "discharge": discharge,
    "report_misfire": report_misfire,
    "inspect_firearm": inspect_firearm,
    "report_live_round": report_live_round,
    "report_concern": report_concern,
    "acknowledge_concern": acknowledge_concern,
    "stop_work": stop_work,
    "file_incident": file_incident,
    "resume_work": resume_work,
    "assign_task": assign_task,
    "call_break": call_break,
    "end_break": end_break,
    "wrap_day": wrap_day,
    "tick": tick,
    "approve_vendor": approve_vendor,
    "dispose": dispose,
    "record_notification": record_notification,
    "close_production": close_production,
    "correct": correct,
    "set_contact": set_contact,
}
