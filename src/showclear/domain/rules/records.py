"""R: records. Who may act at all (SC-R02, SC-R05).

SC-R01 (append-only, corrections), SC-R03 (refusals recorded) and SC-R04 (ledger) are
properties of the event store and the service, not checks on a command.
"""

from __future__ import annotations

from showclear.domain.commands import (
    AddPerson,
    CloseProduction,
    Command,
    OpenProduction,
    SetContact,
    SetPolicy,
    StartDay,
)
from showclear.domain.parsing import person_fields
from showclear.domain.rules import Finding, rule
from showclear.domain.state import State

ROLE_WORDS = {
    "armorer": "an armorer",
    "producer": "a producer",
    "first_ad": "a 1st AD",
    "safety_supervisor": "a safety supervisor",
    "prop_master": "a prop master",
}

# DRILLS.md "who" column, for commands where no specific rule names who may act (approve_vendor
# is SC-V01's, as approve_setup is SC-P01's). "armorer" means the armorer role or the day's
# designated assistant.
WHO: dict[str, tuple[str, ...]] = {
    "add_person": ("producer", "armorer"),
    "add_credential": ("producer", "armorer"),
    "register_container": ("producer", "armorer"),
    "register_firearm": ("armorer",),
    "receive_ammo": ("armorer",),
    "inspect_lot": ("armorer",),
    "set_policy": ("producer",),
    "start_day": ("producer", "armorer"),
    "safety_meeting": ("armorer", "first_ad", "safety_supervisor"),
    "plan_setup": ("armorer", "first_ad"),
    "complete_setup": ("first_ad", "armorer"),
    "verify_rounds": ("armorer",),
    "retrieve": ("armorer",),
    "inspect_firearm": ("armorer",),
    "acknowledge_concern": ("producer", "safety_supervisor"),
    "file_incident": ("armorer", "safety_supervisor", "producer"),
    "assign_task": ("producer", "first_ad", "prop_master"),
    "call_break": ("first_ad",),
    "end_break": ("first_ad",),
    "wrap_day": ("armorer",),
    "dispose": ("armorer",),
    "record_notification": ("producer", "first_ad", "armorer"),
    "close_production": ("producer",),
    "correct": ("armorer", "producer", "safety_supervisor"),
    # ... and each person for themselves (actor_holds_a_role_allowed)
    "set_contact": ("producer", "armorer"),
}


def may_act_as(state: State, pid: str, roles: tuple[str, ...]) -> bool:
    return any(state.is_armorer(pid) if r == "armorer" else state.has_role(pid, r) for r in roles)


def words(roles: tuple[str, ...]) -> str:
    named = [ROLE_WORDS[r] for r in roles]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]


def bootstrapping(state: State, cmd: Command) -> bool:
    """While the production has no people, its opener may add them (DRILLS.md)."""
    return isinstance(cmd, AddPerson) and not state.people and cmd.actor == state.opener


@rule("SC-R02", "BLOCK", *WHO, "open_production", "load", "unload", "issue", "return", "secure",
      "approve_setup", "resume_work", "discharge", "report_misfire", "report_live_round",
      "report_concern", "stop_work", "tick", "approve_vendor")  # fmt: skip
def people_are_known(state: State, cmd: Command) -> Finding | None:
    unknown: list[str] = []
    if not isinstance(cmd, OpenProduction) and not bootstrapping(state, cmd):
        if cmd.actor not in state.people:
            unknown.append(f"{cmd.actor} (actor)")
    for field, ids in person_fields(cmd).items():
        unknown.extend(f"{p} ({field})" for p in ids if p not in state.people)
    if not unknown:
        return None
    return Finding(
        f"Not on this production: {', '.join(unknown)}.",
        "Check the ID, or have a producer or armorer add the person first (add_person).",
    )


@rule("SC-R05", "BLOCK", *WHO)
def actor_holds_a_role_allowed(state: State, cmd: Command) -> Finding | None:
    if cmd.actor not in state.people:  # SC-R02's (the opener adding the first people too)
        return _extra_people_checks(state, cmd)
    roles = WHO[cmd.TYPE]
    if isinstance(cmd, SetContact) and cmd.person == cmd.actor:
        return None  # where I am told of alerts is my own business
    if not may_act_as(state, cmd.actor, roles):
        return Finding(
            f"{cmd.actor} may not {cmd.TYPE.replace('_', ' ')}: only {words(roles)} may.",
            f"Ask {words(roles)} to do it.",
        )
    return _extra_people_checks(state, cmd)


def _extra_people_checks(state: State, cmd: Command) -> Finding | None:
    """Role requirements on people the command names (the policy's co-signer, the assistant)."""
    if isinstance(cmd, SetPolicy | CloseProduction) and cmd.agreed_by in state.people:
        if cmd.agreed_by == cmd.actor or not state.has_role(cmd.agreed_by, "armorer"):
            what = "A policy change" if isinstance(cmd, SetPolicy) else "Closing the production"
            return Finding(
                f"{what} needs a producer together with an armorer "
                f"(agreed_by must be another person with the armorer role, not {cmd.agreed_by}).",
                "Have the production's armorer agree to it.",
            )
    if isinstance(cmd, StartDay) and cmd.assistant_armorer in state.people:
        assistant = cmd.assistant_armorer
        if assistant is not None and not state.has_role(assistant, "assistant_armorer", "armorer"):
            return Finding(
                f"{assistant} cannot be the assistant armorer: they hold neither the "
                "assistant_armorer nor the armorer role.",
                "Name a qualified assistant armorer, or start the day without one.",
            )
    return None
