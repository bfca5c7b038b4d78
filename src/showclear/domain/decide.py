"""decide(state, command) -> accepted events | refusal. Pure: no I/O, no clock, no randomness.

`handle` is what the shell calls for one command: it raises the watchdog alerts that fell due
before the command's time, decides, and returns every event to append, including the record
of a refusal (SC-R03). `validate` rejects malformed commands before any of that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from showclear.domain import events as ev
from showclear.domain.commands import Command, OpenProduction
from showclear.domain.effects import EFFECTS, Effect
from showclear.domain.events import Event
from showclear.domain.evolve import evolve_all
from showclear.domain.parsing import NotApplicable, item_refs, to_wire
from showclear.domain.rules import load_all, override_satisfies, rules_for
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


def handle(state: State, cmd: Command) -> Outcome:
    """Watchdogs, then decide. Raises Malformed; never touches I/O."""
    validate(state, cmd)
    fallen_due = due(state, cmd.at, cmd.at_text)
    before = evolve_all(state, fallen_due) if fallen_due else state
    decision = decide(before, cmd)
    if decision.accepted:
        events = (*fallen_due, *decision.events)
    else:
        refusal = Event(ev.COMMAND_REFUSED, cmd.actor, cmd.at_text,
                        {"command": to_wire(cmd), "rules": decision.rules,
                         "message": decision.message})  # fmt: skip
        events = (*fallen_due, refusal)
    alerts = tuple(sorted({e.data["rule"] for e in events if e.type == ev.ALERT_RAISED}))
    message = decision.message
    due_messages = [e.data["message"] for e in fallen_due]
    if due_messages:
        message = " ".join(["ALERT:", *due_messages, "|", message])
    return Outcome(
        "accepted" if decision.accepted else "refused",
        tuple(decision.rules),
        alerts,
        message,
        events,
        decision,
    )
