"""What a report is made from: a production's events up to its latest signed checkpoint.

The `Seal` printed in every page footer (production, tree size, root hash, signing key
fingerprint) is that checkpoint, so a paper copy can be matched against `showclear verify` and
`showclear status --json` (same ``tree_size`` and ``root_hash``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.service import load_payload
from showclear.domain import Event, State, evolve

Env = dict[str, Any]


@dataclass(frozen=True)
class Seal:
    production: str
    tree_size: int
    root_hash: str  # hex
    key_fingerprint: str

    def footer(self) -> str:
        return (
            f"{self.production} · ledger tree size {self.tree_size} · root {self.root_hash} · "
            f"key {self.key_fingerprint}"
        )


@dataclass(frozen=True)
class Source:
    production: str
    title: str
    envs: list[Env]
    state: State
    seal: Seal


def read_envs(store: SQLiteEventStore, production: str, upto: int | None = None) -> list[Env]:
    """The production's events as envelope dicts with their sequence numbers."""
    out: list[Env] = []
    for seq, payload in store.read_payloads(production, 0):
        if upto is not None and seq > upto:
            break
        env = load_payload(payload)
        env["seq"] = seq
        out.append(env)
    return out


def seal_of(store: SQLiteEventStore, production: str, key_fingerprint: str) -> Seal:
    """The production's latest signed checkpoint (raises LookupError when none is stored)."""
    cp = store.latest_checkpoint(production)
    if cp is None:
        raise LookupError(f"production {production!r} has no signed checkpoint yet")
    return Seal(production, cp.tree_size, cp.root_hash.hex(), key_fingerprint)


def load_source(store: SQLiteEventStore, production: str, key_fingerprint: str) -> Source:
    """The events covered by the latest checkpoint, their state, and that checkpoint's seal."""
    seal = seal_of(store, production, key_fingerprint)
    envs = read_envs(store, production, upto=seal.tree_size)
    state = _fold(envs)
    return Source(production, state.title or production, envs, state, seal)


def _fold(envs: list[Env]) -> State:
    state = State()
    for env in envs:
        state = evolve(state, Event(env["type"], env["actor"], env["at"], env["data"]))
    return state


def open_source(db: str | Path, production: str) -> Source:
    """Open the store at `db` with its ledger key and load `production` (then close it)."""
    from showclear.app.ledger import LedgerNode

    store = SQLiteEventStore(db)
    try:
        node = LedgerNode.open(db, store)
        return load_source(store, production, node.key_fingerprint)
    finally:
        store.close()
