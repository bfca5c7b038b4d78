"""P: planning and firing. Approved setups, safe distances, replicas for rehearsals."""

from __future__ import annotations

from showclear.domain.commands import (
    ApproveSetup,
    Command,
    CompleteSetup,
    PlanSetup,
    RegisterFirearm,
)
from showclear.domain.rules import Finding, rule
from showclear.domain.state import State
from showclear.domain.values import FIRING_CAPABLE


@rule("SC-P01", "BLOCK", "approve_setup", "complete_setup")
def setup_approval(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, ApproveSetup | CompleteSetup)
    if isinstance(cmd, ApproveSetup) and cmd.actor in state.people:
        if not (state.is_armorer(cmd.actor) or state.has_role(cmd.actor, "first_ad")):
            return Finding(
                f"{cmd.actor} cannot approve setups: only the armorer and the 1st AD approve.",
                "Ask the armorer and the 1st AD to approve it.",
            )
    if cmd.setup not in state.setups:
        return Finding(f"No setup {cmd.setup} has been planned.", "Plan the setup first.")
    if isinstance(cmd, ApproveSetup) and state.setup_today(cmd.setup) is None:
        return Finding(
            f"Setup {cmd.setup} was planned for an earlier day.",
            "Plan it again today, then approve it.",
        )
    return None


def _blanks_toward_people(cmd: PlanSetup) -> bool:
    return cmd.toward_people and cmd.action == "fire_blanks"


@rule("SC-P02", "GUARD", "plan_setup", override=[{"armorer"}, {"safety_supervisor"}])
def safe_blank_distance(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, PlanSetup)
    if not _blanks_toward_people(cmd):
        return None
    problems = []
    minimum = state.policy.min_blank_distance_m
    if cmd.distance_m is not None and cmd.distance_m < minimum:
        problems.append(f"the nearest person is {cmd.distance_m:g} m away, under {minimum:g} m")
    if not (cmd.shields or cmd.remote_camera):
        problems.append("no shields or remote camera for crew in the line of fire")
    if not problems:
        return None
    return Finding(
        "Blanks fired toward people: " + "; ".join(problems) + ".",
        f"Move people back to {minimum:g} m or more and add shields or a remote camera; or the "
        "armorer and the safety supervisor override together, with a reason.",
    )


@rule("SC-P03", "BLOCK", "plan_setup")
def hard_minimum_distance(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, PlanSetup)
    hard = state.policy.hard_min_distance_m
    if not _blanks_toward_people(cmd) or cmd.distance_m is None or cmd.distance_m >= hard:
        return None
    return Finding(
        f"Blanks are never fired toward people closer than {hard:g} m "
        f"(planned: {cmd.distance_m:g} m), override or not.",
        "Cheat the angle off-line or move the camera and performers back.",
    )


@rule("SC-P04", "GUARD", "plan_setup", override=[{"armorer"}])
def rehearse_with_replicas(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, PlanSetup)
    if not cmd.rehearsal:
        return None
    working = [f for f in cmd.firearms if state.firearms[f].kind in FIRING_CAPABLE]
    if not working:
        return None
    return Finding(
        f"Rehearsal with firing-capable firearms: {', '.join(working)}.",
        "Rehearse with a non-firing, rubber or airsoft replica; or the armorer overrides with "
        "a reason.",
    )


@rule("SC-P05", "BLOCK", "register_firearm")
def production_allows_firing_capable(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, RegisterFirearm)
    if state.policy.allow_firing_capable or cmd.kind not in FIRING_CAPABLE:
        return None
    return Finding(
        f"This production does not allow firing-capable firearms; {cmd.firearm} is "
        f"{cmd.kind.replace('_', '-')}.",
        "Use a non-firing, rubber or airsoft replica.",
    )
