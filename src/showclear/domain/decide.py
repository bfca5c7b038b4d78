"""decide(state, command) -> accepted events | refusal. Pure: no I/O, no clock, no randomness.

`handle` is what the shell calls for one command: it raises the watchdog alerts that fell due
before the command's time, decides, and returns every event to append, including the record
of a refusal (SC-R03). `validate` rejects malformed commands before any of that.

The record of a command is enough to answer it again: a refusal keeps every violation (rule,
reason, next step) and whether the person's roles may never issue the type (SC-R05), and every
event of a command that carried an ID holds the ID and the command's digest, so the shell
answers a repeat the same way before and after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from showclear.domain import events as ev
from showclear.domain.commands import Command, OpenProduction
from showclear.domain.effects import EFFECTS, Effect
from showclear.domain.events import Event
from showclear.domain.evolve import evolve_all
from showclear.domain.parsing import NotApplicable, command_digest, item_refs, to_wire
from showclear.domain.rules import load_all, override_satisfies, rules_for
from showclear.domain.rules.records import WHO, may_act_as
from showclear.domain.state import State
from showclear.domain.watchdogs import due

load_all()


@dataclass(frozen=True)
class Violation:
    rule: str
    severity: str
    reason: str
    next_step: str

    def text(self) -> str:
        return f"{self.rule}: {self.reason} {self.next_step}"


@dataclass(frozen=True)
class Decision:
    accepted: bool
    events: tuple[Event, ...] = ()
    violations: tuple[Violation, ...] = ()
    overridden: tuple[str, ...] = ()  # GUARD rules an override satisfied
    message: str = ""

    @property
    def rules(self) -> list[str]:
        return sorted({v.rule for v in self.violations})


CLOSED = (
    "The production is closed (close_production): every firearm and lot has left it, and "
    "nothing more is recorded. Open a new production for new work."
)


def decide(state: State, cmd: Command) -> Decision:
    if state.closed:  # DRILLS.md: after close_production every command is refused, citing none
        return Decision(False, message=CLOSED)
    violations: list[Violation] = []
    overridden: list[str] = []
    for r in rules_for(cmd.TYPE):
        assert r.check is not None  # ALERT rules are never registered for a command
        finding = r.check(state, cmd)
        if finding is None:
            continue
        if r.severity == "GUARD" and override_satisfies(state, cmd, r):
            overridden.append(r.id)
            continue
        violations.append(Violation(r.id, r.severity, finding.reason, finding.next_step))
    if violations:
        violations.sort(key=lambda v: v.rule)
        message = " ".join(v.text() for v in violations)
        return Decision(False, violations=tuple(violations), message=message)
    outcome = EFFECTS[cmd.TYPE](state, cmd)
    if not isinstance(outcome, Effect):
        return Decision(False, message=outcome.message)
    message = outcome.message
    if overridden:
        message += f" Override recorded for {', '.join(overridden)}."
    return Decision(True, tuple(outcome.events), overridden=tuple(overridden), message=message)


def validate(state: State, cmd: Command) -> None:
    """Raise NotApplicable (a Malformed) for a well-formed command that cannot apply to this
    production: what DRILLS.md calls a malformed line (it changes nothing)."""
    if state.production is None and not isinstance(cmd, OpenProduction):
        raise NotApplicable("type", "the first command must be open_production")
    if state.production is not None and isinstance(cmd, OpenProduction):
        raise NotApplicable("type", f"production {state.production} is already open")
    if state.now is not None and cmd.at < state.now:
        raise NotApplicable(
            "at", f"time goes backwards: {cmd.at_text} is before the last command's time"
        )
    maps = {
        "firearm": state.firearms,
        "lot": state.lots,
        "container": state.containers,
        "concern": state.concerns,
    }
    for wire, kind, ident in item_refs(cmd):
        if ident not in maps[kind]:
            raise NotApplicable(wire, f'unknown {kind} "{ident}"')


@dataclass(frozen=True)
class Outcome:
    """Everything one command line produces: the verdict and the events to append."""

    verdict: Literal["accepted", "refused"]
    rules: tuple[str, ...]
    alerts: tuple[str, ...]
    message: str
    events: tuple[Event, ...]
    decision: Decision = field(repr=False)


def compose_message(due: Sequence[str], decided: str) -> str:
    """The message of a command's answer: the alerts that fell due before it, then its own."""
    return " ".join(["ALERT:", *due, "|", decided]) if due else decided


def never_allowed(state: State, person: str, type_name: str) -> bool:
    """The person's roles may never issue this command type (the "who" of SC-R05)."""
    roles = WHO.get(type_name)
    return roles is not None and not may_act_as(state, person, roles)


def refusal_event(state: State, cmd: Command, decision: Decision) -> Event:
    """The record of a refusal (SC-R03), complete enough to give the same answer again."""
    data: dict[str, Any] = {
        "command": to_wire(cmd),
        "rules": decision.rules,
        "message": decision.message,
        "violations": [
            {"rule": v.rule, "reason": v.reason, "next_step": v.next_step}
            for v in decision.violations
        ],
    }
    if "SC-R05" in decision.rules and never_allowed(state, cmd.actor, cmd.TYPE):
        data["forbidden"] = True
    return Event(ev.COMMAND_REFUSED, cmd.actor, cmd.at_text, data)


def _stamped(events: tuple[Event, ...], cmd: Command) -> tuple[Event, ...]:
    """Every event of a command with an ID carries the ID and the command's digest."""
    ids = {"command_id": cmd.command_id, "command_digest": command_digest(cmd)}
    return tuple(Event(e.type, e.actor, e.at, {**e.data, **ids}) for e in events)


def handle(state: State, cmd: Command) -> Outcome:
    """Watchdogs, then decide. Raises Malformed; never touches I/O."""
    validate(state, cmd)
    fallen_due = due(state, cmd.at, cmd.at_text)
    before = evolve_all(state, fallen_due) if fallen_due else state
    decision = decide(before, cmd)
    if decision.accepted:
        events = (*fallen_due, *decision.events)
    else:
        events = (*fallen_due, refusal_event(before, cmd, decision))
    if cmd.command_id is not None:
        events = _stamped(events, cmd)
    alerts = tuple(sorted({e.data["rule"] for e in events if e.type == ev.ALERT_RAISED}))
    message = compose_message([e.data["message"] for e in fallen_due], decision.message)
    return Outcome(
        "accepted" if decision.accepted else "refused",
        tuple(decision.rules),
        alerts,
        message,
        events,
        decision,
    )
