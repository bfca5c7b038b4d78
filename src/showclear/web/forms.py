"""HTML forms for every command, built from the command's own field annotations.

`fields_for` says how to draw each field (scan-friendly text with suggestions for IDs, big
toggles for booleans, tick lists for people); `form_to_raw` turns the posted form back into
the JSON object the API takes, leaving every judgement to the domain parser and the rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, get_args, get_origin

from starlette.datastructures import FormData

from showclear.domain.commands import (
    COMMANDS,
    EXTRA_COMMANDS,
    Command,
    PolicyPatch,
    RiskAssessment,
)
from showclear.domain.parsing import FieldSpec, Malformed, _strip, read_json, schema
from showclear.domain.rules.records import WHO, may_act_as
from showclear.domain.state import State
from showclear.domain.values import POLICY_TYPES

TITLES: dict[str, tuple[str, str]] = {
    "add_person": ("Add a person", "Producer or armorer."),
    "add_credential": ("Record a credential", "Armorer licence or firearms training."),
    "register_container": (
        "Register a container",
        "Only a locked safe, lockbox, case or truck safe is storage (SC-C05).",
    ),
    "register_firearm": ("Register a firearm", "The registering armorer holds it."),
    "receive_ammo": ("Receive ammunition", "Live ammunition is refused (SC-A01)."),
    "inspect_lot": ("Inspect a lot", "Dummies: check every round, none failed (SC-A03)."),
    "set_policy": ("Change the policy", "A producer with the armorer's agreement."),
    "start_day": ("Start the day", "The armorer on duty needs a valid licence (SC-M01)."),
    "safety_meeting": ("Safety meeting", "Tick everyone who attended (SC-C06)."),
    "plan_setup": ("Plan a setup", "Needs the armorer's and the 1st AD's approval (SC-P01)."),
    "approve_setup": ("Approve a setup", "Armorer or 1st AD."),
    "complete_setup": ("Complete a setup", "Firearms must come back (SC-C07)."),
    "verify_rounds": ("Verify rounds", "Every round you will load today (SC-A04)."),
    "load": ("Load a firearm", "Verified rounds only, matching caliber and kind."),
    "unload": ("Unload a firearm", "Rounds go back to their lot."),
    "return": ("Take a firearm back", "From the performer, to the armorer."),
    "secure": ("Lock away", "A firearm or a lot, into a locked container."),
    "retrieve": ("Retrieve", "A firearm or a lot, out of a container."),
    "discharge": ("Record a discharge", "Unplanned discharges stop work (SC-S03)."),
    "report_misfire": ("Report a misfire", "Takes the firearm out of service (SC-S04)."),
    "inspect_firearm": ("Inspect a firearm", "Barrel clear returns it to service."),
    "report_live_round": ("Report a live round", "Stops all firearms work at once (SC-A02)."),
    "report_concern": ("Raise a safety concern", "Anyone. Never deleted (SC-S06)."),
    "acknowledge_concern": ("Acknowledge a concern", "Producer or safety supervisor."),
    "stop_work": ("STOP WORK", "Anyone, any time (SC-S01)."),
    "file_incident": ("File an incident", "With its cause (needed to resume after SC-A02/S03)."),
    "resume_work": (
        "Sign to resume work",
        "Armorer on duty, safety supervisor and producer each sign (SC-S02).",
    ),
    "assign_task": ("Assign a task", "Not to the armorer while firearms are out (SC-C09)."),
    "call_break": ("Call a break", "Firearms back and locked away (SC-C07, SC-C08)."),
    "end_break": ("End the break", ""),
    "wrap_day": ("Wrap the day", "Count every lot (SC-A08); everything locked (SC-C11)."),
    "tick": ("Check the clocks", "Raises any alerts that have fallen due."),
    "correct": ("Correct a record", "A new event names the one it corrects (SC-R01)."),
    "issue": ("Hand over", "Show clear or show load, witnesses confirm with their PIN."),
    "approve_vendor": ("Approve a vendor", "Producer, with an armorer agreeing (SC-V01)."),
    "dispose": (
        "Dispose of a firearm or lot",
        "Returned, transferred or destroyed before a witness; unloaded, in the armory (SC-V02).",
    ),
    "record_notification": (
        "Record a notice",
        "Police, fire or film office, before blanks are loaded (SC-F02).",
    ),
    "close_production": (
        "Close the production",
        "Every firearm and lot disposed of first (SC-V02). Nothing is accepted after it.",
    ),
}

LABELS = {
    "from": "From (performer)",
    "to": "To (performer)",
    "agreed_by": "Agreed by (armorer)",
    "distance_m": "Distance to nearest person (m)",
    "toward_people": "Pointed toward people",
    "remote_camera": "Remote camera",
    "barrel_clear": "Barrel clear",
    "assistant_armorer": "Assistant armorer",
    "corrects": "Event number to correct",
    "changes": "What the correct values are",
}

Widget = Literal["text", "number", "checkbox", "select", "checks", "date", "counts", "policy"]


@dataclass
class Field:
    name: str
    label: str
    widget: Widget
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    value: Any = None
    suggest: str | None = None  # datalist id for scan-or-type ID fields
    step: str = "1"


def command_class(type_name: str) -> type[Command] | None:
    return COMMANDS.get(type_name) or EXTRA_COMMANDS.get(type_name)


# Who a screen offers a form to where a rule rather than DRILLS.md "who" says who acts: the
# armory's hands (SC-C01) and the setup's approvers (SC-P01). The rules still decide.
SCREEN_WHO: dict[str, tuple[str, ...]] = {
    **{t: ("armorer",) for t in ("load", "unload", "issue", "return", "secure")},
    "approve_setup": ("armorer", "first_ad"),
    "resume_work": ("armorer", "safety_supervisor", "producer"),
}
# Fields a form does not ask for: the system knows them (who holds the firearm being taken
# back) or makes them up (a new concern's ID). `fill_known` supplies them.
KNOWN_FIELDS = {"return": {"from"}, "report_concern": {"concern"}}
# The order a scanner fills a form in, where it differs from the command's: lock away the
# firearm (or lot) first, then scan the container it goes into.
FIELD_ORDER = {"secure": ("firearm", "lot", "container"), "retrieve": ("firearm", "lot")}


def may_issue(state: State, person: str, type_name: str) -> bool:
    """Whether to offer the form at all: DRILLS.md "who" (the rules still decide)."""
    roles = SCREEN_WHO.get(type_name) or WHO.get(type_name)
    return roles is None or may_act_as(state, person, roles)


def role_bound(type_name: str) -> bool:
    """Whether only some roles may issue the command (not "anyone, any time")."""
    return type_name in SCREEN_WHO or type_name in WHO


def fill_known(type_name: str, raw: dict[str, Any], state: State) -> None:
    """Add what the form did not ask for (KNOWN_FIELDS); anything given is kept as given."""
    if type_name == "return" and "from" not in raw:
        f = state.firearms.get(str(raw.get("firearm", "")))
        if f is not None:
            raw["from"] = f.issued_to or f.custodian.id
    if type_name == "report_concern" and "concern" not in raw:
        raw["concern"] = f"concern-{uuid.uuid4().hex[:8]}"


def _options(state: State, kind: str) -> list[tuple[str, str]]:
    if kind == "person":
        return [(p.id, f"{p.name} ({p.id})") for p in state.people.values()]
    items = {
        "firearm": state.firearms,
        "lot": state.lots,
        "container": state.containers,
        "concern": state.concerns,
    }[kind]
    return [(k, k) for k in items]


def _field(spec: FieldSpec, state: State, me: str) -> Field:
    label = LABELS.get(spec.wire, spec.wire.replace("_", " ").capitalize())
    tp, origin = spec.tp, get_origin(spec.tp)
    required = not spec.optional
    if tp is bool:
        return Field(spec.wire, label, "checkbox", False)
    if tp is int or tp is float:
        return Field(spec.wire, label, "number", required, step="1" if tp is int else "any")
    if tp is date:
        today = state.today() or date.today()
        return Field(spec.wire, label, "date", required, value=today.isoformat())
    if origin is Literal:
        opts = [(v, v.replace("_", " ")) for v in get_args(tp)]
        return Field(spec.wire, label, "select", required, opts)
    if origin is tuple:
        item_tp, _, item_ref, _ = _strip(get_args(tp)[0])
        ref = spec.ref or item_ref
        if ref is not None:
            return Field(spec.wire, label, "checks", required, _options(state, ref))
        if get_origin(item_tp) is Literal:
            opts = [(v, v.replace("_", " ")) for v in get_args(item_tp)]
            return Field(spec.wire, label, "checks", required, opts)
        return Field(spec.wire, label, "text", required)
    if tp is PolicyPatch:
        return Field(
            spec.wire,
            label,
            "policy",
            required,
            [(k, "checkbox" if v is bool else "number") for k, v in POLICY_TYPES.items()],
        )
    if origin is dict and get_args(tp)[1] is Any:
        return Field(spec.wire, label + " (JSON object)", "text", required, value="{}")
    if origin is dict:
        lots = [(lot.id, str(lot.on_hand)) for lot in state.lots.values()]
        return Field(spec.wire, label, "counts", required, lots)
    if spec.ref is not None:
        value = me if spec.wire == "armorer" and state.is_armorer(me) else None
        return Field(
            spec.wire,
            label,
            "text",
            required,
            _options(state, spec.ref),
            value,
            suggest=f"ids-{spec.ref}",
        )
    if spec.wire == "setup":
        return Field(spec.wire, label, "text", required, suggest="ids-setup")
    return Field(spec.wire, label, "text", required)


def fields_for(type_name: str, state: State, me: str) -> list[Field]:
    cls = command_class(type_name)
    if cls is None:
        raise KeyError(type_name)
    skip = KNOWN_FIELDS.get(type_name, set())
    # A risk assessment is a file: uploaded on the setup page (routes/readiness.py), not typed.
    specs = [
        spec for spec in schema(cls) if spec.wire not in skip and spec.tp is not RiskAssessment
    ]
    order = FIELD_ORDER.get(type_name, ())
    specs.sort(key=lambda spec: order.index(spec.wire) if spec.wire in order else len(order))
    return [_field(spec, state, me) for spec in specs]


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text  # let the parser name the field and say why


def scanned(text: str) -> str:
    """A scanned label may say `firearm:colt45`; a typed ID is taken as it is."""
    text = text.strip()
    for prefix in ("firearm:", "lot:", "container:", "person:", "badge:"):
        if text.lower().startswith(prefix):
            return text[len(prefix) :]
    return text


def form_to_raw(type_name: str, form: FormData) -> dict[str, Any]:
    cls = command_class(type_name)
    if cls is None:
        raise KeyError(type_name)
    raw: dict[str, Any] = {"type": type_name}
    for spec in schema(cls):
        name, tp, origin = spec.wire, spec.tp, get_origin(spec.tp)
        if tp is bool:
            raw[name] = form.get(name) in ("on", "true", "1", "yes")
        elif origin is tuple:
            raw[name] = [scanned(str(v)) for v in form.getlist(name) if str(v).strip()]
        elif tp is PolicyPatch:
            patch: dict[str, Any] = {}
            for key, kind in POLICY_TYPES.items():
                value = str(form.get(f"{name}.{key}", "")).strip()
                if kind is bool:
                    if value:
                        patch[key] = value == "on"
                elif value:
                    patch[key] = _number(value)
            if patch or not spec.optional:
                raw[name] = patch
        elif origin is dict and get_args(tp)[1] is Any:
            text = str(form.get(name, "")).strip() or "{}"
            try:
                raw[name] = read_json(text)  # within the same limits as an API body
            except Malformed:
                raw[name] = text  # the parser says it must be an object
        elif origin is dict:
            counts = {}
            prefix = f"{name}."
            for key in form:
                if key.startswith(prefix) and str(form.get(key, "")).strip():
                    counts[key[len(prefix) :]] = _number(str(form[key]))
            raw[name] = counts
        else:
            value = str(form.get(name, "")).strip()
            if not value:
                continue  # absent: the parser says whether it was required
            if tp is int or tp is float:
                raw[name] = _number(value)
            elif spec.ref is not None:
                raw[name] = scanned(value)
            else:
                raw[name] = value
    reason = str(form.get("override_reason", "")).strip()
    by = [scanned(str(v)) for v in form.getlist("override_by") if str(v).strip()]
    if reason or by:
        raw["override"] = {"by": by, "reason": reason}
    if form.get("command_id"):
        raw["command_id"] = str(form["command_id"])
    return raw


# The screens and the command forms each one offers.
GROUPS: dict[str, tuple[str, list[str]]] = {
    "armory": (
        "Armory",
        [
            "load",
            "unload",
            "return",
            "secure",
            "retrieve",
            "inspect_firearm",
            "discharge",
            "report_misfire",
            "register_firearm",
            "register_container",
            "dispose",
        ],
    ),
    "ammo": ("Ammunition", ["receive_ammo", "inspect_lot", "verify_rounds", "report_live_round"]),
    "day": (
        "Day plan",
        [
            "start_day",
            "safety_meeting",
            "plan_setup",
            "approve_setup",
            "complete_setup",
            "call_break",
            "end_break",
            "wrap_day",
            "assign_task",
            "record_notification",
            "tick",
        ],
    ),
    "safety": (
        "Safety",
        ["stop_work", "resume_work", "report_concern", "acknowledge_concern", "file_incident"],
    ),
    "people": ("People", ["add_person", "add_credential", "set_policy", "correct"]),
}
GUARDED = {"plan_setup", "issue", "start_day"}  # commands that GUARD rules may refuse
