"""The one reader of stored events for the views: envelopes with their sequence numbers."""

from __future__ import annotations

from typing import Any

from showclear.ledger.canonical import decode_payload
from showclear.ports import EventReader

Env = dict[str, Any]


def envelopes(reader: EventReader, production: str, upto: int | None = None) -> list[Env]:
    """The production's events as envelope dicts, each with its `seq` (up to `upto`)."""
    out: list[Env] = []
    for seq, payload in reader.read_payloads(production, 0):
        if upto is not None and seq > upto:
            break
        env = decode_payload(payload)
        env["seq"] = seq
        out.append(env)
    return out
