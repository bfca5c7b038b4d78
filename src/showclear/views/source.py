"""What a report is made from: a production's events up to its latest signed checkpoint.

The `Seal` printed in every page footer (production, tree size, root hash, signing key
fingerprint) is that checkpoint, so a paper copy can be matched against `showclear verify` and
`showclear status --json` (same ``tree_size`` and ``root_hash``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from showclear.app.checkpointer import CheckpointerError
from showclear.app.ledger import LedgerNode
from showclear.app.projection import fold
from showclear.domain import State
from showclear.errors import NoCheckpoint, NoLedger
from showclear.ports import CheckpointStore, EventReader
from showclear.views.envelopes import envelopes

log = logging.getLogger(__name__)

Env = dict[str, Any]


class SourceReader(EventReader, CheckpointStore, Protocol):
    """What a report reads: the events and the checkpoints."""


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


def seal_of(store: CheckpointStore, production: str, key_fingerprint: str) -> Seal:
    """The production's latest signed checkpoint (NoCheckpoint when none is stored)."""
    cp = store.latest_checkpoint(production)
    if cp is None:
        raise NoCheckpoint(f"production {production!r} has no signed checkpoint yet")
    return Seal(production, cp.tree_size, cp.root_hash.hex(), key_fingerprint)


def load_source(store: SourceReader, production: str, key_fingerprint: str) -> Source:
    """The events covered by the latest checkpoint, their state, and that checkpoint's seal."""
    seal = seal_of(store, production, key_fingerprint)
    envs = envelopes(store, production, upto=seal.tree_size)
    state = fold(envs)
    return Source(production, state.title or production, envs, state, seal)


def signed_source(store: SourceReader, ledger: LedgerNode | None, production: str) -> Source:
    """The report source of a running node: its checkpoints are signed just after each commit,
    so wait for the last one first, and the report covers every command already answered. If
    signing fails, the report still stands on the latest checkpoint there is (and says which
    one it is)."""
    if ledger is None:
        raise NoLedger("This store has no signing key: reports are sealed by the ledger.")
    try:
        ledger.flush(timeout=5)
    except CheckpointerError:
        log.exception("report for %s: the newest commits are not signed yet", production)
    return load_source(store, production, ledger.key_fingerprint)
