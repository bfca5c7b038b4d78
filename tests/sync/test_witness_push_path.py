"""The studio's ingest path, on the witness itself (no HTTP): a push leaves the process's cycle
collector as it found it, and the tile hashes each accepted push completes are stored with it
(nothing left for a later catch-up)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from showclear.app.studio import StudioWitness
from showclear.app.sync_wire import encode_push
from showclear.bootstrap import close_studio, open_studio
from showclear.ledger.tiles import LeavesOnly, StoredTree, missing_tiles
from sync.support import PRODUCTION, SetNode, Studio, make_studio


@pytest.fixture
def studio(postgres_database: str, tmp_path: Path) -> Studio:
    return make_studio(postgres_database, tmp_path)


@pytest.fixture
def witness(studio: Studio) -> Iterator[StudioWitness]:
    found = open_studio(studio.conninfo, studio.keys)
    yield found
    close_studio(found)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[SetNode]:
    found = SetNode(tmp_path / "set.db")
    yield found
    found.close()


def test_a_push_leaves_the_cycle_collector_as_it_found_it(
    studio: Studio, witness: StudioWitness, node: SetNode
) -> None:
    node.write(200)
    studio.enroll(node)
    assert gc.isenabled()
    status, _ = witness.push(encode_push(node.push(accepted=0, size=100)))
    assert status == 200 and gc.isenabled()
    status, _ = witness.push(b"not a push")  # refused early
    assert status == 400 and gc.isenabled()
    gc.disable()
    try:
        status, _ = witness.push(encode_push(node.push(accepted=100, size=200)))
        assert status == 200 and not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_each_accepted_push_stores_the_tile_hashes_it_completes(
    studio: Studio, witness: StudioWitness, node: SetNode
) -> None:
    node.write(700, batch=100)  # checkpoints every 100 events; tiles complete at 256 and 512
    studio.enroll(node)
    with studio.store() as store:
        for size in range(100, 800, 100):
            status, body = witness.push(encode_push(node.push(accepted=size - 100, size=size)))
            assert (status, body["tree_size"]) == (200, size), body
            assert store.tile_counts(PRODUCTION) == ({1: size // 256} if size >= 256 else {})
            assert missing_tiles(store, PRODUCTION, size) == []
            ours = StoredTree(store, PRODUCTION, size)
            assert ours.root() == StoredTree(node.store, PRODUCTION, size).root()


def test_the_last_push_is_noted_and_later_writes_stay_durable(
    studio: Studio, witness: StudioWitness, node: SetNode
) -> None:
    """The "last pushed" row is committed without a flush of its own; the setting is for that
    statement only, so an alert written next on the same connection waits for the disk."""
    node.write(200)
    studio.enroll(node)
    for size in (100, 200):
        assert witness.push(encode_push(node.push(accepted=size - 100, size=size)))[0] == 200
        (noted,) = witness.records.sync_nodes()
        assert (noted.production, noted.tree_size) == (PRODUCTION, size)
        assert noted.cosigned_at is not None and noted.node_key == node.ledger.verifier.vkey()
    with witness.records._use() as conn:  # type: ignore[attr-defined]
        row = conn.execute("SHOW synchronous_commit").fetchone()
    assert row == ("on",)


def test_a_store_missing_earlier_tile_hashes_catches_up_with_the_next_push(
    studio: Studio, witness: StudioWitness, node: SetNode
) -> None:
    """A push brings the tile hashes it completes; a store that lacks earlier ones (written by
    an older ShowClear, which stored them apart from the events) gets those too."""
    node.write(800, batch=100)
    studio.enroll(node)
    assert witness.push(encode_push(node.push(accepted=0, size=600)))[0] == 200
    with studio.store() as store, psycopg.connect(studio.conninfo, autocommit=True) as conn:
        assert store.tile_counts(PRODUCTION) == {1: 2}
        conn.execute("DELETE FROM ledger_tiles WHERE production = %s", (PRODUCTION,))
        assert store.tile_counts(PRODUCTION) == {}
        status, body = witness.push(encode_push(node.push(accepted=600, size=800)))
        assert (status, body["tree_size"]) == (200, 800), body
        assert store.tile_counts(PRODUCTION) == {1: 3}
        assert missing_tiles(store, PRODUCTION, 800) == []
        recomputed = StoredTree(LeavesOnly(store), PRODUCTION, 800)
        assert store.tile_hashes(PRODUCTION, 1, 0, 3) == [recomputed.node(8, i) for i in range(3)]
