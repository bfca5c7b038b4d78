"""Command IDs: a command sent again with its ID is answered once more, never recorded twice.

The book is the record itself: every event of a command that carried an ID holds that ID (and
the command's digest), so on first use per production the book groups the stored events of
each ID, and after each commit it adds the groups just appended. A repeat with the same actor
and content gets `answers.from_record` of its group; another command under a used ID is
refused as `CommandIdReused`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from showclear.app.answers import Answer, Recorded, from_record, same_command
from showclear.domain import Command, State
from showclear.domain import events as ev
from showclear.domain.rules.records import WHO, may_act_as
from showclear.errors import CommandIdReused
from showclear.ledger.canonical import decode_payload
from showclear.ports import EventReader


def recorded_id(type_: str, data: Mapping[str, Any]) -> str | None:
    """The command ID an event records (refusals recorded before stamping keep it in `command`)."""
    cid = data.get("command_id")
    if cid is None and type_ == ev.COMMAND_REFUSED and isinstance(data.get("command"), Mapping):
        cid = data["command"].get("command_id")
    return None if cid is None else str(cid)


def groups_by_id(events: Iterable[Recorded]) -> dict[str, list[Recorded]]:
    """Consecutive events carrying the same command ID, by ID (the first group of an ID wins)."""
    found: dict[str, list[Recorded]] = {}
    current: str | None = None
    for item in events:
        cid = recorded_id(item[1], item[3])
        if cid is None:
            current = None
            continue
        if cid != current and cid in found:
            current = None  # a later run of a used ID is never an answer of its own
            continue
        found.setdefault(cid, []).append(item)
        current = cid
    return found


class AnswerBook:
    """The recorded events of every command ID, per production, read from the record once."""

    def __init__(self, reader: EventReader | None, state: Callable[[str], State]) -> None:
        self._reader = reader
        self._state = state
        self._groups: dict[str, dict[str, list[Recorded]]] = {}

    def _of(self, production: str) -> dict[str, list[Recorded]]:
        groups = self._groups.get(production)
        if groups is None:
            groups = self._groups[production] = self._read(production)
        return groups

    def _read(self, production: str) -> dict[str, list[Recorded]]:
        if self._reader is None:
            return {}
        rows: list[Recorded] = []
        for seq, payload in self._reader.read_payloads(production, 0):
            if b'command_id"' not in payload:  # most events carry none: skip decoding them
                continue
            env = decode_payload(payload)
            rows.append((seq, env["type"], env["actor"], env["data"]))
        return groups_by_id(rows)

    def lookup(self, production: str, cmd: Command) -> Answer | CommandIdReused | None:
        """The recorded answer to a repeat of `cmd`, CommandIdReused, or None (a new ID)."""
        if cmd.command_id is None:
            return None
        group = self._of(production).get(cmd.command_id)
        if group is None:
            return None
        if not same_command(group, cmd):
            return CommandIdReused(cmd.command_id)
        return from_record(production, cmd, group, legacy_forbidden=self._legacy(production, cmd))

    def _legacy(self, production: str, cmd: Command) -> bool:
        # Refusals recorded before they kept the SC-R05 flag: judged on today's roles.
        roles = WHO.get(cmd.TYPE)
        return roles is not None and not may_act_as(self._state(production), cmd.actor, roles)

    def remember(self, production: str, cmd: Command, recorded: Sequence[Recorded]) -> None:
        """Note the events `cmd` just recorded (a no-op for a command without an ID)."""
        if cmd.command_id is not None and recorded:
            self._of(production).setdefault(cmd.command_id, list(recorded))
