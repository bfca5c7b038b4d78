"""What the SQLite and the PostgreSQL event stores share beyond their SQL: the bytes, leaf
hashes and rows an append writes."""

from __future__ import annotations

from collections.abc import Sequence

from showclear.ledger.canonical import event_payload, leaf_hash
from showclear.ports import NewEvent

__all__ = ["EventRow", "Prepared", "event_rows", "prepare"]

Prepared = tuple[int, NewEvent, bytes, bytes]  # seq, the event, its canonical bytes, leaf hash

EventRow = tuple[int, str, int, str, int, str, str, str, bytes, bytes]
"""A row of `events`: position, production, seq, type, version, actor, at, recorded_at,
payload, leaf_hash. The column order is StoredEvent's field order: one tuple serves both."""


def prepare(production: str, expected_seq: int, events: Sequence[NewEvent]) -> list[Prepared]:
    """Each event's canonical bytes and leaf hash, numbered from `expected_seq` + 1.

    Made before the store locks anything: an append succeeds only when the head is
    `expected_seq`, so the numbers are known up front, and the canonicalisation (the costly
    part) does not hold up other writers."""
    prepared = []
    for seq, ev in enumerate(events, start=expected_seq + 1):
        payload = event_payload(
            production, seq, ev.type, ev.version, ev.actor, ev.at, ev.data, ev.canonical
        )
        prepared.append((seq, ev, payload, leaf_hash(payload)))
    return prepared


def event_rows(
    production: str, prepared: Sequence[Prepared], last_position: int, recorded_at: str
) -> list[EventRow]:
    """The rows of `prepared`, at the log positions after `last_position`."""
    return [
        (last_position + offset, production, seq, ev.type, ev.version, ev.actor, ev.at,
         recorded_at, payload, leaf)
        for offset, (seq, ev, payload, leaf) in enumerate(prepared, start=1)
    ]  # fmt: skip
