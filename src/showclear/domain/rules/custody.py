"""C: custody. One custodian at a time, handovers only through the armory, locked storage."""

from __future__ import annotations

from showclear.domain.commands import (
    AssignTask,
    Command,
    Dispose,
    Issue,
    Load,
    Return,
    Secure,
    Unload,
)
from showclear.domain.rules import Finding, rule
from showclear.domain.state import State


def _armory_names(state: State) -> str:
    if state.day is None:
        return "nobody (no day is running)"
    names = [state.day.armorer] + ([state.day.assistant] if state.day.assistant else [])
    return " or ".join(names)


@rule("SC-C01", "BLOCK", "load", "unload", "issue", "return")
def only_the_armory_handles(state: State, cmd: Command) -> Finding | None:
    armory = state.armory()
    if cmd.actor not in armory:
        verb = {"load": "loads", "unload": "unloads", "issue": "issues firearms",
                "return": "takes firearms back"}[cmd.TYPE]  # fmt: skip
        return Finding(
            f"Only the armorer on duty or the day's assistant armorer {verb}; "
            f"{cmd.actor} is neither (on duty: {_armory_names(state)}).",
            "Hand this to the armorer on duty." if state.day else "Start the day first.",
        )
    if isinstance(cmd, Load | Unload):
        f = state.firearms[cmd.firearm]
        if not state.in_armory(f.custodian):
            return Finding(
                f"{f.id} is held by {f.custodian}, not by the armory: rounds go in and out only "
                "while the armorer holds the firearm.",
                f"Get {f.id} back first ({'return' if f.issued_to else 'retrieve'}).",
            )
        if isinstance(cmd, Load):
            lot = state.lots[cmd.lot]
            if not state.in_armory(lot.custodian):
                return Finding(
                    f"Lot {lot.id} is held by {lot.custodian}, not by the armory.",
                    f"Retrieve lot {lot.id} first.",
                )
    return None


@rule("SC-C02", "BLOCK", "issue", "secure", "return", "dispose")
def only_the_custodian_hands_on(state: State, cmd: Command) -> Finding | None:
    if isinstance(cmd, Dispose):
        return _disposed_from_the_armory(state, cmd)
    if isinstance(cmd, Return):
        f = state.firearms[cmd.firearm]
        if f.custodian.kind != "person" or f.custodian.id != cmd.from_:
            return Finding(
                f"{cmd.from_} does not hold {f.id}; it is held by {f.custodian}.",
                "Record the return from whoever holds it.",
            )
        if cmd.actor not in state.armory():
            return Finding(
                "A firearm goes back only to the armorer; nobody passes a firearm person to "
                "person.",
                f"{cmd.from_} returns {f.id} to the armorer on duty.",
            )
        return None
    if isinstance(cmd, Secure) and cmd.lot is not None:
        lot = state.lots[cmd.lot]
        if not state.holds(cmd.actor, lot.custodian):
            return Finding(
                f"Only the custodian secures lot {lot.id}; it is held by {lot.custodian}.",
                "The custodian secures it" + (", or retrieve it first." if
                                              lot.custodian.kind == "container" else "."),
            )  # fmt: skip
        return None
    assert isinstance(cmd, Issue | Secure)
    assert cmd.firearm is not None  # a lot was secured above
    f = state.firearms[cmd.firearm]
    if f.issued_to is not None:
        return Finding(
            f"{f.id} is with {f.issued_to}, who can only return it to the armorer; nobody "
            "passes a firearm person to person.",
            f"{f.issued_to} returns {f.id} to the armorer first.",
        )
    if not state.holds(cmd.actor, f.custodian):
        if f.custodian.kind == "container":
            return Finding(
                f"{f.id} is locked in container {f.custodian.id}; nothing is handed on from there.",
                f"The armorer retrieves {f.id} from {f.custodian.id} first.",
            )
        return Finding(
            f"Only the custodian hands {f.id} on; it is held by {f.custodian}, not {cmd.actor}.",
            f"Ask {f.custodian} to do it.",
        )
    return None


def _disposed_from_the_armory(state: State, cmd: Dispose) -> Finding | None:
    """DRILLS.md: an item leaves from the armory's hands (with no day running, the hands of the
    armorer disposing of it), never from a container or from anyone else."""
    kind, ident = ("Firearm", cmd.firearm) if cmd.firearm is not None else ("Lot", str(cmd.lot))
    holder = state.firearms[ident].custodian if kind == "Firearm" else state.lots[ident].custodian
    if state.holds(cmd.actor, holder):
        return None
    if holder.kind == "container":
        return Finding(
            f"{kind} {ident} is locked in container {holder.id}: it leaves from the "
            "armorer's hands.",
            f"Retrieve {ident} from {holder.id} first.",
        )
    return Finding(
        f"{kind} {ident} is held by {holder}, not by {cmd.actor}: only the armory hands it on.",
        f"Get {ident} back to the armory first.",
    )


@rule("SC-C03", "BLOCK", "issue")
def show_clear_witnessed(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Issue)
    missing: list[str] = []
    if not cmd.shown:
        missing.append("the firearm was not shown (show-clear or show-load)")
    if cmd.to not in cmd.witnesses:
        missing.append(f"the receiving performer {cmd.to} did not confirm as a witness")
    if not any(
        w not in (cmd.to, cmd.actor) and state.has_role(w, "first_ad", "safety_supervisor")
        for w in cmd.witnesses
    ):
        if cmd.actor in cmd.witnesses and state.has_role(
            cmd.actor, "first_ad", "safety_supervisor"
        ):
            missing.append(
                f"{cmd.actor} makes the handover and so cannot also witness it; no other 1st AD "
                "or safety supervisor confirmed"
            )
        else:
            missing.append("no 1st AD or safety supervisor confirmed as a witness")
    if not missing:
        return None
    f = state.firearms[cmd.firearm]
    show = "show-load (rounds shown)" if f.loaded else "show-clear"
    return Finding(
        "Handover not witnessed: " + "; ".join(missing) + ".",
        f"Do the {show} to {cmd.to} and the 1st AD or safety supervisor; each confirms with "
        "their own PIN.",
    )


@rule("SC-C04", "BLOCK", "issue")
def issued_for_an_approved_setup(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Issue)
    s = state.setup_today(cmd.setup)
    if s is None:
        return Finding(
            f"No setup {cmd.setup} is planned for today.",
            "Plan the setup naming this firearm and performer, and have the armorer and the "
            "1st AD approve it.",
        )
    problems = []
    if s.completed:
        problems.append(f"setup {s.id} is already completed")
    elif not state.setup_approved(s):
        problems.append(f"setup {s.id} is not approved by both the armorer and the 1st AD")
    if cmd.firearm not in s.firearms:
        problems.append(f"setup {s.id} does not name {cmd.firearm}")
    if cmd.to not in s.performers:
        problems.append(f"setup {s.id} does not name {cmd.to}")
    if not problems:
        return None
    return Finding(
        "Not issuable for this setup: " + "; ".join(problems) + ".",
        "Issue only for an approved, open setup naming both the firearm and the performer "
        "(revise and re-approve the setup if needed).",
    )


@rule("SC-C05", "BLOCK", "secure")
def only_into_locked_storage(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Secure)
    c = state.containers[cmd.container]
    if c.is_storage:
        return None
    what = "not lockable" if not c.lockable else f"a {c.kind}, which is not storage"
    return Finding(
        f"Container {c.id} is {what}: a firearm or lot not in someone's hands goes only into a "
        "locked safe, lockbox, case or truck safe.",
        "Secure it in a locked container, or keep it in the armorer's hands.",
    )


@rule("SC-C06", "BLOCK", "issue")
def safety_meeting_first(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Issue)
    attended = state.meeting_attendees if state.day is not None else frozenset()
    missing = []
    if cmd.to not in attended:
        missing.append(cmd.to)
    if not any(state.has_role(p, "first_ad") for p in attended):
        missing.append("a 1st AD")
    if not missing:
        return None
    return Finding(
        "No safety meeting today attended by " + " and ".join(missing) + ".",
        "Hold the safety meeting first (safety_meeting) with the performer and the 1st AD.",
    )


@rule("SC-C09", "BLOCK", "assign_task")
def dedicated_armorer(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, AssignTask)
    if state.day is None or cmd.person != state.day.armorer:
        return None
    busy = [f.id for f in state.firearms.values() if not state.firearm_is_cold_and_stored(f)]
    if not busy:
        return None
    return Finding(
        f"{cmd.person} is the armorer on duty and firearms are out ({', '.join(busy[:5])}"
        f"{'...' if len(busy) > 5 else ''}): the armorer has no other task until every firearm "
        "is unloaded and locked away.",
        "Assign the task to someone else, or secure every firearm first.",
    )


@rule("SC-C10", "BLOCK", "issue")
def one_custodian(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Issue)
    f = state.firearms[cmd.firearm]
    if f.issued_to is None:
        return None
    return Finding(
        f"{f.id} is already issued to {f.issued_to}.",
        "It must be returned to the armorer before it is issued again.",
    )


@rule("SC-C11", "BLOCK", "wrap_day")
def everything_locked_at_wrap(state: State, cmd: Command) -> Finding | None:
    problems = []
    for f in state.firearms.values():
        if f.disposed is not None:  # gone from the production: nothing to lock away
            continue
        if f.issued_to:
            problems.append(f"{f.id} is issued to {f.issued_to}")
        elif f.loaded:
            problems.append(f"{f.id} is loaded ({f.rounds} rounds)")
        elif not state.in_storage(f.custodian):
            problems.append(f"{f.id} is not in a locked container")
    for lot in state.lots.values():
        if lot.disposed is None and not state.in_storage(lot.custodian):
            problems.append(f"lot {lot.id} is not in a locked container")
    if not problems:
        return None
    return Finding(
        "Cannot wrap: " + "; ".join(problems) + ".",
        "Take every firearm back, unload it, and lock every firearm and lot away; then wrap.",
    )
