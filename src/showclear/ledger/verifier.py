"""Offline verification of one production's ledger, independent of any database.

Input: the stored events in stored order as (seq, payload bytes, stored leaf hash), the signed
checkpoint notes (C2SP signed-note over a C2SP tlog-checkpoint body, see note.py and
checkpoint.py), the trusted verifier keys, and optionally a "witness" checkpoint saved
elsewhere (a studio server, a printed report) that this log must still extend.

Rules, applied in this order; the first problem found is reported:

1. Every checkpoint (and the witness) must carry a valid signature by a trusted key
   ("bad_signature", "unknown_key", "malformed").
2. For each event, RFC 9162 §2.1.1 leaf = SHA-256(0x00 || payload) is recomputed from the stored
   bytes, never from a re-serialisation, and must equal the stored leaf hash ("edited").
3. The payload's envelope "seq" must equal the event's position (1-based) and the stored seq
   column; a wrong seq is classified by looking at the rest of the log: a seq that is missing
   everywhere ("deleted"), the remaining seqs being a permutation ("reordered"), or a seq seen
   before or foreign to the log ("inserted").
4. Whenever the log reaches a checkpoint's size, the RFC 9162 root of the events so far must
   equal the checkpoint's root. On a mismatch the report names the first seq after the last
   checkpoint that still matched ("edited"): the stored hashes were recomputed, so the change
   lies somewhere between that seq and the failing checkpoint's size, and no finer position
   can be proven without the original bytes.
5. A checkpoint (or the witness) larger than the log means events were cut off the end
   ("truncated"; the first missing seq is named).

Events are checked in chunks (cut at checkpoint sizes): the chunk's leaves are recomputed in one
comprehension and compared with the stored ones as a list, seqs and productions are read with
one regex pass over the chunk, and the tree takes the chunk as whole perfect subtrees. A chunk
with anything unexpected in it is re-checked event by event (the full JSON parse being the
fallback for envelopes the byte-level reading does not recognise), so the problem reported and
its position are exactly those of checking one event at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
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

__all__ = ["EventRow", "LogReport", "ProblemKind", "verify_log"]

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
    checkpoints_verified: int = 0
    signers: tuple[str, ...] = ()
    witness_size: int | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    checkpoint: Checkpoint
    label: str


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
    checkpoints: Iterable[str],
    witness: str | None,
    trusted: Sequence[NoteVerifier],
    origin: str | None,
    signers: list[str],
) -> tuple[list[_Target], int | None]:
    """Open every checkpoint note, then the witness (rule 1): the targets and the witness size.

    Raises _Problem at the first note that does not open; `signers` collects each trusted name
    that signed, as the notes are opened.
    """
    notes = [(note, f"checkpoint {number}", False) for number, note in enumerate(checkpoints, 1)]
    if witness is not None:
        notes.append((witness, "the witness checkpoint", True))
    targets: list[_Target] = []
    witness_size = None
    for note, label, is_witness in notes:
        checkpoint, names = _open(note, label, trusted, origin)
        targets.append(_Target(checkpoint, label))
        signers.extend(name for name in names if name not in signers)
        if is_witness:
            witness_size = checkpoint.size
    return targets, witness_size


def _intact_message(size: int, verified: int, covered: int) -> str:
    message = f"{size} events intact; {verified} checkpoints verified"
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
        text = payload.decode("utf-8")
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
        missing_to = min((s for s in later if s > position), default=seq) - 1
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
) -> LogReport:
    """Verify one production's events against its signed checkpoints (see the module doc).

    `trusted` keys open both the checkpoints and the witness (so include the studio server's
    key to accept a witness it co-signed). `origin` (optional) is the log name every checkpoint
    must carry; `production` (optional) is the production every envelope must name.
    `progress(count)` is called every `progress_every` events and once at the end.
    """
    trusted_keys = [trusted] if isinstance(trusted, NoteVerifier) else list(trusted)
    tree = CompactTree()
    verified = 0
    signers: list[str] = []
    witness_size: int | None = None

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
        )

    targets: dict[int, list[_Target]] = {}
    try:
        opened, witness_size = _open_notes(checkpoints, witness, trusted_keys, origin, signers)
        for target in opened:
            targets.setdefault(target.checkpoint.size, []).append(target)
        last_matching = 0
        for target in targets.get(0, ()):
            if target.checkpoint.root_hash != EMPTY_ROOT:
                raise _Problem(
                    "edited", 1, f"{target.label} signs an empty log with a non-empty root"
                )
            verified += 1

        sha256 = hashlib.sha256
        prefix = LEAF_PREFIX
        tail_fields = _tail_fields
        # The production as it appears between the quotes of its canonical JSON string.
        wanted = canonical_bytes(production)[1:-1] if production is not None else b""
        chunk_tails = _tail_pattern(wanted).findall if production is not None else None
        append = tree.append
        rows = iter(events)
        size = 0
        # Checkpoint sizes end chunks, so every root is checked exactly where one event at a
        # time would check it: before any later event is read.
        stops = sorted(s for s in targets if s > 0)
        next_stop = 0

        def check_roots() -> None:
            nonlocal verified, last_matching
            root = tree.root()
            for target in targets[size]:
                if target.checkpoint.root_hash != root:
                    raise _Problem(
                        "edited",
                        last_matching + 1,
                        f"{target.label} (size {size}) does not match the log: events "
                        f"{last_matching + 1} to {size} were changed after it was signed "
                        "(their stored hashes were recomputed to hide it)",
                    )
                verified += 1
            last_matching = size

        while True:
            while next_stop < len(stops) and stops[next_stop] <= size:
                next_stop += 1
            limit = _CHUNK if next_stop == len(stops) else min(_CHUNK, stops[next_stop] - size)
            block = list(islice(rows, limit))
            if not block:
                break
            first = size + 1
            seqs, payloads, leaves = zip(*block, strict=True)
            # Fast path: the whole chunk checked with list comparisons. Anything that is not
            # plainly right (even a payload that only the full parse below would accept)
            # falls back to the event-by-event loop, which finds and names the first problem.
            if _plain_chunk(seqs, payloads, leaves, first, chunk_tails):
                size = tree.extend(leaves)
                # Progress and root checks in the order one event at a time makes them.
                if progress is not None:
                    for done in range(first + (-first % progress_every), size, progress_every):
                        progress(done)
                if size in targets:
                    check_roots()
                if progress is not None and size % progress_every == 0:
                    progress(size)
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
                size = append(stored_leaf)
                if size in targets:
                    check_roots()
                if progress is not None and size % progress_every == 0:
                    progress(size)
        if progress is not None:
            progress(size)

        beyond = [t for s, ts in targets.items() if s > size for t in ts]
        if beyond:
            largest = max(beyond, key=lambda t: t.checkpoint.size)
            raise _Problem(
                "truncated",
                size + 1,
                f"the log has {size} events, but {largest.label} was signed at "
                f"{largest.checkpoint.size} events: events {size + 1} to "
                f"{largest.checkpoint.size} were cut off",
            )
    except _Problem as problem:
        return report(problem)

    if not targets:
        message = (
            f"{size} events intact, but no signed checkpoint was given: "
            "truncation and rewritten hashes cannot be detected"
        )
    else:
        message = _intact_message(size, verified, max(targets))
    return report(None, message)
