"""The witness checks between real stores: a set node on SQLite (its LedgerNode signing) pushes
to a studio store on PostgreSQL or SQLite, which stores what it accepts exactly as sent and its
co-signed checkpoint in the same transaction; a copy of the node that went on differently is
refused at the exact event where it parted, answering the studio's probes from its own stored
tiles, and nothing of its push is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backends import BACKENDS, open_store
from showclear.ledger.cosignature import Cosigner, open_cosignatures
from showclear.ledger.divergence import answer_probe
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.note import open_checkpoint
from showclear.ledger.tiles import StoredTree, extend_tiles
from showclear.ledger.witness import (
    Accepted,
    Investigate,
    Push,
    Refused,
    StudioLedger,
    check_cosigned,
    check_push,
    settle,
)
from showclear.ports import NewEvent, StoredEvent
from sync.support import PRODUCTION, SetNode

NOW = 1_700_000_000


class StudioSide:
    """The studio's store for the production, and its co-signing key."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.cosigner = Cosigner("studio.example/witness", Ed25519PrivateKey.generate())

    def ledger(self) -> StudioLedger:
        latest = self.store.latest_checkpoint(PRODUCTION)
        size, root = (0, EMPTY_ROOT) if latest is None else (latest.tree_size, latest.root_hash)
        return StudioLedger(PRODUCTION, size, root, self.store)

    def receive(self, push: Push, node: SetNode) -> Accepted | Refused | Investigate:
        ledger = self.ledger()
        outcome = check_push(ledger, push, node.ledger.verifier, self.cosigner, NOW)
        if isinstance(outcome, Accepted) and outcome.events:
            self._store(ledger.accepted_size, outcome)
        return outcome

    def _store(self, accepted: int, outcome: Accepted) -> None:
        sent = [e.payload for e in outcome.events]
        note = outcome.note
        assert note is not None

        def cosigned(_: str, stored: list[StoredEvent]) -> tuple[int, bytes, str]:
            # The store writes the canonical bytes itself: they must be the ones signed.
            if [e.payload for e in stored] != sent:
                raise AssertionError("the studio would store other bytes than were signed")
            return outcome.tree_size, outcome.checkpoint.root_hash, note

        events = [NewEvent(e.type, e.actor, e.at, e.data, e.version) for e in outcome.events]
        self.store.append(PRODUCTION, accepted, events, checkpoint=cosigned)
        extend_tiles(self.store, PRODUCTION, outcome.tree_size)


@pytest.fixture(params=BACKENDS)
def studio(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StudioSide]:
    where = tmp_path / "studio"
    where.mkdir()
    store = open_store(request.param, where, request)
    yield StudioSide(store)
    store.close()


def test_node_to_studio_accept_fork_and_carry_on(studio: StudioSide, tmp_path: Path) -> None:
    node = SetNode(tmp_path / "set.db")
    try:
        node.write(450)
        snapshot = node.copy_to(tmp_path / "snapshot.db")  # the node as it was at 450
        node.write(150)
        push = node.push(accepted=0)
        first = studio.receive(push, node)
        assert isinstance(first, Accepted) and first.tree_size == 600 and len(first.events) == 600
        assert first.note is not None
        # The node checks the studio's answer before keeping it.
        kept, cosig = check_cosigned(
            push.checkpoint,
            first.note,
            node.ledger.verifier,
            studio.cosigner.verifier,
            not_after=NOW + 60,
        )
        stored = studio.store.latest_checkpoint(PRODUCTION)
        assert stored is not None and stored.note == kept and stored.tree_size == 600
        assert open_cosignatures(stored.note, studio.cosigner.verifier)[1] == [cosig]
        open_checkpoint(stored.note, node.ledger.verifier)  # still the node's own signature
        assert list(studio.store.read_payloads(PRODUCTION)) == list(
            node.store.read_payloads(PRODUCTION)
        )
        assert studio.store.tile_counts(PRODUCTION) == {1: 2}

        # The copy goes on differently from event 451 on, under the same key, past 600.
        try:
            snapshot.write(250, text="rewritten")
            forked = snapshot.push(accepted=600)
            outcome = studio.receive(forked, snapshot)
            assert isinstance(outcome, Investigate)
            tree = StoredTree(snapshot.store, PRODUCTION, 700)
            refused = settle(outcome, lambda probe: answer_probe(tree, probe))
            assert (refused.reason, refused.first_diverging) == ("forked", 451)
            # Overlapping the studio's events from 440: refused there too, at the same event.
            overlapping = studio.receive(snapshot.push(accepted=600, first=440), snapshot)
            assert isinstance(overlapping, Investigate)
            again = settle(overlapping, lambda probe: answer_probe(tree, probe))
            assert again.first_diverging == 451
        finally:
            snapshot.close()
        assert studio.store.head(PRODUCTION) == 600  # nothing of the bad pushes stored

        # The true node carries on; a repeat of its push changes nothing.
        node.write(100)
        more = node.push(accepted=600)
        second = studio.receive(more, node)
        assert isinstance(second, Accepted) and [e.seq for e in second.events][::99] == [601, 700]
        repeat = studio.receive(more, node)
        assert isinstance(repeat, Accepted) and repeat.duplicate and repeat.events == ()
        assert studio.store.head(PRODUCTION) == 700
        assert (
            StoredTree(studio.store, PRODUCTION, 700).root() == node.ledger.tree(PRODUCTION).root()
        )
    finally:
        node.close()
