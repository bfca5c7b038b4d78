"""The rules as code: one small function per rule, tagged with its ID (catalog.py lists them).

A check returns None when the command is fine, or a Finding: what is wrong in plain words and
what the person should do next. `decide` runs every rule registered for the command type and
collects all findings, so a refusal lists everything wrong at once.

Severity (RULES.md): BLOCK refuses; GUARD refuses unless an override by people who together
hold `override_roles` (one role set per distinct person) gives a reason; ALERT rules do not
refuse, they add events (see `consequences` and watchdogs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from showclear.domain.commands import Command
from showclear.domain.rules.catalog import Severity
from showclear.domain.state import State


class Finding(NamedTuple):
    reason: str
    next_step: str


Check = Callable[[State, Command], Finding | None]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    commands: frozenset[str]  # the commands `decide` checks it on (none for ALERT rules)
    check: Check | None
    override_roles: tuple[frozenset[str], ...] = ()
    raised_by: str = ""  # ALERT rules: the function that raises it, and when

    @property
    def name(self) -> str:
        return self.check.__name__ if self.check else self.raised_by


REGISTRY: list[Rule] = []


def rule(
    rule_id: str,
    severity: Severity,
    *commands: str,
    override: Sequence[Iterable[str]] = (),
) -> Callable[[Check], Check]:  # pragma: no mutate block (runs at import; see docs/testing.md)
    """Register a check for the given command types."""

    def register(check: Check) -> Check:
        REGISTRY.append(
            Rule(
                rule_id, severity, frozenset(commands), check, tuple(frozenset(r) for r in override)
            )
        )
        return check

    return register


F = TypeVar("F", bound=Callable[..., object])


def alert_rule(rule_id: str, when: str) -> Callable[[F], F]:  # pragma: no mutate block
    """Register an ALERT rule: it never refuses; the tagged function raises its alert events."""

    def register(fn: F) -> F:
        REGISTRY.append(
            Rule(rule_id, "ALERT", frozenset(), None, raised_by=f"{fn.__name__}: {when}")
        )
        return fn

    return register


_BY_COMMAND: dict[str, tuple[int, list[Rule]]] = {}


def rules_for(command_type: str) -> list[Rule]:
    """The rules that judge `command_type`, in registration order (looked up per command)."""
    cached = _BY_COMMAND.get(command_type)
    if cached is None or cached[0] != len(REGISTRY):  # a rule registered since: look again
        cached = (len(REGISTRY), [r for r in REGISTRY if command_type in r.commands])
        _BY_COMMAND[command_type] = cached
    return cached[1]


def distinct_people_fill(people: Iterable[str], slots: Sequence[Callable[[str], bool]]) -> bool:
    """Whether each slot can be filled by a different person (one person counts once)."""
    candidates = list(dict.fromkeys(people))

    def fill(i: int, used: frozenset[str]) -> bool:
        if i == len(slots):
            return True
        return any(slots[i](p) and fill(i + 1, used | {p}) for p in candidates if p not in used)

    return fill(0, frozenset())


def override_satisfies(state: State, cmd: Command, rule: Rule) -> bool:
    """DRILLS.md: the override's people together hold the roles named, with a non-empty reason."""
    ov = cmd.override
    if ov is None or not ov.reason.strip() or not rule.override_roles:
        return False
    if any(p not in state.people for p in ov.by):
        return False
    slots = [lambda p, roles=roles: state.has_role(p, *roles) for roles in rule.override_roles]
    return distinct_people_fill(ov.by, slots)


def load_all() -> None:  # pragma: no mutate block (imports, once)
    """Import every rule family so that its rules register themselves."""
    from showclear.domain.rules import (  # noqa: F401
        ammunition,
        custody,
        inventory,
        people,
        planning,
        readiness,
        records,
        stopwork,
    )


__all__ = [
    "REGISTRY",
    "Finding",
    "Rule",
    "alert_rule",
    "distinct_people_fill",
    "load_all",
    "override_satisfies",
    "rule",
    "rules_for",
]
