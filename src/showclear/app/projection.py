"""The projection: a production's state, folded from its stored events (never the truth)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from showclear.domain import Event, State, evolve
from showclear.domain.evolve import HANDLERS
from showclear.ledger.canonical import decode_payload


def event_from_payload(payload: bytes) -> Event:
    env = decode_payload(payload)
    return Event(env["type"], env["actor"], env["at"], env["data"])


def rebuild(payloads: Iterable[tuple[int, bytes]] | Iterable[bytes]) -> State:
    """Fold stored events into a fresh state (the projection is never the truth)."""
    state = State()
    load = decode_payload
    handlers = HANDLERS
    for item in payloads:
        payload = item[1] if isinstance(item, tuple) else item
        env = load(payload)
        type_ = env["type"]
        if type_ not in handlers:
            raise ValueError(f"unknown event type {type_!r} at seq {env['seq']}")
        state = evolve(state, Event(type_, env["actor"], env["at"], env["data"]))
    return state


def fold(envs: Iterable[Mapping[str, Any]]) -> State:
    """The state after decoded envelopes (a report's events up to its checkpoint)."""
    state = State()
    for env in envs:
        state = evolve(state, Event(env["type"], env["actor"], env["at"], env["data"]))
    return state
