"""A production's Merkle tree kept on disk as C2SP tlog-tiles hashes, and read back from them.

C2SP tlog-tiles (https://c2sp.org/tlog-tiles) cuts an RFC 9162 tree into tiles of height 8: the
tile at level L, index N, lists the hashes at tree height 8L of leaves [N * 256**(L+1), ...),
256 of them when complete. Level-0 tiles are the leaf hashes, which the store already keeps
beside each event; the tree state stored in addition is the hashes of tiles at levels >= 1: the
root of every complete aligned subtree of 256, 65,536, ... events. That is one hash per 255
events (3,921 at a million), written when a group of 256 events completes.

Any hash a proof needs is a perfect subtree of height h: it lies inside one tile (level h // 8)
and is the root of at most 128 of that tile's hashes. A proof at a million events touches at
most two tiles per level (its leaf's and the tree's right edge), so it costs a handful of reads
and a few hundred SHA-256s, never a rebuild. `StoredTree` answers from tiles; `extend_tiles`
stores the hashes the events now complete.

Crash consistency: the stored hashes are derived data, written after the events' commit in a
transaction of their own and keyed by (level, index), so a write is either whole or absent and
can be repeated. A crash between a commit and its tree update leaves hashes missing at the end;
`StoredTree` computes a missing hash from the level below (correct, only slower), and
`extend_tiles` (run by the ledger node on the next open and whenever the tree grows past a tile)
stores it. Nothing here is trusted for verification: `showclear verify` recomputes the tree from
the events, and a proof is checked against the signed root before it is handed out.

The persistence is the store's (`TileStore`, a port the SQLite store implements and a PostgreSQL
store can implement the same way); everything in this module is pure arithmetic over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.merkle import CompactTree, _fold, _parent_level

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "LeavesOnly",
    "StoredTree",
    "TileReader",
    "TileRow",
    "TileStore",
    "WithLeaves",
    "extend_tiles",
    "full_tile_counts",
    "grow",
    "missing_tiles",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # hashes in a complete tile

TileRow = tuple[int, int, bytes]
"""(tile level L >= 1, index i, hash): the MTH of leaves [i * 256**L, (i + 1) * 256**L)."""


class TileReader(Protocol):
    """What reading a production's stored tree needs from a store (a port).

    Indices are 0-based leaf (or tile-hash) positions; leaf index i is the event of seq i + 1.
    """

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        """The stored leaf hashes of leaves [start, end), in order (fewer if the log is shorter)."""
        ...

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        """The stored hashes at tile level `level` >= 1 with index in [start, end), in order,
        as far as they are stored without a gap from `start`."""
        ...


class TileStore(TileReader, Protocol):
    """What keeping a production's tree needs from a store (a port)."""

    def tile_counts(self, production: str) -> dict[int, int]:
        """How many hashes are stored at each tile level >= 1 (indices 0 to count - 1)."""
        ...

    def add_tile_hashes(self, production: str, rows: Sequence[TileRow]) -> None:
        """Store the rows durably, all in one transaction; rows already stored are kept."""
        ...


class LeavesOnly:
    """A store's leaves with its tile hashes hidden: every hash recomputed from the leaves.

    For when the stored tiles disagree with a signed root: slower, and right whatever the
    tiles table holds.
    """

    def __init__(self, store: TileReader) -> None:
        self._store = store

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        return self._store.leaf_hashes(production, start, end)

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        return []


class WithLeaves:
    """A store's tree with the leaf hashes from index `first` on held in memory: leaves just
    checked and about to be stored, so that `missing_tiles` can compute the tiles they
    complete before (and without reading back) the append that stores them."""

    def __init__(self, store: TileStore, first: int, leaves: Sequence[bytes]) -> None:
        self._store = store
        self._first = first
        self._leaves = leaves

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        first = self._first
        if start >= first:
            return list(self._leaves[start - first : end - first])
        stored = self._store.leaf_hashes(production, start, min(end, first))
        if len(stored) < first - start:  # the range ends before `first`, or the store does
            return stored
        return stored + list(self._leaves[: end - first])

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        return self._store.tile_hashes(production, level, start, end)

    def tile_counts(self, production: str) -> dict[int, int]:
        return self._store.tile_counts(production)

    def add_tile_hashes(self, production: str, rows: Sequence[TileRow]) -> None:
        self._store.add_tile_hashes(production, rows)


def _tile_levels(base: list[bytes]) -> list[list[bytes]]:
    """The hashes inside one tile: its base hashes, then each level of complete parents."""
    levels = [base]
    for _ in range(TILE_HEIGHT):
        base = _parent_level(base)
        levels.append(base)
    return levels


def _subtree_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a complete tile: 256 hashes hashed up 8 levels."""
    level: Sequence[bytes] = hashes
    while len(level) > 1:
        level = _parent_level(level)
    return level[0]


class StoredTree:
    """The RFC 9162 tree of a production's first `size` leaves, answered from stored tiles.

    Offers what proof.py needs (`size`, `range_hash`) and the roots and frontier a writer or a
    verifier needs. Tiles are read on first use and kept for the object's life: make one per
    question (a proof, a frontier), not one per process, since the log grows.
    """

    __slots__ = ("_production", "_size", "_store", "_tiles")

    def __init__(self, store: TileReader, production: str, size: int) -> None:
        if size < 0:
            raise ValueError(f"tree size must not be negative, got {size}")
        self._store = store
        self._production = production
        self._size = size
        self._tiles: dict[tuple[int, int], list[list[bytes]]] = {}

    @property
    def size(self) -> int:
        return self._size

    def _tile(self, level: int, index: int) -> list[list[bytes]]:
        """Tile (level, index), clipped to the hashes the tree of `size` leaves completes."""
        key = (level, index)
        tile = self._tiles.get(key)
        if tile is not None:
            return tile
        start = index << TILE_HEIGHT
        end = min(start + TILE_WIDTH, self._size >> (TILE_HEIGHT * level))
        if level == 0:
            base = self._store.leaf_hashes(self._production, start, end)
            if len(base) != end - start:
                raise ValueError(
                    f"production {self._production!r}: the store holds fewer than "
                    f"{self._size} events"
                )
        else:
            base = self._store.tile_hashes(self._production, level, start, end)[: end - start]
            # Not stored yet (a crash before the tree update, or an older store): each missing
            # hash is the root of a complete tile one level down.
            base.extend(
                self._tile(level - 1, i)[TILE_HEIGHT][0] for i in range(start + len(base), end)
            )
        tile = _tile_levels(base)
        self._tiles[key] = tile
        return tile

    def node(self, height: int, index: int) -> bytes:
        """MTH of the perfect subtree of leaves [index * 2**height, (index + 1) * 2**height)."""
        if height < 0 or index < 0 or (index + 1) << height > self._size:
            raise ValueError(
                f"no complete subtree of height {height} at {index} in a tree of {self._size}"
            )
        level, inside = divmod(height, TILE_HEIGHT)
        first = index << inside  # the subtree's first hash at the tile's base level
        tile = self._tile(level, first >> TILE_HEIGHT)
        return tile[inside][(first & (TILE_WIDTH - 1)) >> inside]

    def leaf(self, index: int) -> bytes:
        """The leaf hash at 0-based `index`."""
        if not 0 <= index < self._size:
            raise IndexError(f"leaf index {index} outside a tree of {self._size} leaves")
        return self.node(0, index)

    def _peaks(self, start: int, end: int) -> list[bytes]:
        # Every set bit of the width, highest first, is one perfect subtree; `start` stays
        # aligned to each smaller power of two as it advances (as MerkleTree.range_hash).
        peaks: list[bytes] = []
        width = end - start
        for height in reversed(range(width.bit_length())):
            if width >> height & 1:
                peaks.append(self.node(height, start >> height))
                start += 1 << height
        return peaks

    def range_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end), for the ranges RFC 9162 proofs use (see MerkleTree)."""
        if not 0 <= start <= end <= self._size:
            raise ValueError(f"range [{start}, {end}) outside a tree of {self._size} leaves")
        width = end - start
        if width == 0:
            return EMPTY_ROOT
        if start & ((1 << (width.bit_length() - 1)) - 1):
            raise ValueError(f"range [{start}, {end}) is not a subtree of the Merkle tree")
        return _fold(self._peaks(start, end))

    def root(self, size: int | None = None) -> bytes:
        """RFC 9162 MTH of the first `size` leaves (all of them by default)."""
        return self.range_hash(0, self._size if size is None else size)

    def edge(self, level: int) -> list[bytes]:
        """The hashes at tile level `level` (0: leaves) in the tile where the tree ends: the
        part of it the next leaves complete (empty when the tree ends on a tile's border)."""
        end = self._size >> (TILE_HEIGHT * level)
        if not end & (TILE_WIDTH - 1):
            return []
        return self._tile(level, end >> TILE_HEIGHT)[0]

    def compact(self, size: int | None = None) -> CompactTree:
        """The frontier of the first `size` leaves (all by default), to resume appending."""
        if size is None:
            size = self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} outside a tree of {self._size} leaves")
        return CompactTree.from_state(size, self._peaks(0, size))


def grow(tree: StoredTree, leaves: Sequence[bytes]) -> tuple[bytes, list[TileRow]]:
    """The root of `tree` with `leaves` appended, and the tile hashes (levels >= 1) those
    leaves complete, each hashed once for both: the root of a complete tile is also a perfect
    subtree of the grown tree, so the frontier takes it whole instead of hashing its leaves
    again. (A witness needs both for every push: the root to check against the signed one,
    the tiles to store.) Reads nothing but the edge of `tree` (`StoredTree.edge`)."""
    size = tree.size
    rows = _completed_tiles(tree, leaves)
    frontier = tree.compact()
    frontier.extend(leaves[: -size % TILE_WIDTH])  # up to the next tile's border
    for level, index, root in rows:
        if level == 1 and index << TILE_HEIGHT == frontier.size:
            frontier.push_subtree(root, TILE_HEIGHT)
    frontier.extend(leaves[frontier.size - size :])  # the part of a tile after the last whole one
    return frontier.root(), rows


def _completed_tiles(tree: StoredTree, leaves: Sequence[bytes]) -> list[TileRow]:
    """The tile hashes `leaves` complete when appended to `tree`, level by level: each level's
    edge in `tree` and the hashes new at that level, cut into whole tiles."""
    rows: list[TileRow] = []
    level, first, new = 0, tree.size, list(leaves)  # `new`: level's hashes from index `first`
    while True:
        hashes = tree.edge(level) + new  # from the start of the tile that holds `first`
        whole = len(hashes) >> TILE_HEIGHT
        if not whole:
            return rows
        new = [
            _subtree_root(hashes[i << TILE_HEIGHT : (i + 1) << TILE_HEIGHT]) for i in range(whole)
        ]
        level, first = level + 1, first >> TILE_HEIGHT  # that tile's index one level up
        rows.extend((level, first + i, h) for i, h in enumerate(new))


def full_tile_counts(size: int) -> dict[int, int]:
    """`TileStore.tile_counts` of a store that holds every tile hash of `size` leaves."""
    top = (size.bit_length() - 1) // TILE_HEIGHT  # the highest level with a complete tile
    return {level: size >> (TILE_HEIGHT * level) for level in range(1, top + 1)}


def missing_tiles(store: TileStore, production: str, size: int) -> list[TileRow]:
    """The tile hashes of the first `size` leaves that the store does not hold yet.

    Reads what it needs in bulk: the leaves (or lower tile hashes) under the missing tiles,
    a chunk of tiles at a time, so catching up a million-event store from nothing reads each
    leaf hash once.
    """
    counts = store.tile_counts(production)
    rows: list[TileRow] = []
    fresh: dict[int, tuple[int, list[bytes]]] = {}  # level -> (first index, hashes not stored)
    level = 1
    while (want := size >> (TILE_HEIGHT * level)) > 0:
        have = min(counts.get(level, 0), want)
        computed: list[bytes] = []
        chunk = 256  # tiles per read: 65,536 hashes of the level below at most
        for first in range(have, want, chunk):
            last = min(want, first + chunk)
            lo, hi = first << TILE_HEIGHT, last << TILE_HEIGHT
            below = _below(store, production, level - 1, lo, hi, fresh.get(level - 1))
            for i in range(last - first):
                computed.append(_subtree_root(below[i << TILE_HEIGHT : (i + 1) << TILE_HEIGHT]))
        fresh[level] = (have, computed)
        rows.extend((level, have + i, h) for i, h in enumerate(computed))
        level += 1
    return rows


def _below(
    store: TileReader,
    production: str,
    level: int,
    start: int,
    end: int,
    fresh: tuple[int, list[bytes]] | None,
) -> list[bytes]:
    """Hashes [start, end) at tile level `level` (0: leaves): stored, then computed just now."""
    if level == 0:
        got = store.leaf_hashes(production, start, end)
    else:
        got = store.tile_hashes(production, level, start, end)
    if fresh is not None:  # the rest, if any, from the hashes computed just now
        first, hashes = fresh
        have = start + len(got)
        if have >= first:  # else a gap in the stored hashes: refused below
            got.extend(hashes[have - first : end - first])
    if len(got) != end - start:
        raise ValueError(
            f"production {production!r}: hashes {start} to {end} of tile level {level} are "
            "neither stored nor computable"
        )
    return got


def extend_tiles(store: TileStore, production: str, size: int) -> int:
    """Store every tile hash the first `size` leaves complete that is not stored yet.

    One transaction; safe to repeat and to run from two processes at once (a row stored twice
    is kept once: it is the same hash). Returns how many rows were added.
    """
    rows = missing_tiles(store, production, size)
    if rows:
        store.add_tile_hashes(production, rows)
    return len(rows)
