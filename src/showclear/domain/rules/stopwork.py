"""S: stop work, incidents, concerns, and firearms out of service."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from showclear.domain.commands import Command, Issue, Load, StartDay
from showclear.domain.rules import Finding, rule
from showclear.domain.state import State


@rule("SC-S01", "BLOCK", "load", "issue", "approve_setup")
def no_work_during_stop(state: State, cmd: Command) -> Finding | None:
    if state.stop is None:
        return None
    return Finding(
        f"Work is stopped (by {state.stop.by}: {state.stop.reason or 'no reason given'}): no "
        "firearm is loaded or issued and no setup is approved until work resumes.",
        "Resolve the stop: the armorer on duty, a safety supervisor and a producer each sign "
        "resume_work.",
    )


def signoff_roles(state: State, pid: str) -> list[str]:
    """Which SC-S02 sign-offs a person can give: the armorer must be the one on duty."""
    roles = []
    if state.day is not None and state.day.armorer == pid:
        roles.append("armorer")
    if state.has_role(pid, "safety_supervisor"):
        roles.append("safety_supervisor")
    if state.has_role(pid, "producer"):
        roles.append("producer")
    return roles


SIGNOFF_SLOTS = ("armorer", "safety_supervisor", "producer")


def missing_signoffs(state: State, signers: Sequence[str]) -> list[str]:
    """The SC-S02 sign-offs `signers` leave uncovered, each person giving one at most.

    Of every way to seat distinct signers in the three slots, the one leaving fewest empty;
    an empty list means work may resume.
    """
    candidates: list[str | None] = [None, *dict.fromkeys(signers)]
    seats = [[(slot, p) for p in candidates] for slot in SIGNOFF_SLOTS]
    best = list(SIGNOFF_SLOTS)
    for seating in itertools.product(*seats):
        people = [p for _, p in seating if p is not None]
        if len(set(people)) != len(people):
            continue
        if all(p is None or slot in signoff_roles(state, p) for slot, p in seating):
            missing = [slot for slot, p in seating if p is None]
            if len(missing) < len(best):
                best = missing
    return best


@rule("SC-S02", "BLOCK", "resume_work")
def resume_needs_three_and_a_cause(state: State, cmd: Command) -> Finding | None:
    if cmd.actor in state.people and not signoff_roles(state, cmd.actor):
        return Finding(
            f"{cmd.actor} cannot sign resume_work: only the armorer on duty (in person, not the "
            "assistant), a safety supervisor and a producer sign.",
            "Ask them to sign.",
        )
    stop = state.stop
    if stop is None or stop.incident_needed_after is None:
        return None
    # Filed after the stop: a later event. Both numbers are event numbers and an incident's
    # event is never the stop's own, so they are never equal and `>=` would read the same;
    # `>` is the rule's "after" (docs/testing.md lists this equivalent mutant).
    if state.last_incident_number > stop.incident_needed_after:
        return None
    causes = sorted(c for c in stop.causes if c in ("SC-A02", "SC-S03"))
    return Finding(
        f"Work was stopped by {' and '.join(causes)}: an incident with a stated cause must be "
        "filed after the stop before anyone signs to resume.",
        "File the incident first (file_incident, with its cause).",
    )


@rule("SC-S04", "BLOCK", "load", "issue")
def firearm_in_service(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load | Issue)
    f = state.firearms[cmd.firearm]
    if f.out_of_service is None:
        return None
    return Finding(
        f"{f.id} is out of service ({f.out_of_service}).",
        f"The armorer inspects {f.id} and records the barrel clear (inspect_firearm) first.",
    )


@rule("SC-S05", "BLOCK", "load")
def barrel_checked_before_blanks(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load)
    f, lot = state.firearms[cmd.firearm], state.lots[cmd.lot]
    if lot.kind != "blank" or not f.dummies_since_inspection:
        return None
    return Finding(
        f"{f.id} has held dummies since its last inspection; a lodged projectile would be fired "
        "by a blank.",
        f"Inspect {f.id}'s barrel first (inspect_firearm, barrel_clear).",
    )


@rule("SC-S06", "GUARD", "start_day", override=[{"producer"}])
def old_concerns_acknowledged(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, StartDay)
    stale = [
        c.id
        for c in state.concerns.values()
        if c.acknowledged_by is None and c.raised_at.date() < cmd.day
    ]
    if not stale:
        return None
    return Finding(
        f"Safety concerns from earlier days are unacknowledged: {', '.join(stale)}.",
        "A producer or safety supervisor acknowledges them (acknowledge_concern); or a producer "
        "overrides with a reason.",
    )
