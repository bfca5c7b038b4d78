"""Proofs from the stored tiles equal the in-memory tree's and pymerkle's, on real SQLite files
and on a real PostgreSQL server.

On both backends: every size up to 300 (every leaf and every earlier size at each), with the C2SP
tile height of 8 and with tiles of height 2 (so that sizes this small already use four levels of
stored tiles); sampled sizes up to 100,000; signed proofs, also from a damaged tile. On SQLite,
after a crash between a commit and its tree update, both before the next open recomputes the
missing tiles and after.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymerkle
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_witness import MemoryTiles  # the witness tests' tile store in memory

from backends import BACKENDS, open_store
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.bootstrap import ledger_for
from showclear.ledger import tiles
from showclear.ledger.canonical import event_payload, leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.merkle import CompactTree, MerkleTree
from showclear.ledger.note import NoteSigner, sign_checkpoint
from showclear.ledger.proof import consistency_proof, inclusion_proof
from showclear.ledger.proofs import StoredProofError, prove_consistency, prove_inclusion
from showclear.ledger.tiles import StoredTree, extend_tiles, missing_tiles
from showclear.ledger.verify import verify_consistency, verify_inclusion
from showclear.ports import ConcurrencyError, NewEvent

PRODUCTION = "tiles"


def _event(i: int) -> NewEvent:
    return NewEvent("note_added", "arm", f"2021-10-21T06:{i // 60 % 60:02d}:{i % 60:02d}", {"i": i})


def _fill(store: Any, n: int, batch: int = 5000) -> None:
    head = store.head(PRODUCTION)
    while head < n:
        count = min(batch, n - head)
        store.append(PRODUCTION, head, [_event(head + k) for k in range(count)])
        head += count


def _check_size(store: Any, memory: MerkleTree, size: int, every: bool) -> None:
    stored = StoredTree(store, PRODUCTION, size)
    assert stored.root() == memory.root(size)
    assert stored.compact() == memory.compact(size)
    indices = range(size) if every else {0, size - 1, size // 2, random.randrange(size)}
    for index in indices:
        assert inclusion_proof(stored, index, size) == inclusion_proof(memory, index, size)
    olds = range(size + 1) if every else {0, 1, size - 1, size, random.randrange(size + 1)}
    for old in olds:
        assert consistency_proof(stored, old, size) == consistency_proof(memory, old, size)


@pytest.fixture(scope="module", params=BACKENDS)
def small(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[Any, MerkleTree]]:
    store = open_store(request.param, tmp_path_factory.mktemp("tiles"), request)
    _fill(store, 300)
    yield store, MerkleTree(store.leaf_hashes(PRODUCTION, 0, 300))
    store.close()


def _every_size_up_to_300(
    store: Any, production: str, height: int, every: Callable[[str, int], bool]
) -> None:
    """Roots, frontiers and proofs of every size up to 300 from the stored tiles, against the
    in-memory tree: first with tiles stored up to 150 only (beyond, every missing tile is
    computed from below), then with all. `every(stage, size)`: check every leaf and every
    earlier size there, else a sample."""
    memory = MerkleTree(store.leaf_hashes(production, 0, 300))
    rng = random.Random(height)
    extend_tiles(store, production, 150)
    for stage in ("half stored", "all stored"):
        for size in range(1, 301):
            stored = StoredTree(store, production, size)
            assert stored.root() == memory.root(size), (stage, size)
            assert stored.compact() == memory.compact(size)
            all_of_them = every(stage, size)
            indices = {0, size // 3, size - 1, rng.randrange(size)}
            for index in range(size) if all_of_them else indices:
                assert inclusion_proof(stored, index, size) == inclusion_proof(memory, index, size)
            olds = {0, 1, size // 2, size - 1, size, rng.randrange(size + 1)}
            for old in range(size + 1) if all_of_them else olds:
                ours = consistency_proof(stored, old, size)
                assert ours == consistency_proof(memory, old, size), (stage, size, old)
        extend_tiles(store, production, 300)
    counts = store.tile_counts(production)
    assert counts == {level: 300 >> (height * level) for level in range(1, len(counts) + 1)}
    assert len(counts) == (1 if height == 8 else 4)
    assert missing_tiles(store, production, 300) == []


@pytest.mark.parametrize("height", [8, 2])
def test_every_size_up_to_300_equals_the_in_memory_tree(
    small: tuple[Any, MerkleTree], height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = small
    monkeypatch.setattr(tiles, "TILE_HEIGHT", height)
    monkeypatch.setattr(tiles, "TILE_WIDTH", 1 << height)
    production = f"{PRODUCTION}-{height}"
    store.append(production, 0, [_event(i) for i in range(300)])
    # Every leaf and every earlier size once the tiles are stored; a sample before.
    _every_size_up_to_300(store, production, height, lambda stage, _: stage == "all stored")


@pytest.mark.parametrize("height", [8, 2])
def test_every_size_up_to_300_equals_the_in_memory_tree_sampled_in_memory(
    height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above with its tiles kept in memory, every proof checked at sizes below 40 and
    around a tile's border and a sample at the others: what the mutation runs use in its place
    (it takes 25 s, this one half a second)."""
    monkeypatch.setattr(tiles, "TILE_HEIGHT", height)
    monkeypatch.setattr(tiles, "TILE_WIDTH", 1 << height)
    store = MemoryTiles()
    store.leaves[PRODUCTION] = [os.urandom(32) for _ in range(300)]
    _every_size_up_to_300(
        store, PRODUCTION, height, lambda _, size: size < 40 or size in (255, 256, 257, 300)
    )


def test_every_size_up_to_300_equals_pymerkle(small: tuple[Any, MerkleTree]) -> None:
    store, _ = small
    extend_tiles(store, PRODUCTION, 300)
    other = pymerkle.InmemoryTree(algorithm="sha256")
    rng = random.Random(6962)
    for seq in range(1, 301):
        payload = store.event_payload(PRODUCTION, seq)
        assert payload is not None
        other.append_entry(payload)
    for size in range(1, 301):
        stored = StoredTree(store, PRODUCTION, size)
        root = other.get_root(size)
        assert stored.root() == root
        for index in {0, size - 1, rng.randrange(size)}:
            theirs = other.prove_inclusion(index + 1, size)  # pymerkle counts from 1
            assert inclusion_proof(stored, index, size) == theirs.path[1:]
        for old in {1, rng.randrange(1, size + 1)}:
            ours = consistency_proof(stored, old, size)
            verify_consistency(old, size, other.get_root(old), root, ours)
            theirs = other.prove_consistency(old, size)
            pymerkle.verify_consistency(stored.root(old), root, theirs, prior_size=old,
                                        later_size=size)  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_sampled_sizes_up_to_100000(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    store = open_store(backend, tmp_path, request)
    try:
        _fill(store, 100_000, batch=20_000)
        memory = MerkleTree(store.leaf_hashes(PRODUCTION, 0, 100_000))
        extend_tiles(store, PRODUCTION, 70_000)  # a store whose tree update lags the events
        rng = random.Random(100_000)
        edges = [2**k + d for k in (8, 9, 15, 16) for d in (-1, 0, 1)]
        sizes = {
            100_000,
            70_000,
            70_001,
            69_999,
            *edges,
            *(rng.randrange(1, 100_001) for _ in range(40)),
        }
        for size in sorted(sizes):
            _check_size(store, memory, size, every=False)
        assert extend_tiles(store, PRODUCTION, 100_000) > 0
        assert store.tile_counts(PRODUCTION) == {1: 100_000 >> 8, 2: 1}
        for size in sorted(sizes):
            _check_size(store, memory, size, every=False)
        # pymerkle over the same payloads, at sampled sizes.
        other = pymerkle.InmemoryTree(algorithm="sha256")
        for _, payload in store.read_payloads(PRODUCTION):
            other.append_entry(payload)
        for size in sorted(rng.sample(sorted(sizes), 8)):
            stored = StoredTree(store, PRODUCTION, size)
            assert stored.root() == other.get_root(size)
            index = rng.randrange(size)
            assert (
                inclusion_proof(stored, index, size)
                == other.prove_inclusion(index + 1, size).path[1:]
            )
    finally:
        store.close()


def _signed_to(store: Any, signer: NoteSigner, size: int) -> bytes:
    """Store a checkpoint of the first `size` events, signed as a set node signs; its root."""
    tree = CompactTree()
    tree.extend(store.leaf_hashes(PRODUCTION, 0, size))
    body = Checkpoint(f"showclear.set/test/{PRODUCTION}", size, tree.root())
    note = sign_checkpoint(body, signer)
    store.add_checkpoint(PRODUCTION, size, tree.root(), note)
    return tree.root()


@pytest.mark.parametrize("backend", BACKENDS)
def test_signed_proofs_survive_a_damaged_tile(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    store = open_store(backend, tmp_path, request)
    signer = NoteSigner("showclear.set/test", Ed25519PrivateKey.generate())
    try:
        _fill(store, 1_000, batch=1_000)
        with pytest.raises(StoredProofError, match="no signed checkpoint"):
            prove_inclusion(store, PRODUCTION, 1)
        root = _signed_to(store, signer, 1_000)
        extend_tiles(store, PRODUCTION, 512)  # tiles 0 and 1 stored, 2 and 3 computed
        # Tile 2 stored wrong (a damaged table): the signed root rules it out.
        store.add_tile_hashes(PRODUCTION, [(1, 2, b"\x07" * 32)])
        assert store.tile_hashes(PRODUCTION, 1, 0, 4) == [
            *store.tile_hashes(PRODUCTION, 1, 0, 2),
            b"\x07" * 32,
        ]
        memory = MerkleTree(store.leaf_hashes(PRODUCTION, 0, 1_000))
        assert StoredTree(store, PRODUCTION, 1_000).root() != root  # the damage shows...
        for seq in (1, 600, 1_000):  # ...but no proof is given from it
            proof = prove_inclusion(store, PRODUCTION, seq)
            assert proof.root_hash == root == memory.root()
            assert list(proof.proof) == inclusion_proof(memory, seq - 1)
            payload = store.event_payload(PRODUCTION, seq)
            assert proof.payload == payload and proof.leaf_hash == memory.leaf(seq - 1)
        consistent = prove_consistency(store, PRODUCTION, 700)
        assert consistent.old_root == memory.root(700)
        assert list(consistent.proof) == consistency_proof(memory, 700)
        verify_consistency(700, 1_000, consistent.old_root, root, list(consistent.proof))
        with pytest.raises(StoredProofError, match="outside"):
            prove_inclusion(store, PRODUCTION, 1_001)
        assert store.event_payload(PRODUCTION, 1_001) is None
    finally:
        store.close()


# -- a crash between a commit and its tree update --------------------------------------------

CHILD = r"""
import os, sys
from showclear.bootstrap import ledger_for
from showclear.ports import NewEvent
from showclear.adapters.sqlite.store import SQLiteEventStore

path, production, mode = sys.argv[1], sys.argv[2], sys.argv[3]
store = SQLiteEventStore(path)
node = ledger_for(path, store)
head = store.head(production)
if mode == "exit-after-commit":
    # Commit 700 events, tell nobody, and die: no checkpoint, no tile update.
    store.append(production, head, [NewEvent("note_added", "arm", "2021-10-21T06:00:00",
                                             {"i": head + k}) for k in range(700)])
    os._exit(0)
print("READY", flush=True)
while True:  # killed with SIGKILL at a random moment
    stored = store.append(production, head, [NewEvent("note_added", "arm", "2021-10-21T06:00:00",
                                                      {"i": head + k}) for k in range(37)])
    head = stored[-1].seq
    node.committed(production, head)
    print("ACK", head, flush=True)
"""


def _child(path: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), PRODUCTION, mode],
        stdout=subprocess.PIPE,
        text=True,
    )


def _proofs_match(path: Path) -> int:
    """Check proofs from the tiles as they are on disk (nothing recomputed and stored)."""
    store = SQLiteEventStore(path)
    try:
        head = store.head(PRODUCTION)
        memory = MerkleTree(store.leaf_hashes(PRODUCTION, 0, head))
        rng = random.Random(head)
        for size in {head, head - 1, (head >> 8) << 8, rng.randrange(1, head + 1)}:
            _check_size(store, memory, size, every=False)
        return head
    finally:
        store.close()


def test_a_crash_between_commit_and_tree_update_is_recomputed_on_the_next_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crash.db"
    store = SQLiteEventStore(path)
    ledger_for(path, store)
    _fill(store, 1000, batch=1000)
    ledger_for(path, store).sign_unsigned()
    store.close()
    store = SQLiteEventStore(path)
    ledger_for(path, store)
    assert store.tile_counts(PRODUCTION) == {1: 1000 >> 8}
    store.close()

    assert _child(path, "exit-after-commit").wait(30) == 0
    store = SQLiteEventStore(path)
    assert store.head(PRODUCTION) == 1700
    assert store.tile_counts(PRODUCTION) == {1: 1000 >> 8}  # the tree update never happened
    assert len(missing_tiles(store, PRODUCTION, 1700)) == (1700 >> 8) - (1000 >> 8)
    store.close()
    assert _proofs_match(path) == 1700  # still right, from the tiles there are plus leaves

    store = SQLiteEventStore(path)
    node = ledger_for(path, store)  # the next open recomputes the missing part
    try:
        assert store.tile_counts(PRODUCTION) == {1: 1700 >> 8}
        assert missing_tiles(store, PRODUCTION, 1700) == []
        proof = prove_inclusion(store, PRODUCTION, 1234)
        assert proof.tree_size == 1700  # the open signed the tail too
        verify_inclusion(proof.leaf_hash, 1233, 1700, list(proof.proof), proof.root_hash)
        consistent = prove_consistency(store, PRODUCTION, 999)
        memory = MerkleTree(store.leaf_hashes(PRODUCTION, 0, 1700))
        assert consistent.old_root == memory.root(999)
        with pytest.raises(StoredProofError):
            prove_inclusion(store, PRODUCTION, 1701)
    finally:
        store.close()
    assert node.store is store and _proofs_match(path) == 1700


def test_sigkill_while_the_checkpointer_stores_tiles(tmp_path: Path) -> None:
    path = tmp_path / "kill.db"
    rng = random.Random(9)
    for _ in range(5):
        child = _child(path, "loop")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        acked = 0
        deadline = time.monotonic() + rng.uniform(0.3, 1.2)
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if line.startswith("ACK"):
                acked = int(line.split()[1])
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        head = _proofs_match(path)  # as the kill left it
        assert head >= acked
        store = SQLiteEventStore(path)
        try:
            ledger_for(path, store)
            assert missing_tiles(store, PRODUCTION, head) == []
        finally:
            store.close()
        assert _proofs_match(path) == head


@pytest.mark.parametrize("height", [8, 2])
def test_tiles_of_leaves_in_memory_are_stored_by_the_append_itself(
    small: tuple[Any, MerkleTree], height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The studio's way with a push: the tile hashes a range completes computed before the
    append from the range's leaf hashes (`WithLeaves`: nothing read back) and stored by the
    append in its own transaction; the same hashes the leaves give, none missing. A refused
    append stores none of them."""
    store, _ = small
    monkeypatch.setattr(tiles, "TILE_HEIGHT", height)
    monkeypatch.setattr(tiles, "TILE_WIDTH", 1 << height)
    production = f"{PRODUCTION}-appended-{height}"
    head = 0
    for end in (1, 3, 4, 100, 256, 257, 300):
        events = [_event(i) for i in range(head, end)]
        leaves = [
            leaf_hash(event_payload(production, seq, e.type, e.version, e.actor, e.at, e.data))
            for seq, e in enumerate(events, start=head + 1)
        ]
        rows = missing_tiles(tiles.WithLeaves(store, head, leaves), production, end)
        with pytest.raises(ConcurrencyError):  # a stale head: nothing stored, tiles neither
            store.append(production, head + 1, events, tiles=rows)
        assert missing_tiles(store, production, head) == []
        assert sum(store.tile_counts(production).values()) == sum(
            (head >> (height * level)) for level in range(1, 9)
        )
        store.append(production, head, events, tiles=rows)
        assert missing_tiles(store, production, end) == []
        recomputed = StoredTree(tiles.LeavesOnly(store), production, end)
        for level, count in store.tile_counts(production).items():
            stored = store.tile_hashes(production, level, 0, count)
            assert stored == [recomputed.node(height * level, i) for i in range(count)]
        head = end
    assert store.tile_counts(production)  # tiles were stored at all


@pytest.mark.parametrize("height", [8, 2])
def test_grow_gives_the_grown_root_and_exactly_the_tiles_the_leaves_complete(
    height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the witness computes for each push (`tiles.grow`): the root of the tree with the
    pushed leaves appended and the tile hashes they complete, against the in-memory tree and
    `missing_tiles`, from every kind of edge (a tile's border, one past it, deep inside)."""
    monkeypatch.setattr(tiles, "TILE_HEIGHT", height)
    monkeypatch.setattr(tiles, "TILE_WIDTH", 1 << height)
    rng = random.Random(height)
    width = 1 << height
    for _ in range(40):
        memory = MemoryTiles()
        leaves = memory.leaves.setdefault(PRODUCTION, [])
        for _ in range(rng.randint(1, 6)):
            count = rng.choice([0, 1, width - 1, width, width + 1, rng.randrange(width**2 * 3)])
            size = len(leaves)
            pushed = [os.urandom(32) for _ in range(count)]
            root, rows = tiles.grow(StoredTree(memory, PRODUCTION, size), pushed)
            leaves.extend(pushed)
            assert root == MerkleTree(leaves).root(), (size, count)
            assert rows == missing_tiles(memory, PRODUCTION, size + count), (size, count)
            memory.add_tile_hashes(PRODUCTION, rows)
            assert memory.tile_counts(PRODUCTION) == tiles.full_tile_counts(size + count)


def test_a_stored_tree_refuses_what_it_does_not_hold_in_its_own_words() -> None:
    """Every question outside the tree, and a store shorter than the tree, is refused with
    what was asked and the tree's size; the edges themselves are answered."""
    memory = MemoryTiles()
    leaves = [os.urandom(32) for _ in range(13)]
    memory.leaves[PRODUCTION] = leaves
    tree = StoredTree(memory, PRODUCTION, 13)
    reference = MerkleTree(leaves)

    def refused(error: type[Exception], words: str, call: Any, *args: int | None) -> None:
        with pytest.raises(error) as caught:
            call(*args)
        assert str(caught.value).strip("'") == words

    with pytest.raises(ValueError, match=r"^tree size must not be negative, got -1$"):
        StoredTree(memory, PRODUCTION, -1)
    assert StoredTree(memory, PRODUCTION, 0).root() == reference.root(0)
    assert tree.node(3, 0) == reference.range_hash(0, 8) and tree.node(
        2, 2
    ) == reference.range_hash(8, 12)
    assert tree.node(0, 12) == tree.leaf(12) == leaves[12] and tree.leaf(0) == leaves[0]
    for height, index in ((-1, 0), (0, -1), (2, 3), (4, 0), (0, 13)):
        words = f"no complete subtree of height {height} at {index} in a tree of 13"
        refused(ValueError, words, tree.node, height, index)
    for index in (-1, 13):
        refused(IndexError, f"leaf index {index} outside a tree of 13 leaves", tree.leaf, index)
    assert tree.range_hash(12, 13) == leaves[12] and tree.range_hash(13, 13) == reference.root(0)
    assert tree.range_hash(8, 12) == reference.range_hash(8, 12)
    for start, end in ((-1, 3), (4, 3), (0, 14)):
        words = f"range [{start}, {end}) outside a tree of 13 leaves"
        refused(ValueError, words, tree.range_hash, start, end)
    for start, end in ((1, 3), (2, 6), (4, 12)):
        words = f"range [{start}, {end}) is not a subtree of the Merkle tree"
        refused(ValueError, words, tree.range_hash, start, end)
    assert tree.root() == reference.root() and tree.root(5) == reference.root(5)
    assert tree.compact(0) == reference.compact(0) and tree.compact(13) == reference.compact()
    for size in (-1, 14):
        refused(ValueError, f"size {size} outside a tree of 13 leaves", tree.compact, size)
    short = StoredTree(memory, PRODUCTION, 14)
    words = f"production {PRODUCTION!r}: the store holds fewer than 14 events"
    refused(ValueError, words, short.leaf, 13)
    refused(ValueError, words, short.root)


def test_hashes_neither_stored_nor_computable_are_named() -> None:
    """`missing_tiles` over a store whose leaves stop short, or whose tile hashes have a gap
    below what is computed: the level and the range it could not find."""
    memory = MemoryTiles()
    memory.leaves[PRODUCTION] = [os.urandom(32) for _ in range(300)]
    words = (
        f"production {PRODUCTION!r}: hashes 0 to 512 of tile level 0 are neither stored "
        "nor computable"
    )
    with pytest.raises(ValueError) as caught:
        missing_tiles(memory, PRODUCTION, 512)
    assert str(caught.value) == words
    memory.leaves[PRODUCTION] += [os.urandom(32) for _ in range(256 * 256 - 300)]
    full = MerkleTree(memory.leaves[PRODUCTION])
    assert extend_tiles(memory, PRODUCTION, 512) == 2
    assert extend_tiles(memory, PRODUCTION, 512) == 0  # nothing left to add
    del memory.tiles[1, 0]  # a gap: the store counts one hash at level 1, and it is not 0
    with pytest.raises(ValueError) as caught:
        missing_tiles(memory, PRODUCTION, 256 * 256)
    assert str(caught.value) == words.replace(
        "0 to 512 of tile level 0", "0 to 256 of tile level 1"
    )
    memory.tiles[1, 0] = full.range_hash(0, 256)
    rows = missing_tiles(memory, PRODUCTION, 256 * 256)  # the level below stored, then computed
    assert [r[:2] for r in rows] == [(1, i) for i in range(2, 256)] + [(2, 0)]
    assert rows[0][2] == full.range_hash(512, 768) and rows[-1][2] == full.root()


def test_leaves_held_in_memory_continue_the_stored_ones_and_never_across_a_gap(
    tmp_path: Path,
) -> None:
    memory = MemoryTiles()
    stored = [os.urandom(32) for _ in range(10)]
    new = [os.urandom(32) for _ in range(5)]
    memory.leaves[PRODUCTION] = list(stored)
    held = tiles.WithLeaves(memory, 10, new)
    both = stored + new
    for start, end in ((0, 15), (10, 15), (12, 14), (3, 8), (3, 10), (8, 12), (9, 20), (15, 16)):
        assert held.leaf_hashes(PRODUCTION, start, end) == both[start:end], (start, end)
    gap = tiles.WithLeaves(memory, 12, new)  # leaves 10 and 11 are nowhere
    assert gap.leaf_hashes(PRODUCTION, 8, 14) == stored[8:10]
    assert gap.leaf_hashes(PRODUCTION, 12, 14) == new[:2]
    store = SQLiteEventStore(tmp_path / "held.db")  # a store of several productions
    try:
        on_disk = tiles.WithLeaves(store, 0, new)
        on_disk.add_tile_hashes(PRODUCTION, [(1, 0, b"\x01" * 32)])
        assert on_disk.tile_hashes(PRODUCTION, 1, 0, 1) == [b"\x01" * 32]
        assert on_disk.tile_counts(PRODUCTION) == {1: 1}
        assert store.tile_counts("other") == {} and store.tile_hashes("other", 1, 0, 1) == []
    finally:
        store.close()
    hidden = tiles.LeavesOnly(memory)
    assert hidden.tile_hashes(PRODUCTION, 1, 0, 1) == []
    assert hidden.leaf_hashes(PRODUCTION, 2, 5) == stored[2:5]


def test_the_edge_of_a_tree_is_the_part_of_each_level_the_next_leaves_complete() -> None:
    memory = MemoryTiles()
    leaves = [os.urandom(32) for _ in range(256 * 3 + 7)]
    memory.leaves[PRODUCTION] = leaves
    full = MerkleTree(leaves)
    tile_roots = [full.range_hash(i * 256, (i + 1) * 256) for i in range(3)]
    for size, level0, level1 in (
        (0, [], []),
        (1, leaves[:1], []),
        (255, leaves[:255], []),
        (256, [], tile_roots[:1]),
        (300, leaves[256:300], tile_roots[:1]),
        (256 * 3 + 7, leaves[768:], tile_roots),
    ):
        tree = StoredTree(memory, PRODUCTION, size)
        assert tree.edge(0) == level0, size
        assert tree.edge(1) == level1, size
        assert tree.edge(2) == []
    # On a tile's border (a push of whole tiles ends there) nothing is read from the store.
    reads: list[tuple[int, int]] = []
    counting = tiles.LeavesOnly(memory)
    real = counting.leaf_hashes

    def leaf_hashes(production: str, start: int, end: int) -> list[bytes]:
        reads.append((start, end))
        return real(production, start, end)

    counting.leaf_hashes = leaf_hashes  # type: ignore[method-assign]
    assert StoredTree(counting, PRODUCTION, 512).edge(0) == [] and reads == []
    assert StoredTree(counting, PRODUCTION, 0).edge(0) == [] and reads == []
    assert StoredTree(counting, PRODUCTION, 513).edge(0) == leaves[512:513]
    assert reads == [(512, 513)]


def test_full_tile_counts_hold_every_complete_tile_of_each_level() -> None:
    assert tiles.full_tile_counts(0) == tiles.full_tile_counts(255) == {}
    assert tiles.full_tile_counts(256) == {1: 1}
    assert tiles.full_tile_counts(65_535) == {1: 255}
    assert tiles.full_tile_counts(65_536) == {1: 256, 2: 1}
    assert tiles.full_tile_counts(256**3 * 2 + 257) == {1: 65_536 * 2 + 1, 2: 512, 3: 2}


def test_grow_hashes_the_leaves_of_a_completed_tile_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frontier takes each tile the push completes as its root (hashed for the tile rows):
    it hashes only the leaves before the first tile border and after the last whole tile."""
    extended: list[int] = []
    real = CompactTree.extend

    def counted(self: CompactTree, leaf_hashes: Any) -> int:
        leaf_hashes = list(leaf_hashes)
        extended.append(len(leaf_hashes))
        return real(self, leaf_hashes)

    memory = MemoryTiles()
    leaves = memory.leaves.setdefault(PRODUCTION, [])
    for count in (3, 250, 600, 256, 1, 255, 513, 0, 70_000):
        size = len(leaves)
        pushed = [os.urandom(32) for _ in range(count)]
        head = min(count, -size % 256)
        whole = (count - head) // 256
        monkeypatch.setattr(CompactTree, "extend", counted)
        root, rows = tiles.grow(StoredTree(memory, PRODUCTION, size), pushed)
        monkeypatch.undo()
        assert sum(extended) == count - whole * 256, (size, count)
        extended.clear()
        leaves.extend(pushed)
        assert root == MerkleTree(leaves).root()
        memory.add_tile_hashes(PRODUCTION, rows)


@pytest.mark.parametrize("height", [8, 2])
def test_a_stored_tree_reads_each_tile_once_and_takes_no_more_than_it_asked_for(
    height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiles are kept for the tree's life (a proof asks for many hashes of one tile); a store
    that answers with more tile hashes than asked for is cut to the range."""
    monkeypatch.setattr(tiles, "TILE_HEIGHT", height)
    monkeypatch.setattr(tiles, "TILE_WIDTH", 1 << height)
    reads: list[tuple[int, int, int]] = []

    class Generous(MemoryTiles):
        def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
            reads.append((0, start, end))
            return super().leaf_hashes(production, start, end)

        def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
            reads.append((level, start, end))
            return super().tile_hashes(production, level, start, end + 5)

    store = Generous()
    store.leaves[PRODUCTION] = [os.urandom(32) for _ in range(256 * 7 + 9)]
    extend_tiles(store, PRODUCTION, len(store.leaves[PRODUCTION]))
    reads.clear()
    memory = MerkleTree(store.leaves[PRODUCTION])
    for size in (256 * 3 + 1, 256 * 7 + 9, 101):
        tree = StoredTree(store, PRODUCTION, size)
        for index in {i for i in (0, 5, 30, size - 1, 255, 256 * 2) if i < size}:
            assert inclusion_proof(tree, index, size) == inclusion_proof(memory, index, size)
        assert tree.root() == memory.root(size) and tree.root(60) == memory.root(60)
        assert len(reads) == len(set(reads)), reads  # no tile read twice
        reads.clear()
        width = 1 << height
        end = size >> height  # level-1 hashes in the tree; the store holds more
        first = end - end % width
        assert tree.edge(1) == [
            memory.range_hash(i * width, (i + 1) * width) for i in range(first, end)
        ]
