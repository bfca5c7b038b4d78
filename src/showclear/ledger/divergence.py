"""Where two RFC 9162 trees of the same size first differ, asking the untrusted side for hashes.

The studio holds a tree it trusts (the candidate: what it accepted, plus what a node pushed)
and a node's signed root R of a tree of N leaves that is not the candidate's. It must name the
first leaf where they differ without believing anything the node says. The node's signature
commits it to exactly one tree of N leaves, so hashes the node sends that fold, together with
hashes the studio computes itself, into R are the node's true subtree hashes (anything else
would be a SHA-256 collision). That makes a bisection sound:

- a `Probe` asks the node for its hashes of the aligned subtrees, at most 2**height leaves each
  (256 of them or so), that cover the range [start, end) where the difference lies, plus the
  few subtree hashes that cover the rest of the tree to its right;
- `Descent.answer` folds the candidate's own frontier left of the range (equal to the node's:
  earlier rounds showed it), the node's hashes of the range and those of the right cover, and
  checks the result is R. Only then does it compare: the first of the node's subtrees that
  differs from the candidate's holds the first difference, since every subtree before it is
  equal, and the next probe asks inside it for subtrees 256 times smaller;
- a single leaf ends it: the first diverging leaf, exactly.

Three rounds of at most a few hundred hashes (about 10 KB) at a million leaves; sending the
leaf hashes of the whole range instead would cost 32 MB. Each round is checked against R on its
own, so a node that lies, or answers from damaged tiles, is caught in that round
(`EvidenceError`) and never moves the answer. The node answers from its stored tiles
(`answer_probe` over a `tiles.StoredTree`): a few reads per round.

Cheaper-looking alternatives fall short: comparing the pushed events with the studio's finds a
difference only inside the pushed range, not a rewrite before it (the usual fork: a node pushes
only what is new); comparing stored tiles a tile at a time is this bisection with a fixed
width and nothing binding the node's tiles to its signature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from showclear.ledger.hashing import HASH_SIZE
from showclear.ledger.merkle import CompactTree

__all__ = [
    "DESCENT_WIDTH_BITS",
    "MAX_PROBE_HASHES",
    "Candidate",
    "Descent",
    "EvidenceError",
    "Probe",
    "ProbeAnswer",
    "answer_probe",
    "cover",
    "find_divergence",
]

# Each round narrows the range 2**8 times: as wide as a C2SP tile.
DESCENT_WIDTH_BITS = 8
# What one probe may ask of a node, and one answer may carry: 256 subtrees, the alignment
# pieces at the range's end (at most one per bit of a 64-bit size) and the right cover (at most
# two per bit).
MAX_PROBE_HASHES = (1 << DESCENT_WIDTH_BITS) + 3 * 64


class EvidenceError(ValueError):
    """A probe is impossible, or a node's answer is malformed or not its signed history."""


def cover(start: int, end: int, cap: int | None = None) -> list[tuple[int, int]]:
    """Aligned perfect subtrees (first leaf, height) covering leaves [start, end), in order.

    Greedy: at each step the largest subtree aligned at the current leaf that fits (and is at
    most `cap` high), so from 0 it gives a tree's peaks, largest first.
    """
    pieces: list[tuple[int, int]] = []
    at = start
    while at < end:
        height = (end - at).bit_length() - 1
        if at:
            height = min(height, (at & -at).bit_length() - 1)
        if cap is not None:
            height = min(height, cap)
        pieces.append((at, height))
        at += 1 << height
    return pieces


@dataclass(frozen=True, slots=True)
class Probe:
    """Asks for the subtree hashes over leaves [start, end) of the tree of `size` leaves.

    `pieces()`: the aligned subtrees of at most 2**height leaves covering [start, end);
    `right()`: the aligned subtrees covering [end, size). Leaf i is event seq i + 1.
    """

    size: int
    start: int
    end: int
    height: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= self.size or not 0 <= self.height < 64:
            raise EvidenceError(
                f"impossible probe: leaves {self.start} to {self.end} of {self.size}, "
                f"height {self.height}"
            )
        # The width first: counting the pieces of a huge range would take as long as it is.
        too_wide = (self.end - self.start) >> self.height > 1 << DESCENT_WIDTH_BITS
        if too_wide or len(self.pieces()) + len(self.right()) > MAX_PROBE_HASHES:
            raise EvidenceError(f"a probe asks for at most {MAX_PROBE_HASHES} hashes")

    def pieces(self) -> list[tuple[int, int]]:
        return cover(self.start, self.end, self.height)

    def right(self) -> list[tuple[int, int]]:
        return cover(self.end, self.size)

    def as_json(self) -> dict[str, int]:
        return {"size": self.size, "start": self.start, "end": self.end, "height": self.height}

    @classmethod
    def from_json(cls, value: Any) -> Probe:
        """Parse a probe that came over the wire (hostile input)."""
        keys = ("size", "start", "end", "height")
        if not isinstance(value, dict) or set(value) != set(keys):
            raise EvidenceError("a probe is an object of size, start, end and height")
        numbers = [value[k] for k in keys]
        if any(type(n) is not int for n in numbers):
            raise EvidenceError("a probe's size, start, end and height are whole numbers")
        return cls(*numbers)


@dataclass(frozen=True, slots=True)
class ProbeAnswer:
    """The hashes for a probe's `pieces()` and `right()`, in order."""

    pieces: tuple[bytes, ...]
    right: tuple[bytes, ...]


class SubtreeHashes(Protocol):
    """The answering side's tree (a `tiles.StoredTree`, or a `merkle.MerkleTree`)."""

    @property
    def size(self) -> int: ...

    def range_hash(self, start: int, end: int) -> bytes: ...


def answer_probe(tree: SubtreeHashes, probe: Probe) -> ProbeAnswer:
    """The node's side: its hashes for `probe` (EvidenceError for a probe past its tree)."""
    if probe.size > tree.size:
        raise EvidenceError(f"the probe is for a tree of {probe.size}, this one has {tree.size}")

    def hashes(pieces: list[tuple[int, int]]) -> tuple[bytes, ...]:
        return tuple(tree.range_hash(at, at + (1 << height)) for at, height in pieces)

    return ProbeAnswer(hashes(probe.pieces()), hashes(probe.right()))


class Candidate(Protocol):
    """The trusted tree of a descent: the hash of any perfect subtree of its leaves."""

    def perfect(self, at: int, height: int) -> bytes:
        """MTH of leaves [at, at + 2**height)."""
        ...


class Descent:
    """The bisection between a trusted candidate tree and a signed tree (`size`, `root`).

    Ask the other side `probe`; `answer(...)` checks its reply against `root` and returns the
    first diverging leaf index once a single leaf is left (None: ask the new `probe`). Start one
    only when the candidate's root at `size` is not `root`.
    """

    def __init__(self, candidate: Candidate, size: int, root: bytes) -> None:
        self._candidate = candidate
        self.size = size
        self.root = root
        self.probe = Probe(size, 0, size, max(0, size.bit_length() - DESCENT_WIDTH_BITS))
        self.rounds = 0

    def answer(self, answer: ProbeAnswer) -> int | None:
        """Narrow with the answer to `probe`; the first diverging leaf index (0-based) at the
        end. Raises EvidenceError if the answer is not the signed tree's."""
        probe = self.probe
        pieces, right = probe.pieces(), probe.right()
        if len(answer.pieces) != len(pieces) or len(answer.right) != len(right):
            raise EvidenceError(
                f"the answer has {len(answer.pieces)} + {len(answer.right)} hashes, the probe "
                f"asked for {len(pieces)} + {len(right)}"
            )
        if any(len(h) != HASH_SIZE for h in (*answer.pieces, *answer.right)):
            raise EvidenceError(f"every hash in an answer is {HASH_SIZE} bytes")
        # Left of the range the signed tree equals the candidate (earlier rounds showed it), so
        # the candidate's own frontier stands there; the answer must complete it to the root.
        peaks = [self._candidate.perfect(at, height) for at, height in cover(0, probe.start)]
        tree = CompactTree.from_state(probe.start, peaks)
        hashes = [*answer.pieces, *answer.right]
        for (_, height), value in zip([*pieces, *right], hashes, strict=True):
            tree.push_subtree(value, height)
        if tree.root() != self.root:
            raise EvidenceError(
                "the subtree hashes sent do not fold into the signed root: they are not the "
                "signed history"
            )
        self.rounds += 1
        for (at, height), value in zip(pieces, answer.pieces, strict=True):
            if value == self._candidate.perfect(at, height):
                continue
            if height == 0:
                return at
            below = max(0, height - DESCENT_WIDTH_BITS)
            self.probe = Probe(probe.size, at, at + (1 << height), below)
            return None
        raise EvidenceError(
            "the subtree hashes sent equal the candidate's everywhere, yet the signed root "
            "differs: the answers contradict each other"
        )


def find_divergence(descent: Descent, ask: Callable[[Probe], ProbeAnswer]) -> int:
    """Run `descent` to its end, asking through `ask`; the first diverging leaf index."""
    while True:  # ends: each round narrows the range 256 times, or raises
        found = descent.answer(ask(descent.probe))
        if found is not None:
            return found
