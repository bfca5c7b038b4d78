"""F: firing readiness. An honest call at the handover, police notice, PPE, a medic, a written
risk assessment and the day's barrel check before blanks are fired."""

from __future__ import annotations

from datetime import timedelta

from showclear.domain.commands import ApproveSetup, Command, Issue, Load
from showclear.domain.rules import Finding, rule
from showclear.domain.state import Firearm, State

# The call at a handover, for what the firearm actually holds (SC-F01).
CALL_FOR = {None: "cold", "dummy": "dummies", "blank": "hot"}


def _holds(f: Firearm) -> str:
    if not f.loaded:
        return "nothing"
    lots = ", ".join(f"lot {lot}" for lot, _ in f.loaded)
    return f"{f.rounds} {'blank' if f.loaded_kind == 'blank' else 'dummy'} rounds ({lots})"


@rule("SC-F01", "BLOCK", "issue")
def no_cold_gun_that_is_not_cold(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Issue)
    f = state.firearms[cmd.firearm]
    problems, steps = [], []
    if f.loaded_kind == "blank":
        s = state.usable_setup(cmd.setup)
        if s is None or s.action != "fire_blanks" or f.id not in s.firearms:
            problems.append(f"{f.id} holds blanks, and setup {cmd.setup} is not an approved, open "
                            f"fire_blanks setup naming it")  # fmt: skip
            steps.append(f"Issue {f.id} loaded only for its fire_blanks setup; otherwise unload "
                         "it first.")  # fmt: skip
    actual = CALL_FOR[f.loaded_kind]  # None exactly when nothing is loaded
    if cmd.call is not None and cmd.call != actual:
        problems.append(f'it was called "{cmd.call}" but {f.id} holds {_holds(f)}: the call '
                        f'is "{actual}"')  # fmt: skip
        steps.append(f'Call it "{actual}" and show it to the performer and the witness.')
    if not problems:
        return None
    return Finding("Handover refused: " + "; ".join(problems) + ".", " ".join(steps))


@rule("SC-F02", "BLOCK", "load")
def police_notified_in_time(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load)
    minutes = state.policy.police_notice_minutes
    if minutes is None or state.lots[cmd.lot].kind != "blank":
        return None
    day = state.day.day if state.day is not None else None
    notices = [n for n in state.notifications if n.agency == "police" and n.day == day]
    if any(n.at + timedelta(minutes=minutes) <= cmd.at for n in notices):
        return None
    when = f"for {day.isoformat()}" if day else "for a running day"
    if notices:
        ready = min(n.at for n in notices) + timedelta(minutes=minutes)
        return Finding(
            f"The police notice {when} was recorded less than {minutes:g} min ago.",
            f"Wait until {ready.isoformat(timespec='minutes')} before loading blanks.",
        )
    return Finding(
        f"No police notification {when} is recorded: blanks are loaded only {minutes:g} min "
        "or more after the police were told.",
        "Notify the police and record it (record_notification, agency police), then wait "
        f"{minutes:g} min.",
    )


@rule("SC-F03", "GUARD", "approve_setup", override=[{"producer"}, {"safety_supervisor"}])
def fire_readiness(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, ApproveSetup)
    s = state.setups.get(cmd.setup)
    if not state.policy.require_fire_readiness or s is None or s.action != "fire_blanks":
        return None
    problems = []
    if not s.ppe:
        problems.append("it does not state ppe: true (hearing and eye protection for everyone "
                        "in range)")  # fmt: skip
    if s.medic is None:
        problems.append("it names no medic")
    elif not state.has_role(s.medic, "medic"):
        problems.append(f"{s.medic} does not hold the medic role")
    if not problems:
        return None
    return Finding(
        f"Setup {s.id} fires blanks but " + "; ".join(problems) + ".",
        f"Revise setup {s.id} (plan_setup) with ppe true and a medic on set; or a producer and "
        "a safety supervisor override together, with a reason.",
    )


@rule("SC-F04", "BLOCK", "approve_setup")
def written_risk_assessment(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, ApproveSetup)
    s = state.setups.get(cmd.setup)
    if not state.policy.require_risk_assessment or s is None or s.risk_assessment is not None:
        return None
    if s.action != "fire_blanks" and not s.toward_people:
        return None
    why = "fires blanks" if s.action == "fire_blanks" else "points a firearm toward people"
    return Finding(
        f"Setup {s.id} {why} and carries no written risk assessment.",
        f"Revise setup {s.id} (plan_setup) with its risk_assessment: the SHA-256 of the written "
        "assessment and its controls.",
    )


@rule("SC-F05", "BLOCK", "load", "issue")
def checked_today(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load | Issue)
    f = state.firearms[cmd.firearm]
    if not state.policy.daily_check or not f.firing_capable:
        return None
    if state.day is not None and f.cleared_day == state.day.number:
        return None
    return Finding(
        f"{f.id} has had no barrel check today (inspect_firearm with barrel_clear, after the "
        "day started).",
        f"Inspect {f.id} and record the barrel clear (inspect_firearm) first.",
    )
