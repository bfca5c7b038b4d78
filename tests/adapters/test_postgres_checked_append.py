"""The studio's own append on PostgreSQL (`append_checked`): what `check_push` accepted is
stored as it was checked, in one transaction with the co-signed checkpoint and the tiles,
without the store reading the events again; and only `check_push` can hand it such a range.

The set node is a real SQLite store with its ledger signing every append; the studio's store is
a real PostgreSQL database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from showclear.adapters.postgres import PostgresEventStore
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.ledger import LedgerNode
from showclear.bootstrap import ledger_for
from showclear.ledger.cosignature import Cosigner
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.proofs import prove_consistency
from showclear.ledger.tiles import StoredTree, WithLeaves, missing_tiles
from showclear.ledger.witness import (
    Accepted,
    CheckedRange,
    Push,
    StudioLedger,
    check_push,
)
from showclear.ports import ConcurrencyError, NewEvent, StoreError

PRODUCTION = "unit-3e4"  # an `e` and a digit: not a float
NOW = 1_700_000_000


class Node:
    def __init__(self, path: Path, name: str = "Zoë Ångström") -> None:
        self.store = SQLiteEventStore(path)
        self.ledger: LedgerNode = ledger_for(path, self.store)
        self.name = name

    def write(self, count: int) -> None:
        head = self.store.head(PRODUCTION)
        events = [
            NewEvent(
                "note_added",
                f"armorer:{self.name}",
                "2024-05-01T08:00:00+02:00",
                {"i": i, "note": f"{self.name} {i}", "id": f"{i:04d}e5"},
                version=2,
            )
            for i in range(head + 1, head + count + 1)
        ]
        self.store.append(PRODUCTION, head, events, checkpoint=self.ledger.checkpoint_hook)

    def push(self, accepted: int) -> Push:
        latest = self.store.latest_checkpoint(PRODUCTION)
        assert latest is not None
        events = list(self.store.read_payloads(PRODUCTION, accepted))
        proof = prove_consistency(self.store, PRODUCTION, accepted).proof
        return Push(PRODUCTION, events, latest.note, proof)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    made = Node(tmp_path / "set.db")
    yield made
    made.ledger.close()
    made.store.close()


@pytest.fixture
def studio(postgres_database: str) -> Iterator[PostgresEventStore]:
    with PostgresEventStore(postgres_database) as store:
        yield store


COSIGNER = Cosigner("studio.example/witness", Ed25519PrivateKey.generate())


def _accept(studio: PostgresEventStore, node: Node) -> Accepted:
    latest = studio.latest_checkpoint(PRODUCTION)
    size, root = (0, EMPTY_ROOT) if latest is None else (latest.tree_size, latest.root_hash)
    ledger = StudioLedger(PRODUCTION, size, root, studio)
    outcome = check_push(ledger, node.push(size), node.ledger.verifier, COSIGNER, NOW)
    assert isinstance(outcome, Accepted) and outcome.checked is not None
    return outcome


def _store(studio: PostgresEventStore, accepted: Accepted) -> None:
    checked = accepted.checked
    assert checked is not None
    leaves = WithLeaves(studio, checked.after, [e.leaf_hash for e in checked.events])
    studio.append_checked(checked, missing_tiles(leaves, PRODUCTION, checked.tree_size))


# ASCII pushes are read whole (one orjson call); others event by event: both end here.
@pytest.mark.parametrize("name", ["Zoe Angstrom", "Zoë Ångström"])
def test_checked_rows_are_the_nodes_rows_with_the_cosigned_checkpoint_and_tiles(
    studio: PostgresEventStore, tmp_path: Path, name: str
) -> None:
    node = Node(tmp_path / "named.db", name)
    try:
        _store_twice_and_compare(studio, node)
    finally:
        node.ledger.close()
        node.store.close()


def _store_twice_and_compare(studio: PostgresEventStore, node: Node) -> None:
    node.write(300)
    first = _accept(studio, node)
    _store(studio, first)
    node.write(250)
    _store(studio, _accept(studio, node))

    columns = [
        (e.seq, e.type, e.version, e.actor, e.at, e.payload, e.leaf_hash)
        for e in studio.read(PRODUCTION)
    ]
    assert columns == [
        (e.seq, e.type, e.version, e.actor, e.at, e.payload, e.leaf_hash)
        for e in node.store.read(PRODUCTION)
    ]
    stored = list(studio.read(PRODUCTION))
    assert [e.position for e in stored] == list(range(1, 551))
    assert len({e.recorded_at for e in stored}) == 2  # one commit per push
    notes = [(c.tree_size, c.note) for c in studio.checkpoints(PRODUCTION)]
    assert [size for size, _ in notes] == [300, 550]
    assert first.note is not None and notes[0][1] == first.note
    assert studio.tile_counts(PRODUCTION) == {1: 2}
    expected = node.ledger.tree(PRODUCTION).root()
    assert StoredTree(studio, PRODUCTION, 550).root() == expected


def test_a_checked_range_comes_from_check_push_only(studio: PostgresEventStore, node: Node) -> None:
    node.write(70)
    checked = _accept(studio, node).checked
    assert checked is not None
    fields = {f.name: getattr(checked, f.name) for f in dataclasses.fields(checked)}
    with pytest.raises(TypeError, match="check_push only"):
        CheckedRange(**fields, seal=object())
    with pytest.raises(ValueError, match="seal"):
        dataclasses.replace(checked, after=0)  # the seal does not carry over
    with pytest.raises(TypeError, match="CheckedRange"):
        studio.append_checked(checked.events)  # type: ignore[arg-type]
    assert studio.head(PRODUCTION) == 0


def test_a_checked_range_after_another_head_stores_nothing(
    studio: PostgresEventStore, node: Node
) -> None:
    node.write(100)
    accepted = _accept(studio, node)
    _store(studio, accepted)
    with pytest.raises(ConcurrencyError):
        _store(studio, accepted)  # the same range again: the head is 100 now, not 0
    assert studio.head(PRODUCTION) == 100
    assert [c.tree_size for c in studio.checkpoints(PRODUCTION)] == [100]


def test_the_binary_copy_refuses_a_value_its_column_cannot_hold(
    studio: PostgresEventStore,
) -> None:
    events = [
        NewEvent("note_added", "a", "2024-05-01T08:00:00+02:00", {"i": i}, version=2**31)
        for i in range(100)  # enough to go through COPY
    ]
    with pytest.raises(StoreError, match="out of range"):
        studio.append(PRODUCTION, 0, events)
    assert studio.head(PRODUCTION) == 0
    studio.append(PRODUCTION, 0, [dataclasses.replace(e, version=2) for e in events])
    assert studio.head(PRODUCTION) == 100


def test_the_binary_copy_writes_text_in_the_connections_encoding(
    studio: PostgresEventStore, postgres_database: str
) -> None:
    events = [NewEvent("note_added", "Ångström 東京", "2024-05-01", {"i": i}) for i in range(70)]
    studio.append(PRODUCTION, 0, events)
    with psycopg.connect(postgres_database) as conn:
        actors = conn.execute("SELECT DISTINCT actor, production FROM events").fetchall()
    assert actors == [("Ångström 東京", PRODUCTION)]
