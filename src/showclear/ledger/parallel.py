"""`verify_log` on two cores, for long logs read from a store that can be opened twice.

The log is cut in two halves of about the same length; a forked process checks the second
half on the other core while this one checks the first. A range of leaves that starts
anywhere decomposes into aligned perfect subtrees (each 2**h leaves starting at a multiple of
2**h); the child reports, at each checkpoint size in its half, the roots of those subtrees, and
the parent pushes them onto its own Merkle frontier (`CompactTree.push_subtree`) exactly as if
it had appended the leaves one by one, then takes the RFC 9162 root.

Only a log where everything is plainly right takes this path: each half runs `verify_log`'s
own fast check (`_plain_chunk`: leaves recomputed and compared, seqs and productions read off
the payload tails, seq column equal to the position), and any doubt at all (a failed check,
a missing or extra row, a checkpoint that does not open or does not match, a fork that fails)
sends the whole log through `verify_log` in one process, which finds and names the first
problem exactly as it always does. This path can therefore only ever answer "intact", with the
same report `verify_log` would give.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from showclear.forking import flush_before_fork, fork_available, single_threaded
from showclear.ledger.canonical import canonical_bytes
from showclear.ledger.hashing import NODE_PREFIX
from showclear.ledger.merkle import CompactTree, _parent_level
from showclear.ledger.note import NoteVerifier
from showclear.ledger.verifier import (
    _CHUNK,
    EventRow,
    LogReport,
    _intact_message,
    _open_notes,
    _plain_chunk,
    _Problem,
    _tail_pattern,
    verify_log,
)

__all__ = ["PARALLEL_ABOVE", "RangeReader", "verify_log_parallel"]

# Below this many events one process is quick enough and a fork costs more than it saves.
PARALLEL_ABOVE = 65_536

RangeReader = Callable[[int, int | None], Iterable[EventRow]]
"""read(after_seq, up_to_seq or None): the rows with after_seq < seq [<= up_to_seq], in seq
order, from a reader of its own: one per half, each in its process, and one more for the
whole log if it has to be checked in one process."""


Blocks = list[tuple[int, bytes]]
"""Aligned perfect subtrees (height, root) covering a range of leaves, left to right."""


class _Range:
    """The aligned perfect subtrees of the leaves from `start` on, merged as far as they go."""

    def __init__(self, start: int) -> None:
        self.end = start
        self.blocks: Blocks = []

    def extend(self, leaves: Sequence[bytes]) -> None:
        # As CompactTree.extend: each run of leaves hashed level by level as the largest
        # aligned perfect subtree that fits, then merged with its left sibling if complete.
        done, count = 0, len(leaves)
        while done < count:
            end = self.end
            height = (count - done).bit_length() - 1
            if end:
                height = min(height, (end & -end).bit_length() - 1)
            level: Sequence[bytes] = leaves[done : done + (1 << height)]
            while len(level) > 1:
                level = _parent_level(level)
            self._push(level[0], height)
            done += 1 << height

    def _push(self, node: bytes, height: int) -> None:
        start = self.end
        self.end += 1 << height
        blocks = self.blocks
        # Two blocks of one height are siblings when the left one starts on a multiple of
        # twice their width; a range that does not start at 0 stops merging at its start.
        while blocks and blocks[-1][0] == height and (start - (1 << height)) % (2 << height) == 0:
            node = hashlib.sha256(NODE_PREFIX + blocks.pop()[1] + node).digest()
            start -= 1 << height
            height += 1
        blocks.append((height, node))


def _segment(
    rows: Iterable[EventRow],
    start: int,
    stops: Sequence[int],
    wanted: bytes,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, dict[int, Blocks]] | None:
    """Fast-check rows at positions start+1, ...; the range's blocks at each stop.

    `stops` are absolute sizes. Returns (rows checked, {stop: blocks of [start, stop)}), or
    None at the first thing that is not plainly right.
    """
    tails = _tail_pattern(wanted).findall
    covered = _Range(start)
    at_stops: dict[int, Blocks] = {}
    pending = sorted(set(stops))
    rows = iter(rows)
    while True:
        while pending and pending[0] <= covered.end:
            if pending[0] == covered.end:
                at_stops[covered.end] = list(covered.blocks)
            pending.pop(0)
        limit = min(_CHUNK, pending[0] - covered.end) if pending else _CHUNK
        block = list(islice(rows, limit))
        if not block:
            break
        seqs, payloads, leaves = zip(*block, strict=True)
        if not _plain_chunk(seqs, payloads, leaves, covered.end + 1, tails):
            return None
        covered.extend(leaves)
        if progress is not None:
            progress(covered.end)
    if pending:
        return None  # fewer rows than a checkpoint needs: truncated, say it in one process
    return covered.end - start, at_stops


def _can_fork() -> bool:
    return fork_available() and single_threaded()


def verify_log_parallel(
    read: RangeReader,
    count: int,
    checkpoints: Iterable[str],
    trusted: NoteVerifier | Iterable[NoteVerifier],
    *,
    witness: str | None = None,
    origin: str | None = None,
    production: str,
    progress: Callable[[int], None] | None = None,
) -> LogReport:
    """`verify_log` over the `count` rows `read` gives, using a second core when it can."""
    trusted_keys = [trusted] if isinstance(trusted, NoteVerifier) else list(trusted)
    notes = list(checkpoints)

    def one_process() -> LogReport:
        return verify_log(read(0, None), notes, trusted_keys, witness=witness, origin=origin,
                          production=production, progress=progress)  # fmt: skip

    if count <= PARALLEL_ABOVE or not _can_fork():
        return one_process()
    signers: list[str] = []
    try:
        opened, witness_size = _open_notes(notes, witness, trusted_keys, origin, signers)
    except _Problem:
        return one_process()
    targets = [(t.checkpoint.size, t.checkpoint.root_hash) for t in opened]
    sizes = sorted({size for size, _ in targets})
    if not sizes or sizes[0] < 1 or sizes[-1] > count:
        return one_process()
    # About half each, the cut on a chunk boundary.
    split = max(_CHUNK, count // 2 // _CHUNK * _CHUNK)
    wanted = canonical_bytes(production)[1:-1]
    right = _fork_segment(read, split, [s for s in sizes if s > split] + [count], wanted)
    # The other half runs at about the same pace: the bar moves twice the parent's rows.
    tick = (lambda done: progress(min(count, 2 * done))) if progress is not None else None
    try:
        left = _segment(read(0, split), 0, [s for s in sizes if s <= split] + [split], wanted, tick)
    except Exception:  # e.g. a hand-edited row of the wrong type: one process names it
        left = None
    right_result = right()
    if left is None or right_result is None:
        return one_process()
    (left_count, left_blocks), (right_count, right_blocks) = left, right_result
    if left_count != split or right_count != count - split:
        return one_process()

    def root_at(size: int) -> bytes:
        blocks = left_blocks[size] if size <= split else left_blocks[split] + right_blocks[size]
        tree = CompactTree()
        for height, node in blocks:
            tree.push_subtree(node, height)
        return tree.root()

    if any(root_at(size) != root for size, root in targets):
        return one_process()
    if progress is not None:
        progress(count)
    return LogReport(
        ok=True,
        tree_size=count,
        root_hash=root_at(count),
        first_bad_seq=None,
        problem=None,
        message=_intact_message(count, len(targets), sizes[-1]),
        checkpoints_verified=len(targets),
        signers=tuple(signers),
        witness_size=witness_size,
    )


def _fork_segment(
    read: RangeReader, split: int, stops: list[int], wanted: bytes
) -> Callable[[], tuple[int, dict[int, Blocks]] | None]:
    """Start checking the rows after `split` in a forked process; call the result to join."""
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe(duplex=False)

    def child() -> None:
        mine.close()
        try:
            theirs.send(_segment(read(split, None), split, stops, wanted))
        except BaseException:  # any failure: the parent re-checks in one process
            theirs.send(None)
        finally:
            theirs.close()

    flush_before_fork()
    # The collector walking every old object after the fork would copy each page it touches,
    # in both processes; frozen objects are left alone until join.
    gc.freeze()
    try:
        proc = ctx.Process(target=child, daemon=True)
        proc.start()
    except OSError:
        gc.unfreeze()
        mine.close()
        theirs.close()
        return lambda: None
    theirs.close()

    def join() -> tuple[int, dict[int, Blocks]] | None:
        try:
            result: Any = mine.recv()
        except (EOFError, OSError):
            result = None
        finally:
            mine.close()
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
            gc.unfreeze()
        return result  # type: ignore[no-any-return]

    return join
