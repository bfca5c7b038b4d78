"""`verify_log` on two cores, for long logs read from a store that can be opened twice.

The log is cut in two halves of about the same length; a forked process checks the second half
on the other core while this one checks the first. Each half is checked exactly as
`verify_log`'s fast path checks a chunk (`_fast_chunk`: leaves recomputed and compared, seqs
and productions read off the payload tails, the seq column equal to the position, and the root
at every checkpoint size in the half compared with the checkpoint's), so with a checkpoint per
event each process recomputes the roots of its own half's checkpoints.

The second half needs the Merkle frontier at the cut (the roots of the aligned subtrees that
cover the first half) before the first half has been checked. It takes it from the store's own
tree (`tiles.StoredTree`: a few reads), which proves nothing by itself; the first half, once
checked, yields the true frontier, and the two must be equal. Since the first half has just
shown every stored leaf hash equal to the one recomputed from its bytes, the stored tree and
the checked one agree exactly when the store's tiles are right.

Signatures: this process opens the newest checkpoint's note and the witness before the fork;
with `deep`, each half opens every note in its range as well.

Only a log where everything is plainly right takes this path; any doubt at all (a failed
check, a missing or extra row, a note that does not open, a stored tree that disagrees, a fork
that fails) sends the whole log through `verify_log` in one process, which finds and names the
first problem exactly as it always does. This path can therefore only ever answer "intact",
with the same report `verify_log` would give.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from showclear.forking import flush_before_fork, fork_available, single_threaded
from showclear.ledger.canonical import canonical_bytes
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.merkle import CompactTree
from showclear.ledger.note import NoteVerifier
from showclear.ledger.tiles import StoredTree
from showclear.ledger.verifier import (
    _CHUNK,
    EventRow,
    LogReport,
    Target,
    _b64,
    _fast_chunk,
    _intact_message,
    _open_notes,
    _Problem,
    _tail_pattern,
    fast_target,
    verify_log,
)

__all__ = ["PARALLEL_ABOVE", "LogSource", "verify_log_parallel"]

# Below this many events one process is quick enough and a fork costs more than it saves.
PARALLEL_ABOVE = 65_536

StoredNote = tuple[int, str]
"""(tree size as the store files it, signed note text)."""


class LogSource(Protocol):
    """One production's ledger as two-core verification reads it.

    Every method may be called in either process, so each must read through a connection of
    its own: one opened before the fork must not be used after it.
    """

    def rows(self, after: int, up_to: int | None) -> Iterable[EventRow]:
        """Rows with after < seq [<= up_to], in seq order."""
        ...

    def notes(self, above: int, up_to: int | None) -> list[StoredNote]:
        """Checkpoints filed with above < size [<= up_to], smallest first."""
        ...

    def newest(self) -> list[StoredNote]:
        """The checkpoints filed at the largest size (none when there are none)."""
        ...

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        """As `tiles.TileStore.leaf_hashes`: the stored tree, for the frontier at the cut."""
        ...

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        """As `tiles.TileStore.tile_hashes`."""
        ...


@dataclass(frozen=True, slots=True)
class _Half:
    """What checking one half found: the tree at its end, and what it checked on the way."""

    tree: CompactTree
    start: CompactTree  # the frontier it started from
    matched: int  # checkpoint roots that matched
    signers: tuple[str, ...]  # with deep: the trusted names that signed its notes
    signatures: int  # with deep: the notes it opened


def _targets(
    notes: Sequence[StoredNote],
    origin: str | None,
    deep: bool,
    trusted: Sequence[NoteVerifier],
    signers: list[str],
) -> list[Target] | None:
    """The notes' sizes and roots (opened in full with `deep`); None if any is not plain."""
    if deep:
        try:
            targets, _ = _open_notes([(n, i) for i, (_, n) in enumerate(notes, 1)], trusted,
                                     origin, signers)  # fmt: skip
        except _Problem:
            return None
    else:
        found = [fast_target(note, i, origin) for i, (_, note) in enumerate(notes, 1)]
        if None in found:
            return None
        targets = [t for t in found if t is not None]
    # A note must state the size it is filed under: anything else is for one process to name.
    if [t[0] for t in targets] != [size for size, _ in notes]:
        return None
    return targets


def _half(
    source: LogSource,
    start: int,
    end: int,
    frontier: CompactTree,
    extra: Sequence[Target],
    wanted: bytes,
    settings: tuple[str | None, bool, Sequence[NoteVerifier]],
    progress: Callable[[int], None] | None = None,
) -> _Half | None:
    """Fast-check rows start+1..end, the tree growing from `frontier` (the tree at `start`),
    against the checkpoints filed in (start, end] and the `extra` targets; None at any doubt."""
    origin, deep, trusted = settings
    signers: list[str] = []
    targets = _targets(source.notes(start, end), origin, deep, trusted, signers)
    if targets is None:
        return None
    targets = sorted([*targets, *extra], key=lambda t: t[0])
    tails = _tail_pattern(wanted).findall
    rows = iter(source.rows(start, end))
    tree, size, done = frontier, start, 0
    while size < end:
        block = list(islice(rows, min(_CHUNK, end - size)))
        if not block:
            return None  # fewer rows than the count: one process names what is missing
        first = done
        while done < len(targets) and targets[done][0] <= size + len(block):
            done += 1
        grown = _fast_chunk(tree, block, tails, targets[first:done])
        if grown is None:
            return None
        tree, size = grown, grown.size
        if progress is not None:
            progress(size - start)
    if done != len(targets):
        return None
    opened = len(targets) - len(extra) if deep else 0
    return _Half(tree, frontier, len(targets), tuple(signers), opened)


def _can_fork() -> bool:
    return fork_available() and single_threaded()


def verify_log_parallel(
    source: LogSource,
    count: int,
    trusted: NoteVerifier | Iterable[NoteVerifier],
    *,
    witness: str | None = None,
    origin: str | None = None,
    production: str,
    progress: Callable[[int], None] | None = None,
    deep: bool = False,
) -> LogReport:
    """`verify_log` over the `count` rows `source` gives, using a second core when it can."""
    trusted_keys = [trusted] if isinstance(trusted, NoteVerifier) else list(trusted)

    def one_process() -> LogReport:
        notes = [note for _, note in source.notes(-1, None)]
        return verify_log(source.rows(0, None), notes, trusted_keys, witness=witness,
                          origin=origin, production=production, progress=progress,
                          deep=deep)  # fmt: skip

    if count <= PARALLEL_ABOVE or not _can_fork():
        return one_process()
    newest = source.newest()
    if not newest or not 0 < newest[0][0] <= count:
        return one_process()
    signers: list[str] = []
    chosen = [(note, number) for number, (_, note) in enumerate(newest, 1)]
    if witness is not None:
        chosen.append((witness, 0))
    try:
        # As verify_log's default: the newest checkpoints' notes, then the witness.
        opened, witness_size = _open_notes(chosen, trusted_keys, origin, signers)
        witness_signers: list[str] = []
        if deep and witness is not None:
            _open_notes([(witness, 0)], trusted_keys, origin, witness_signers)
    except _Problem:
        return one_process()
    if {t[0] for t in opened if t[2]} != {newest[0][0]}:
        return one_process()
    if witness_size is not None and witness_size > count:
        return one_process()
    extra = [t for t in opened if t[2] == 0]  # the witness, checked like a checkpoint
    settings = (origin, deep, trusted_keys)
    zero = source.notes(-1, 0)
    zero_signers: list[str] = []
    zero_targets = _targets(zero, origin, deep, trusted_keys, zero_signers)
    if zero_targets is None:
        return one_process()
    empty = [*zero_targets, *(t for t in extra if t[0] == 0)]
    if any(root != _b64(EMPTY_ROOT) for _, root, _ in empty):
        return one_process()
    # About half each, the cut on a chunk boundary.
    split = max(_CHUNK, count // 2 // _CHUNK * _CHUNK)
    wanted = canonical_bytes(production)[1:-1]
    right_extra = [t for t in extra if t[0] > split]
    left_extra = [t for t in extra if 0 < t[0] <= split]

    def right_half() -> _Half | None:
        frontier = StoredTree(source, production, split).compact()
        return _half(source, split, count, frontier, right_extra, wanted, settings)

    join = _fork(right_half)
    # The other half runs at about the same pace: the bar moves twice the parent's rows.
    tick = (lambda done: progress(min(count, 2 * done))) if progress is not None else None
    try:
        left = _half(source, 0, split, CompactTree(), left_extra, wanted, settings, tick)
    except Exception:  # e.g. a hand-edited row of the wrong type: one process names it
        left = None
    right = join()
    if left is None or right is None or right.start != left.tree or right.tree.size != count:
        return one_process()
    if progress is not None:
        progress(count)
    if deep:
        signers = _merge(zero_signers, left.signers, right.signers, witness_signers)
        signatures = len(zero) + left.signatures + right.signatures + (witness is not None)
    else:
        signatures = len(opened)
    matched = len(empty) + left.matched + right.matched
    newest_size = newest[0][0]
    return LogReport(
        ok=True,
        tree_size=count,
        root_hash=right.tree.root(),
        first_bad_seq=None,
        problem=None,
        message=_intact_message(count, matched, max(newest_size, witness_size or 0)),
        checkpoints_verified=matched,
        signers=tuple(signers),
        witness_size=witness_size,
        signatures_verified=signatures,
        deep=deep,
        newest_size=newest_size,
    )


def _merge(*groups: Sequence[str]) -> list[str]:
    merged: list[str] = []
    for group in groups:
        merged.extend(name for name in group if name not in merged)
    return merged


def _fork(work: Callable[[], _Half | None]) -> Callable[[], _Half | None]:
    """Start `work` in a forked process; call the result to join and get its answer."""
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe(duplex=False)

    def child() -> None:
        mine.close()
        try:
            theirs.send(work())
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

    def join() -> _Half | None:
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
