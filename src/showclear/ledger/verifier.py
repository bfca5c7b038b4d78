"""Offline verification of one production's ledger, independent of any database.

Input: the stored events in stored order as (seq, payload bytes, stored leaf hash), the signed
checkpoint notes (C2SP signed-note over a C2SP tlog-checkpoint body, see note.py and
checkpoint.py), the trusted verifier keys, and optionally a "witness" checkpoint saved
elsewhere (a studio server, a printed report) that this log must still extend.

What is checked (the first problem found is reported):

1. For each event, RFC 9162 §2.1.1 leaf = SHA-256(0x00 || payload) is recomputed from the stored
   bytes, never from a re-serialisation, and must equal the stored leaf hash ("edited").
2. The payload's envelope "seq" must equal the event's position (1-based) and the stored seq
   column; a wrong seq is classified by looking at the rest of the log: a seq that is missing
   everywhere ("deleted"), the remaining seqs being a permutation ("reordered"), or a seq seen
   before or foreign to the log ("inserted").
3. Whenever the log reaches a checkpoint's size, the RFC 9162 root of the events so far must
   equal the root the checkpoint states. On a mismatch the report names the first seq after the
   last checkpoint that still matched ("edited"): the stored hashes were recomputed, so the
   change lies somewhere between that seq and the failing checkpoint's size, and no finer
   position can be proven without the original bytes.
4. A checkpoint (or the witness) larger than the log means events were cut off the end
   ("truncated"; the first missing seq is named).
5. Signatures ("bad_signature", "unknown_key", "malformed"): the newest checkpoint's and the
   witness's always; every checkpoint's with `deep=True`, or as soon as anything above fails.

Why the newest signature is enough for the events (the default): it commits this node to the
root of every event up to its size, and by SHA-256's collision resistance no other sequence of
events has that root. Every older checkpoint's root was recomputed from those same events (rule
3), so it is the root of a prefix of the signed tree: its own signature adds nothing about the
events. What only `deep` sees is a change to an older note that leaves its size and root alone
(its signature bytes, its time line). One Ed25519 verification costs 50-150 µs, so on a set,
which signs a checkpoint per command, checking them all costs about ten times the rest of the
verification. Whenever a problem is found, every signature is checked before it is reported,
so that a failure is always reported exactly as `deep` reports it (a bad signature first).

Events are checked in chunks: the chunk's leaves are recomputed in one comprehension and
compared with the stored ones as a list, seqs and productions are read with one regex pass over
the chunk, and the tree takes the chunk as whole perfect subtrees, or leaf by leaf with the root
at every checkpoint size inside it. A chunk with anything unexpected in it is re-checked event
by event (the full JSON parse being the fallback for envelopes the byte-level reading does not
recognise), so the problem reported and its position are exactly those of checking one event
at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
from binascii import b2a_base64
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any, Literal

from showclear.ledger.canonical import canonical_bytes
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.hashing import EMPTY_ROOT, LEAF_PREFIX
from showclear.ledger.merkle import CompactTree
from showclear.ledger.note import (
    BadSignatureError,
    NoteError,
    NoteVerifier,
    UnknownKeyError,
    open_checkpoint,
)

__all__ = ["EventRow", "LogReport", "ProblemKind", "coverage", "verify_log"]

ProblemKind = Literal[
    "edited",
    "deleted",
    "inserted",
    "reordered",
    "truncated",
    "bad_signature",
    "unknown_key",
    "malformed",
]

EventRow = tuple[int, bytes, bytes]
"""(stored seq, canonical payload bytes, stored leaf hash), in stored order."""


@dataclass(frozen=True, slots=True)
class LogReport:
    """The outcome of `verify_log`.

    On failure, `tree_size` and `root_hash` describe the prefix of events read before the
    problem (those before `first_bad_seq` passed their own checks, though a later checkpoint may
    still have shown them changed); on success they describe the whole log.
    """

    ok: bool
    tree_size: int
    root_hash: bytes
    first_bad_seq: int | None
    problem: ProblemKind | None
    message: str
    checkpoints_verified: int = 0  # checkpoints (and witness) whose root matched the events
    signers: tuple[str, ...] = ()
    witness_size: int | None = None
    signatures_verified: int = 0  # notes whose signature was checked, and passed
    deep: bool = False  # every signature was checked
    newest_size: int | None = None  # the newest checkpoint's tree size


Target = tuple[int, str, int]
"""(tree size, base64 root as the note states it, label number: 1-based note index, 0 for the
witness); a checkpoint the events are compared with."""


def _label(number: int) -> str:
    return f"checkpoint {number}" if number else "the witness checkpoint"


def _b64(root: bytes) -> str:
    return b2a_base64(root, newline=False).decode("ascii")


def fast_target(note: str, number: int, origin: str | None) -> Target | None:
    """The size and root a note states, read off its first lines without its signature.

    None unless the note starts with the origin (when given), a canonical decimal size and a
    44-character root: anything else is opened in full.
    """
    lines = note.split("\n", 3)
    if len(lines) < 4 or (origin is not None and lines[0] != origin) or len(lines[2]) != 44:
        return None
    size = lines[1]
    if not (size.isascii() and size.isdigit()) or (size[0] == "0" and len(size) > 1):
        return None
    return int(size), lines[2], number


class _Problem(Exception):
    def __init__(self, kind: ProblemKind, first_bad_seq: int | None, message: str) -> None:
        super().__init__(message)
        self.kind: ProblemKind = kind
        self.first_bad_seq = first_bad_seq
        self.message = message


def _open(
    note: str, label: str, trusted: Sequence[NoteVerifier], origin: str | None
) -> tuple[Checkpoint, list[str]]:
    try:
        checkpoint, names = open_checkpoint(note, trusted)
    except BadSignatureError as e:
        raise _Problem(
            "bad_signature", None, f"{label}: {e}; it was altered or forged after signing"
        ) from e
    except UnknownKeyError as e:
        raise _Problem("unknown_key", None, f"{label}: {e}") from e
    except NoteError as e:
        raise _Problem("malformed", None, f"{label}: {e}") from e
    if origin is not None and checkpoint.origin != origin:
        raise _Problem(
            "malformed",
            None,
            f"{label} is for log {checkpoint.origin!r}, not {origin!r}",
        )
    return checkpoint, names


def _open_notes(
    notes: Sequence[tuple[str, int]],
    trusted: Sequence[NoteVerifier],
    origin: str | None,
    signers: list[str],
) -> tuple[list[Target], int | None]:
    """Open each (note, number) in order (number 0: the witness): targets and witness size.

    Raises _Problem at the first note that does not open; `signers` collects each trusted name
    that signed, as the notes are opened.
    """
    targets: list[Target] = []
    witness_size = None
    for note, number in notes:
        checkpoint, names = _open(note, _label(number), trusted, origin)
        targets.append((checkpoint.size, _b64(checkpoint.root_hash), number))
        signers.extend(name for name in names if name not in signers)
        if number == 0:
            witness_size = checkpoint.size
    return targets, witness_size


def numbered(checkpoints: Sequence[str], witness: str | None) -> list[tuple[str, int]]:
    """Every note with its number, in the order signatures are checked: checkpoints, witness."""
    notes = [(note, number) for number, note in enumerate(checkpoints, 1)]
    return notes + ([(witness, 0)] if witness is not None else [])


def _plan(
    checkpoints: Sequence[str],
    witness: str | None,
    trusted: Sequence[NoteVerifier],
    origin: str | None,
    signers: list[str],
) -> tuple[list[Target], int | None, int]:
    """The default: every note read for its size and root, the newest and the witness opened.

    Returns the targets (sizes and roots to compare), the witness size and how many signatures
    were checked. Notes not shaped as `fast_target` expects are opened in full.
    """
    targets: list[Target] = []
    for number, note in enumerate(checkpoints, 1):
        target = fast_target(note, number, origin)
        if target is None:
            checkpoint, _ = _open(note, _label(number), trusted, origin)
            target = (checkpoint.size, _b64(checkpoint.root_hash), number)
        targets.append(target)
    newest = max((size for size, _, _ in targets), default=None)
    chosen = [(checkpoints[n - 1], n) for size, _, n in targets if size == newest]
    if witness is not None:
        chosen.append((witness, 0))
    opened, witness_size = _open_notes(chosen, trusted, origin, signers)
    # The opened notes' own reading replaces the quick one (they agree unless forged).
    by_number = {number: (size, root, number) for size, root, number in opened}
    targets = [by_number.get(number, (size, root, number)) for size, root, number in targets]
    if witness is not None:
        targets.append(by_number[0])
    return targets, witness_size, len(opened)


def _intact_message(size: int, verified: int, covered: int) -> str:
    message = f"{size} events intact; {verified} checkpoints match them"
    if covered < size:
        message += f"; events {covered + 1} to {size} are not yet covered by a checkpoint"
    return message


def _plain_chunk(
    seqs: Sequence[int],
    payloads: Sequence[bytes],
    leaves: Sequence[bytes],
    first: int,
    chunk_tails: Callable[[bytes], list[bytes]] | None,
) -> bool:
    """verify_log's fast path: whether rows at positions first, first+1, ... are plainly right.

    Leaves recomputed and compared as lists, the seq column equal to the positions, and each
    envelope's seq (and, with `chunk_tails`, its production) read off its tail: with one regex
    pass over the chunk (`_tail_pattern`), else one tail read per event.
    """
    positions = list(range(first, first + len(payloads)))
    if list(seqs) != positions:
        return False
    if chunk_tails is not None:
        joined = b"\n".join(payloads) + b"\n"
        if joined.count(b"\n") != len(payloads):
            return False
        if list(map(int, chunk_tails(joined))) != positions:
            return False
    else:
        tails = [_tail_fields(payload) for payload in payloads]
        if [t[0] if t is not None else None for t in tails] != positions:
            return False
    sha256 = hashlib.sha256
    return [sha256(LEAF_PREFIX + payload).digest() for payload in payloads] == list(leaves)


# Events are checked in chunks of this many (see verify_log's fast path).
_CHUNK = 4096

# Parsing dominates the per-event cost. raw_decode on a str skips json.loads' encoding
# sniffing and whitespace skipping, which canonical bytes (UTF-8, no whitespace, RFC 8785)
# never need; anything that relies on them is not canonical and is reported as malformed.
_raw_decode = json.JSONDecoder().raw_decode


# RFC 8785 sorts keys, so a canonical envelope always ends with its top-level
# production, seq, type and v, in that order, after "data". Inside a JSON string a quote is
# always escaped, and keys nested in "data" all come before the top-level "production", so the
# LAST `,"production":"` of a canonical envelope is the top-level one. Reading the tail exactly
# costs less than hashing; the full parse below stays the fallback for anything else.
_ENVELOPE_START = b'{"actor":'
_DIGITS = frozenset(b"0123456789")


def _tail_fields(payload: bytes) -> tuple[int, bytes] | None:
    """(seq, raw production bytes) read from a canonical envelope's tail, else None.

    Checks the exact shape `,"production":"P","seq":N,"type":"T","v":V}` at the end of the
    bytes, where P and T contain no unescaped quote (so no `","` inside them).
    """
    if not payload.startswith(_ENVELOPE_START) or not payload.endswith(b"}"):
        return None
    v = payload.rfind(b'","v":')
    t = payload.rfind(b',"type":"', 0, v)
    q = payload.rfind(b',"seq":', 0, t)
    p = payload.rfind(b',"production":"', 0, q)
    if p < 0 or payload[q - 1] != 0x22 or payload.find(b'","', p + 15, q - 1) >= 0:
        return None
    if payload.find(b'","', t + 9, v) >= 0:
        return None
    digits, version = payload[q + 7 : t], payload[v + 6 : -1]
    for number in (digits, version):
        if not number or not _DIGITS.issuperset(number) or (number[0] == 0x30 and len(number) > 1):
            return None
    if len(digits) > 18:
        return None
    return int(digits), payload[p + 15 : q - 1]


def _tail_pattern(wanted: bytes) -> re.Pattern[bytes]:
    """A regex whose `findall` over newline-terminated payloads yields each one's seq digits.

    It only matches a whole line shaped `{"actor":X,"production":"W","seq":N,"type":"T",
    "v":V}` with W the wanted production exactly, T free of quotes, and N, V canonical
    numbers. For such bytes `_tail_fields` returns (N, W): searching from the end it meets
    these very fields first, because T holds no quote, and W, being canonical JSON string
    content, never has a quote right after a comma (so neither `","` nor the production key).
    Payloads containing a newline are not canonical JSON: the caller counts the lines first.
    """
    return re.compile(
        rb'^\{"actor":[^\n]*,"production":"'
        + re.escape(wanted)
        + rb'","seq":([1-9][0-9]{0,17}),"type":"[^"\n]*","v":(?:0|[1-9][0-9]*)\}\n',
        re.MULTILINE,
    )


def _envelope_seq(payload: bytes) -> tuple[int, dict[str, Any]] | None:
    try:
        text = payload.decode()
        envelope, end = _raw_decode(text)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return None
    if end != len(text):
        return None
    if not isinstance(envelope, dict):
        return None
    seq = envelope.get("seq")
    # bool is an int subclass, and JSON true must not pass for seq 1.
    if type(seq) is not int:
        return None
    return seq, envelope


def _classify_wrong_seq(position: int, seq: int, rest: Iterator[EventRow]) -> _Problem:
    if seq < 1:
        return _Problem("malformed", position, f"event at position {position} has seq {seq}")
    if seq < position:
        # Every seq below `position` has already been seen in order, so this one is a copy.
        return _Problem(
            "inserted",
            position,
            f"event {seq} appears a second time, at position {position}",
        )
    later = [seq]
    for _, payload, _ in rest:
        parsed = _envelope_seq(payload)
        if parsed is not None:
            later.append(parsed[0])
    if sorted(later) == list(range(position, position + len(later))):
        return _Problem(
            "reordered",
            position,
            f"event {seq} is stored where event {position} belongs: "
            f"events from {position} on are out of order",
        )
    if position not in later:
        # Never empty: seq itself is in `later`, and seq > position here (seq != position).
        missing_to = min(s for s in later if s > position) - 1
        span = (
            f"event {position} is"
            if missing_to == position
            else (f"events {position} to {missing_to} are")
        )
        return _Problem("deleted", position, f"{span} missing from the log")
    return _Problem(
        "inserted",
        position,
        f"event {seq} at position {position} does not belong there: "
        f"event {position} comes later, so something was added before it",
    )


def _fast_chunk(
    tree: CompactTree,
    block: Sequence[EventRow],
    chunk_tails: Callable[[bytes], list[bytes]] | None,
    stops: Sequence[Target],
) -> CompactTree | None:
    """The tree extended by `block` when every row is plainly right and every root of `stops`
    (the targets whose sizes fall in the block, ascending) matches; else None."""
    seqs, payloads, leaves = zip(*block, strict=True)
    if not _plain_chunk(seqs, payloads, leaves, tree.size + 1, chunk_tails):
        return None
    new = tree.copy()
    if not stops:
        new.extend(leaves)
        return new
    sizes = [size for size, _, _ in stops]  # ascending; equal when a witness co-signs a checkpoint
    if len(set(sizes)) != len(sizes):
        sizes = sorted(set(sizes))
        roots = dict(zip(sizes, map(_b64, new.extend_with_roots(leaves, sizes)), strict=True))
        return new if all(roots[size] == root for size, root, _ in stops) else None
    computed = list(map(_b64, new.extend_with_roots(leaves, sizes)))
    return new if computed == [root for _, root, _ in stops] else None


def verify_log(
    events: Iterable[EventRow],
    checkpoints: Iterable[str],
    trusted: NoteVerifier | Iterable[NoteVerifier],
    *,
    witness: str | None = None,
    origin: str | None = None,
    production: str | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 4096,
    deep: bool = False,
) -> LogReport:
    """Verify one production's events against its signed checkpoints (see the module doc).

    `trusted` keys open both the checkpoints and the witness (so include the studio server's
    key to accept a witness it co-signed). `origin` (optional) is the log name every checkpoint
    must carry; `production` (optional) is the production every envelope must name.
    `progress(count)` is called every `progress_every` events and once at the end. `deep`
    checks every checkpoint's signature, not only the newest's and the witness's.
    """
    trusted_keys = [trusted] if isinstance(trusted, NoteVerifier) else list(trusted)
    notes = list(checkpoints)
    tree = CompactTree()
    verified = 0
    signers: list[str] = []
    signatures = 0
    witness_size: int | None = None
    newest: int | None = None

    def report(problem: _Problem | None, message: str = "") -> LogReport:
        return LogReport(
            ok=problem is None,
            tree_size=tree.size,
            root_hash=tree.root(),
            first_bad_seq=problem.first_bad_seq if problem else None,
            problem=problem.kind if problem else None,
            message=problem.message if problem else message,
            checkpoints_verified=verified,
            signers=tuple(signers),
            witness_size=witness_size,
            signatures_verified=signatures,
            deep=deep,
            newest_size=newest,
        )

    try:
        if deep:
            everything = numbered(notes, witness)
            opened, witness_size = _open_notes(everything, trusted_keys, origin, signers)
            signatures = len(opened)
        else:
            opened, witness_size, signatures = _plan(notes, witness, trusted_keys, origin, signers)
        targets = sorted(opened, key=lambda t: t[0])  # stable: equal sizes keep input order
        newest = max((s for s, _, n in targets if n), default=None)
        tree, verified = _scan(iter(events), targets, production, progress, progress_every)
    except _Problem as found:
        problem = found
        if not deep:
            # Before anything is reported, every signature: a failure reads as `deep` reads it.
            signers.clear()
            try:
                opened, _ = _open_notes(numbered(notes, witness), trusted_keys, origin, signers)
                signatures = len(opened)
            except _Problem as first:
                problem = first
                tree, verified, signatures = CompactTree(), 0, 0
                witness_size = newest = None
        if isinstance(problem, _ScanProblem):
            tree, verified = problem.tree, problem.verified
        return report(problem)

    size = tree.size
    if not targets:
        message = (
            f"{size} events intact, but no signed checkpoint was given: "
            "truncation and rewritten hashes cannot be detected"
        )
    else:
        message = _intact_message(size, verified, max(s for s, _, _ in targets))
    return report(None, message)


class _ScanProblem(_Problem):
    """A problem found in the events, with the tree and count as they stood when it was."""

    def __init__(self, problem: _Problem, tree: CompactTree, verified: int) -> None:
        super().__init__(problem.kind, problem.first_bad_seq, problem.message)
        self.tree = tree
        self.verified = verified


def _scan(
    rows: Iterator[EventRow],
    targets: Sequence[Target],
    production: str | None,
    progress: Callable[[int], None] | None,
    progress_every: int,
) -> tuple[CompactTree, int]:
    """Rules 1-4 over the rows: the final tree and how many targets matched.

    Raises _ScanProblem at the first problem (carrying the tree and count at that point).
    """
    tree = CompactTree()
    verified = 0
    last_matching = 0
    by_size: dict[int, list[Target]] = {}
    for target in targets:
        by_size.setdefault(target[0], []).append(target)

    def check_roots(size: int) -> None:
        nonlocal verified, last_matching
        root = _b64(tree.root())
        for _, expected, number in by_size[size]:
            if expected != root:
                span = (
                    f"event {size} was changed after it was signed"
                    if last_matching + 1 == size
                    else f"events {last_matching + 1} to {size} were changed after it was signed"
                )
                raise _Problem(
                    "edited",
                    last_matching + 1,
                    f"{_label(number)} (size {size}) does not match the log: {span} "
                    "(their stored hashes were recomputed to hide it)",
                )
            verified += 1
        last_matching = size

    try:
        if 0 in by_size:
            for _, expected, number in by_size[0]:
                if expected != _b64(EMPTY_ROOT):
                    raise _Problem(
                        "edited", 1, f"{_label(number)} signs an empty log with a non-empty root"
                    )
                verified += 1

        sha256 = hashlib.sha256
        prefix = LEAF_PREFIX
        tail_fields = _tail_fields
        # The production as it appears between the quotes of its canonical JSON string.
        wanted = canonical_bytes(production)[1:-1] if production is not None else b""
        chunk_tails = _tail_pattern(wanted).findall if production is not None else None
        positive = [t for t in targets if t[0] > 0]  # ascending by size
        next_target = 0
        size = 0
        while True:
            block = list(islice(rows, _CHUNK))
            if not block:
                break
            first = size + 1
            end = size + len(block)
            stop = next_target
            while stop < len(positive) and positive[stop][0] <= end:
                stop += 1
            # Fast path: the chunk's rows and every root inside it checked in bulk. Anything
            # not plainly right falls back to the event-by-event loop below, which finds and
            # names the first problem exactly as checking one event at a time would.
            fast = _fast_chunk(tree, block, chunk_tails, positive[next_target:stop])
            if fast is not None:
                tree, size = fast, end
                for size_at, _, _ in positive[next_target:stop]:
                    verified += 1
                    last_matching = size_at
                next_target = stop
                if progress is not None:
                    for done in range(first + (-first % progress_every), size + 1, progress_every):
                        progress(done)
                continue
            for index, (stored_seq, payload, stored_leaf) in enumerate(block):
                position = size + 1
                if sha256(prefix + payload).digest() != stored_leaf:
                    raise _Problem(
                        "edited",
                        position,
                        f"event {position} was changed: its bytes no longer match its stored hash",
                    )
                tail = tail_fields(payload)
                if tail is not None and (production is None or tail[1] == wanted):
                    seq = tail[0]
                    envelope = None
                else:
                    parsed = _envelope_seq(payload)
                    if parsed is None:
                        raise _Problem(
                            "malformed",
                            position,
                            f"event at position {position} is not a JSON event with an integer seq",
                        )
                    seq, envelope = parsed
                if seq != position:
                    raise _classify_wrong_seq(position, seq, chain(block[index + 1 :], rows))
                if stored_seq != seq:
                    raise _Problem(
                        "edited",
                        position,
                        f"event {seq} is filed under seq {stored_seq} in the store",
                    )
                if (
                    production is not None
                    and envelope is not None
                    and envelope.get("production") != production
                ):
                    raise _Problem(
                        "inserted",
                        position,
                        f"event {seq} belongs to production {envelope.get('production')!r}, "
                        f"not {production!r}",
                    )
                size = tree.append(stored_leaf)
                if size in by_size:
                    check_roots(size)
                if progress is not None and size % progress_every == 0:
                    progress(size)
            next_target = stop
        if progress is not None:
            progress(size)

        beyond = [t for t in targets if t[0] > size]
        if beyond:
            largest = max(beyond, key=lambda t: t[0])
            raise _Problem(
                "truncated",
                size + 1,
                f"the log has {size} events, but {_label(largest[2])} was signed at "
                f"{largest[0]} events: events {size + 1} to {largest[0]} were cut off",
            )
    except _ScanProblem:
        raise
    except _Problem as problem:
        raise _ScanProblem(problem, tree, verified) from None
    return tree, verified


def coverage(report: LogReport) -> str:
    """What `verify_log` checked on an intact log, and why that is enough, in plain words."""
    size = report.tree_size
    done = (
        f"Checked: every event's leaf hash recomputed from its stored bytes ({size:,} events), "
        "with its seq and production; "
        f"{report.checkpoints_verified:,} checkpoint roots against the tree recomputed at each "
        "one's size; "
    )
    if report.newest_size is None:
        return done + "no signature, as no checkpoint was given."
    if report.deep:
        return done + f"signatures: all {report.signatures_verified:,} (--deep)."
    signed = f"the newest checkpoint's (size {report.newest_size:,})"
    if report.witness_size is not None:
        signed += f" and the witness's (size {report.witness_size:,})"
    return (
        done + f"signatures: {signed}. Why that is enough: that signature commits the node to "
        f"the root of events 1 to {report.newest_size:,}, which no other events have; every "
        "older checkpoint's root was recomputed from those same events, so its own signature "
        "says nothing more about them. --deep also checks every older checkpoint's signature "
        "(it would show a note altered without changing its size or root)."
    )
