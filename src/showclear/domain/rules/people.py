"""M: people. A licensed armorer on duty, trained performers, firearms work inside a day."""

from __future__ import annotations

from showclear.domain.commands import Command, Issue, Load, StartDay
from showclear.domain.rules import Finding, rule
from showclear.domain.state import State


@rule("SC-M01", "BLOCK", "start_day")
def licensed_armorer_on_duty(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, StartDay)
    who = cmd.armorer
    if who not in state.people:
        return None  # SC-R02 already says who is missing
    if not state.has_role(who, "armorer"):
        return Finding(
            f"{who} does not hold the armorer role and cannot be the armorer on duty.",
            "Name a licensed armorer as the armorer on duty.",
        )
    if not state.credential_valid(who, "armorer_license", cmd.day):
        return Finding(
            f"{who} holds no armorer_license valid on {cmd.day.isoformat()}.",
            "Record a valid armorer license (add_credential) or name another licensed armorer.",
        )
    return None


@rule("SC-M02", "GUARD", "issue", override=[{"armorer"}])
def performer_trained(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Issue)
    f = state.firearms[cmd.firearm]
    on = state.day.day if state.day else cmd.at.date()
    if not f.firing_capable or cmd.to not in state.people:
        return None
    if state.credential_valid(cmd.to, "firearms_training", on):
        return None
    return Finding(
        f"{cmd.to} has no firearms_training valid on {on.isoformat()} and {f.id} is "
        f"{f.kind.replace('_', '-')}.",
        "Record the performer's training (add_credential), or the armorer may override with "
        "a reason (e.g. training given today).",
    )


DAY_WORK = ("verify_rounds", "load", "plan_setup", "approve_setup", "issue", "safety_meeting")


@rule("SC-M03", "BLOCK", *DAY_WORK)
def inside_a_started_day(state: State, cmd: Command) -> Finding | None:
    if state.day is not None:
        return None
    return Finding(
        "No shooting day is running: firearms work happens only inside a started day.",
        "Start the day first (start_day, naming the licensed armorer on duty).",
    )


@rule("SC-M04", "BLOCK", "load", "issue")
def licensed_for_the_class(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load | Issue)
    f = state.firearms[cmd.firearm]
    if f.firearm_class is None:
        return None
    if state.day is None:
        return Finding(
            f"{f.id} is a {f.firearm_class.replace('_', ' ')} and no armorer is on duty to hold a "
            "licence for it.",
            "Start the day with an armorer licensed for this class.",
        )
    armorer = state.day.armorer
    covered = state.licensed_classes(armorer, state.day.day)
    if covered is None or f.firearm_class in covered:
        return None
    # Never empty: SC-M01 starts a day only with an armorer licence valid that day.
    held = ", ".join(sorted(c.replace("_", " ") for c in covered))
    return Finding(
        f"{f.id} is a {f.firearm_class.replace('_', ' ')}; the armorer on duty, {armorer}, is "
        f"licensed for: {held}.",
        f"Record {armorer}'s licence for this class (add_credential, classes), or start the day "
        "with an armorer licensed for it.",
    )
