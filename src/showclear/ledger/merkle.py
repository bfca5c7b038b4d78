"""RFC 9162 §2.1.1 Merkle Tree Hash (MTH) over leaf hashes.

Three shapes of the same tree, for three jobs:

- `tree_root(leaf_hashes)`: one root, computed level by level without recursion.
- `CompactTree`: the append-only frontier ("compact range") a writer keeps between commits. It
  holds only the roots of the perfect subtrees that cover the log (one per set bit of the size),
  so append and root are O(log n) and the whole state fits in a few hundred bytes.
- `MerkleTree`: every perfect subtree hash cached by level, so the root at any earlier size and
  the nodes that RFC 9162 §2.1.3/§2.1.4 proofs need are O(log n) list look-ups (see proof.py).

All of them take leaf hashes (SHA-256(0x00 || payload), see hashing.py), never payloads: the
store already keeps the leaf hash next to the canonical bytes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence

from showclear.ledger.hashing import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX

__all__ = ["CompactTree", "MerkleTree", "split_point", "tree_root"]

_sha256 = hashlib.sha256


def split_point(n: int) -> int:
    """RFC 9162 §2.1.1 `k`: the largest power of two strictly less than `n` (requires n >= 2)."""
    if n < 2:
        raise ValueError(f"no split point for a tree of {n} leaves")
    return 1 << ((n - 1).bit_length() - 1)


def _parent_level(level: Sequence[bytes]) -> list[bytes]:
    # Pairs only: an odd last node has no complete parent yet, and only complete (perfect)
    # subtrees are ever cached. A comprehension over sliced lists keeps the per-hash cost
    # close to raw SHA-256 (about 1 µs per node in CPython 3.11).
    prefix = NODE_PREFIX
    sha = _sha256
    return [
        sha(prefix + left + right).digest()
        for left, right in zip(level[0::2], level[1::2], strict=False)
    ]


def _fold(peaks: Sequence[bytes]) -> bytes:
    """MTH of a range from the roots of its perfect subtrees, given left (largest) to right."""
    # MTH(D[n]) = HASH(0x01 || MTH(first peak) || MTH(rest)): the largest power of two below n
    # is always the leftmost peak, so folding from the right reproduces the RFC recursion.
    result = peaks[-1]
    prefix = NODE_PREFIX
    for peak in reversed(peaks[:-1]):
        result = _sha256(prefix + peak + result).digest()
    return result


def _check_hash(value: bytes, what: str = "leaf hash") -> None:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH of the given leaf hashes; `EMPTY_ROOT` for an empty list."""
    if not leaf_hashes:
        return EMPTY_ROOT
    peaks_right_to_left: list[bytes] = []
    level: Sequence[bytes] = leaf_hashes
    while level:
        if len(level) & 1:
            peaks_right_to_left.append(level[-1])
        level = _parent_level(level)
    peaks_right_to_left.reverse()
    return _fold(peaks_right_to_left)


class CompactTree:
    """Append-only frontier of a Merkle tree: the perfect-subtree roots covering leaves [0, size).

    `hashes` are ordered left to right (largest subtree first); there is one per set bit of
    `size`. Serialise with `to_bytes()` (or `size` + `hashes`) and restore with `from_bytes()`
    (or `from_state()`).
    """

    __slots__ = ("_peaks", "_size")

    _HEADER = struct.Struct(">Q")

    def __init__(self) -> None:
        self._size = 0
        self._peaks: list[bytes] = []

    @classmethod
    def from_state(cls, size: int, hashes: Sequence[bytes]) -> CompactTree:
        """Restore a frontier saved from `size` and `hashes`; raises ValueError if inconsistent."""
        if size < 0:
            raise ValueError(f"tree size must not be negative, got {size}")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of {size} leaves has {size.bit_count()} frontier hashes, got {len(hashes)}"
            )
        for value in hashes:
            _check_hash(value, "frontier hash")
        tree = cls()
        tree._size = size
        tree._peaks = [bytes(value) for value in hashes]
        return tree

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactTree:
        """Inverse of `to_bytes()`."""
        if len(data) < cls._HEADER.size or (len(data) - cls._HEADER.size) % HASH_SIZE:
            raise ValueError(f"compact tree state has an impossible length ({len(data)} bytes)")
        (size,) = cls._HEADER.unpack_from(data)
        body = data[cls._HEADER.size :]
        hashes = [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]
        return cls.from_state(size, hashes)

    def to_bytes(self) -> bytes:
        """Big-endian uint64 size followed by the frontier hashes (8 + 32 * popcount(size))."""
        return self._HEADER.pack(self._size) + b"".join(self._peaks)

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._peaks)

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash; returns the new size. O(log n) worst case, O(1) amortised."""
        _check_hash(leaf_hash)
        self._append(leaf_hash)
        return self._size

    def _append(self, node: bytes) -> None:
        # Each trailing one bit of the old size is a perfect subtree of the same height as the
        # node being carried, so they merge exactly like a binary increment.
        size = self._size
        peaks = self._peaks
        prefix = NODE_PREFIX
        while size & 1:
            node = _sha256(prefix + peaks.pop() + node).digest()
            size >>= 1
        peaks.append(node)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append every leaf hash in order; returns the new size.

        Same result as appending one by one, but in bulk: the new leaves are cut into the
        aligned perfect subtrees they complete, each hashed level by level (one comprehension
        per level, see `_parent_level`) and then merged into the frontier as a single node.
        """
        leaves = leaf_hashes if isinstance(leaf_hashes, list) else list(leaf_hashes)
        for leaf_hash in leaves:
            if len(leaf_hash) != HASH_SIZE:
                _check_hash(leaf_hash)
        start = 0
        remaining = len(leaves)
        while remaining:
            size = self._size
            # The largest power of two that both divides the current size (so the subtree is
            # aligned in the final tree) and fits in what is left.
            height = remaining.bit_length() - 1
            if size:
                height = min(height, (size & -size).bit_length() - 1)
            width = 1 << height
            level: Sequence[bytes] = leaves[start : start + width]
            while len(level) > 1:
                level = _parent_level(level)
            self._push(level[0], height)
            start += width
            remaining -= width
        return self._size

    def extend_with_roots(self, leaf_hashes: Sequence[bytes], sizes: Sequence[int]) -> list[bytes]:
        """Append every leaf hash; return the root the tree had at each of `sizes`.

        `sizes` ascend, each within (old size, new size]. What verification needs when a log
        carries a checkpoint per event: a root after (nearly) every leaf. A root costs one hash
        per set bit of the size after the first, so sparse sizes are reached by bulk `extend`
        and dense ones by a single loop that appends and folds in place.
        """
        for leaf_hash in leaf_hashes:
            if len(leaf_hash) != HASH_SIZE:
                _check_hash(leaf_hash)
        old, new = self._size, self._size + len(leaf_hashes)
        if sizes and not old < sizes[0] <= sizes[-1] <= new:
            raise ValueError(f"sizes {sizes[0]}..{sizes[-1]} outside ({old}, {new}]")
        roots: list[bytes] = []
        if len(sizes) * 8 < len(leaf_hashes):
            done = old
            for size in sizes:
                self.extend(leaf_hashes[done - old : size - old])
                done = size
                roots.append(self.root())
            self.extend(leaf_hashes[done - old :])
            return roots
        sha = _sha256
        prefix = NODE_PREFIX
        # The peaks with the node prefix in front: one concatenation per hash instead of two.
        prefixed = [prefix + peak for peak in self._peaks]
        pop, push = prefixed.pop, prefixed.append
        size = old
        wanted = iter(sizes)
        want = next(wanted, -1)
        for node in leaf_hashes:
            carry = size
            while carry & 1:
                node = sha(pop() + node).digest()
                carry >>= 1
            push(prefix + node)
            size += 1
            if size == want:
                # _fold, inlined: the newest peak folded leftwards into the older ones.
                root = node
                for peak in prefixed[-2::-1]:
                    root = sha(peak + root).digest()
                roots.append(root)
                want = next(wanted, -1)
        self._peaks = [peak[1:] for peak in prefixed]
        self._size = size
        if len(roots) != len(sizes):
            raise ValueError("sizes must ascend without repeats")
        return roots

    def push_subtree(self, node: bytes, height: int) -> int:
        """Append a whole perfect subtree of 2**height leaves, given its root; the new size.

        The tree's size must be a multiple of 2**height, as it is for the aligned subtrees a
        range of the log decomposes into (see ledger/parallel.py).
        """
        _check_hash(node, "subtree hash")
        if self._size % (1 << height):
            raise ValueError(f"a subtree of height {height} cannot start at {self._size}")
        self._push(node, height)
        return self._size

    def _push(self, node: bytes, height: int) -> None:
        # A perfect subtree of 2**height leaves, appended at a size that is a multiple of
        # 2**height: a binary increment at bit `height` (the bits below it are all zero).
        size = self._size >> height
        peaks = self._peaks
        prefix = NODE_PREFIX
        while size & 1:
            node = _sha256(prefix + peaks.pop() + node).digest()
            size >>= 1
        peaks.append(node)
        self._size += 1 << height

    def root(self) -> bytes:
        """RFC 9162 §2.1.1 MTH of all leaves appended so far."""
        if not self._peaks:
            return EMPTY_ROOT
        return _fold(self._peaks)

    def copy(self) -> CompactTree:
        return CompactTree.from_state(self._size, self._peaks)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactTree):
            return NotImplemented
        return self._size == other._size and self._peaks == other._peaks

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CompactTree(size={self._size}, root={self.root().hex()})"


class MerkleTree:
    """A Merkle tree over leaf hashes, with every perfect subtree hash cached.

    `levels[h][i]` is the MTH of leaves [i * 2**h, (i + 1) * 2**h); only complete subtrees are
    stored, so the cache is at most n - 1 interior hashes on top of the n leaves. Building it
    costs one SHA-256 per interior node; after that any root at size <= n, and any subtree hash a
    proof needs, is at most log2(n) cached hashes folded together.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        leaves = list(leaf_hashes)
        for value in leaves:
            _check_hash(value)
        levels = [leaves]
        while len(levels[-1]) > 1:
            levels.append(_parent_level(levels[-1]))
        self._levels = levels

    @property
    def size(self) -> int:
        return len(self._levels[0])

    @property
    def levels(self) -> tuple[Sequence[bytes], ...]:
        """The cached levels, leaves first (read-only view for callers that persist them)."""
        return tuple(self._levels)

    def leaf(self, index: int) -> bytes:
        """The leaf hash at 0-based `index`."""
        if not 0 <= index < self.size:
            raise IndexError(f"leaf index {index} outside a tree of {self.size} leaves")
        return self._levels[0][index]

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash, updating the cached levels; returns the new size."""
        _check_hash(leaf_hash)
        levels = self._levels
        levels[0].append(leaf_hash)
        height = 0
        # A level that just became even has completed a new pair, hence a new parent.
        while len(levels[height]) % 2 == 0:
            level = levels[height]
            parent = _sha256(NODE_PREFIX + level[-2] + level[-1]).digest()
            if height + 1 == len(levels):
                levels.append([])
            levels[height + 1].append(parent)
            height += 1
        return self.size

    def extend(self, leaf_hashes: Iterable[bytes]) -> int:
        for leaf_hash in leaf_hashes:
            self.append(leaf_hash)
        return self.size

    def range_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end), for the ranges RFC 9162 proofs use.

        Precondition: `start` is a multiple of the largest power of two <= end - start (every
        subtree of the RFC 9162 tree of any size, which is what proofs ask for, satisfies it).
        """
        width = end - start
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) outside a tree of {self.size} leaves")
        if width == 0:
            return EMPTY_ROOT
        top = width.bit_length() - 1
        if start & ((1 << top) - 1):
            raise ValueError(f"range [{start}, {end}) is not a subtree of the Merkle tree")
        levels = self._levels
        peaks: list[bytes] = []
        position = start
        # Every set bit of the width, highest first, is one cached perfect subtree; `start`
        # stays aligned to each smaller power of two as it advances.
        for height in range(top, -1, -1):
            if width >> height & 1:
                peaks.append(levels[height][position >> height])
                position += 1 << height
        return _fold(peaks)

    def root(self, size: int | None = None) -> bytes:
        """RFC 9162 §2.1.1 MTH of the first `size` leaves (all of them by default)."""
        if size is None:
            size = self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} outside a tree of {self.size} leaves")
        return self.range_hash(0, size)

    def compact(self, size: int | None = None) -> CompactTree:
        """The frontier of the first `size` leaves, e.g. to hand to a writer that resumes."""
        if size is None:
            size = self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} outside a tree of {self.size} leaves")
        hashes: list[bytes] = []
        position = 0
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                hashes.append(self._levels[height][position >> height])
                position += 1 << height
        return CompactTree.from_state(size, hashes)

    def __repr__(self) -> str:
        return f"MerkleTree(size={self.size}, root={self.root().hex()})"
