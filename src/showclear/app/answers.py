"""What the application answers for one command, built from its outcome or from the record.

A first answer comes from the outcome (`answer_of`); a repeated command ID is answered from
the events the first one recorded (`from_record`), the same way before and after a restart:

    refused   the refusal event holds the command, every violation (rule, reason, next step),
              the message and whether the role may never issue the type (SC-R05): the repeat
              gets the first answer again, field for field
    accepted  the events and alerts it recorded, the head, and "Already recorded." (what the
              command said when it was first accepted is not part of the record)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from showclear.domain import Command, Outcome
from showclear.domain import events as ev
from showclear.domain.decide import compose_message
from showclear.domain.parsing import command_digest, wire_digest

ALREADY_RECORDED = "Already recorded."

Recorded = tuple[int, str, str, Mapping[str, Any]]
"""One stored event of a command: (seq, type, actor, data)."""


@dataclass(frozen=True)
class Answer:
    """The answer to one command; `body()` is what the API returns."""

    production: str
    verdict: Literal["accepted", "refused"]
    type: str
    message: str
    command_id: str | None = None
    actor: str = ""
    rules: list[dict[str, str]] = field(default_factory=list)  # rule, reason, next_step
    alerts: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # seq, type
    head: int = 0
    forbidden: bool = False  # refused because the person's roles may never issue the type
    duplicate: bool = False  # a repeated command_id, answered from the record

    def body(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "type": self.type,
            "message": self.message,
            "command_id": self.command_id,
            "rules": self.rules,
            "alerts": self.alerts,
            "events": self.events,
            "head": self.head,
            "duplicate": self.duplicate,
        }

    def repeated(self) -> Answer:
        return replace(self, duplicate=True)


def answer_of(production: str, cmd: Command, outcome: Outcome, first_seq: int) -> Answer:
    """The first answer to `cmd`, whose events were stored from `first_seq` on."""
    refusal = outcome.events[-1] if outcome.verdict == "refused" else None
    return Answer(
        production,
        outcome.verdict,
        cmd.TYPE,
        outcome.message,
        cmd.command_id,
        cmd.actor,
        [
            {"rule": v.rule, "reason": v.reason, "next_step": v.next_step}
            for v in outcome.decision.violations
        ],
        list(outcome.alerts),
        [{"seq": first_seq + i, "type": e.type} for i, e in enumerate(outcome.events)],
        first_seq + len(outcome.events) - 1,
        forbidden=bool(refusal is not None and refusal.data.get("forbidden")),
    )


def from_record(
    production: str, cmd: Command, group: Sequence[Recorded], *, legacy_forbidden: bool = False
) -> Answer:
    """The answer to a repeat of `cmd`, from the events its first submission recorded.

    `legacy_forbidden` stands in for the flag a refusal recorded before refusals kept their
    violations did not carry (the caller judges it on the current state, as far as it can).
    """
    refusal = next((d for _, t, _, d in group if t == ev.COMMAND_REFUSED), None)
    alerts = sorted({str(d["rule"]) for _, t, _, d in group if t == ev.ALERT_RAISED})
    events = [{"seq": seq, "type": type_} for seq, type_, _, _ in group]
    head = group[-1][0]
    if refusal is None:
        return Answer(production, "accepted", cmd.TYPE, ALREADY_RECORDED, cmd.command_id,
                      cmd.actor, [], alerts, events, head, duplicate=True)  # fmt: skip
    violations = refusal.get("violations")
    if violations is not None:
        rules = [
            {"rule": str(v["rule"]), "reason": str(v["reason"]), "next_step": str(v["next_step"])}
            for v in violations
        ]
        forbidden = bool(refusal.get("forbidden", False))
    else:  # recorded before refusals kept their violations: the message stands for each
        rules = [
            {"rule": str(r), "reason": str(refusal["message"]), "next_step": ""}
            for r in refusal["rules"]
        ]
        forbidden = legacy_forbidden and "SC-R05" in refusal["rules"]
    # Everything before the refusal in its group is a watchdog alert that fell due first.
    due = [str(d["message"]) for _, t, _, d in group if t == ev.ALERT_RAISED]
    message = compose_message(due, str(refusal["message"]))
    return Answer(production, "refused", cmd.TYPE, message, cmd.command_id, cmd.actor, rules,
                  alerts, events, head, forbidden=forbidden, duplicate=True)  # fmt: skip


def group_digest(group: Sequence[Recorded]) -> str | None:
    """The command digest a group of events recorded (None when recorded before digests)."""
    for _, type_, _, data in group:
        if "command_digest" in data:
            return str(data["command_digest"])
        if type_ == ev.COMMAND_REFUSED and isinstance(data.get("command"), Mapping):
            return wire_digest(data["command"])
    return None


def same_command(group: Sequence[Recorded], cmd: Command) -> bool:
    """Whether `cmd` repeats the command that recorded `group` (same actor, same content)."""
    if group[-1][2] != cmd.actor:
        return False
    digest = group_digest(group)
    return digest is None or digest == command_digest(cmd)
