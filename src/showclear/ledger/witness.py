"""The studio as a witness of a set node's ledger: checking a pushed range, and naming a fork.

A set node pushes one production's events the studio has not seen, with the checkpoint it
signed for the tree they complete and an RFC 9162 consistency proof from the last tree the studio
accepted. `check_push` decides, without I/O and without trusting the node in anything, whether
the studio stores the range and co-signs that checkpoint (C2SP tlog-cosignature, with the
studio's own key); the node then checks the co-signature before storing it
(`check_cosigned`).

What "accept" means. The studio holds the production's first A events (the tree it last
accepted, of root R_A) and their stored tree (`TileReader`). The push carries events f..N and
the node's signed checkpoint (N, R). The studio builds the tree it would hold after accepting:
its own first A leaves, then the pushed leaves past A (the candidate), and accepts only if

- the checkpoint opens with the node key enrolled for the production, for the origin
  ``<key name>/<production>``;
- the events are f..N without a gap, each a canonical envelope of this production and its own
  sequence number (the bytes are stored as sent, so what is stored is what was signed);
- f <= A + 1 (sequence continuity: a later range before an earlier one is refused, naming A + 1
  to push from), and every pushed event at or below A equals the studio's byte for byte (so a
  push is idempotent by production and sequence: a repeat or overlap changes nothing);
- the candidate's root at N equals R: every event's leaf is checked against the node's signed
  root, and the studio's own A leaves are the start of the node's signed tree;
- when N > A, the consistency proof from (A, R_A) to (N, R) verifies (as a C2SP witness
  requires; the root check above already implies consistency, so a failing proof is a broken
  node, refused too). A repeated push keeps the proof it was sent with, from a smaller A: for
  N <= A the studio's own leaves are the proof.

A push with N <= A that passes is a duplicate: nothing to store. At N = A the studio co-signs
again (the node may have missed the answer); below A it does not (its newest statement stands).

The first diverging position. When the candidate's root is not R, the node's signed tree
differs from the candidate somewhere, and the studio must say where without believing anything
the node says: `check_push` answers Investigate, whose descent (showclear.ledger.divergence, a
bisection over subtree hashes, each answer checked against the node's signed root) the studio
runs with the node. It ends at the first event where the node's signed history and the
candidate part: at or below A the node rewrote or forked history the studio had accepted
("forked"); above A, the history the studio holds is intact but a pushed event is not the one
the node signed ("tampered"). Either way nothing of the push is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import InitVar, dataclass
from typing import Any, Literal, NamedTuple

import orjson

from showclear.ledger.canonical import ENVELOPE_KEYS, all_canonical, is_canonical, leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.cosignature import (
    Cosignature,
    CosignatureVerifier,
    Cosigner,
    cosign_checkpoint,
    open_cosignatures,
)
from showclear.ledger.divergence import (
    Descent,
    EvidenceError,
    Probe,
    ProbeAnswer,
    find_divergence,
)
from showclear.ledger.hashing import EMPTY_ROOT, node_hash
from showclear.ledger.merkle import tree_root
from showclear.ledger.note import (
    BadSignatureError,
    NoteError,
    NoteVerifier,
    UnknownKeyError,
    open_checkpoint,
    open_note,
    parse_note,
)
from showclear.ledger.tiles import LeavesOnly, StoredTree, TileReader, TileRow, grow
from showclear.ledger.verify import ProofError, verify_consistency

__all__ = [
    "Accepted",
    "CheckedRange",
    "CosignatureRefused",
    "Investigate",
    "Push",
    "PushedEvent",
    "Refused",
    "StudioLedger",
    "StudioStateError",
    "bad_evidence_refusal",
    "check_cosigned",
    "check_push",
    "divergence_refusal",
    "settle",
]

RefusalReason = Literal[
    "malformed",  # the checkpoint note is not a signed checkpoint
    "unknown-key",  # not signed by the node enrolled for the production
    "bad-signature",  # signed by that key's name and ID, but the signature fails
    "wrong-origin",  # a checkpoint of another log or production
    "range",  # the events are not f..N without a gap, ending at the checkpoint's size
    "gap",  # the push starts after the first event the studio is missing
    "malformed-event",  # an event is not a canonical envelope of its production and seq
    "forked",  # the node's signed history differs from what the studio accepted
    "tampered",  # a pushed event is not the event the node signed
    "bad-consistency-proof",  # history is consistent, the node's proof of it is not
    "bad-evidence",  # the node's answer to a probe contradicts its own signed checkpoint
]


class StudioStateError(Exception):
    """The studio's own stored tree does not match the checkpoint it accepted: not the node's
    fault, and no push can be judged until `showclear verify` has found what changed."""


class CosignatureRefused(ValueError):
    """The studio's answer is not a valid co-signature of the checkpoint the node sent."""


@dataclass(frozen=True, slots=True)
class StudioLedger:
    """What the studio holds of one production: the tree it last accepted and its leaves."""

    production: str
    accepted_size: int
    accepted_root: bytes
    tree: TileReader  # the studio's stored leaves (and tiles) of the production


@dataclass(frozen=True, slots=True)
class Push:
    """One production's range as a node sends it."""

    production: str
    events: Sequence[tuple[int, bytes]]  # (seq, canonical payload), ascending
    checkpoint: str  # the node's signed note of the tree of its first N events
    consistency: Sequence[bytes]  # RFC 9162 proof from the studio's accepted size to N


class PushedEvent(NamedTuple):
    """A checked event, as the studio stores it (the payload exactly as sent and signed).

    A named tuple, not a frozen dataclass: a push makes a thousand of them, and a frozen
    dataclass's field-by-field `__init__` cost a twentieth of the studio's ingest."""

    seq: int
    payload: bytes
    leaf_hash: bytes
    type: str
    version: int
    actor: str
    at: str
    data: dict[str, Any]


_SEAL = object()  # only check_push holds it: see CheckedRange


@dataclass(frozen=True, slots=True)
class CheckedRange:
    """What a store writes for an accepted push: the events past the studio's `after` events,
    each read by `check_push` from its own canonical bytes (the envelope of this production
    and of its seq, which run `after` + 1 to `tree_size` without a gap; type, version, actor
    and time taken from those bytes), and the checkpoint of `tree_size` events the studio
    co-signed for them, with the tile hashes they complete (from the leaves just checked and
    the studio's stored tree, whose root is the one it accepted).

    A store may write these rows as they are, without parsing the bytes again: that check was
    made once, here. So only `check_push` makes one (the seal, which `dataclasses.replace`
    cannot carry over either); any other caller goes through the store's ordinary append,
    which writes or checks each envelope itself.
    """

    production: str
    after: int
    events: tuple[PushedEvent, ...]
    tree_size: int
    root_hash: bytes
    note: str  # the node's note with the studio's co-signature
    tiles: tuple[TileRow, ...]  # the tile hashes the events complete, from their leaf hashes
    seal: InitVar[object]

    def __post_init__(self, seal: object) -> None:
        if seal is not _SEAL:
            raise TypeError("a CheckedRange is made by check_push only")
        if not self.events or self.after + len(self.events) != self.tree_size:
            raise ValueError("a checked range holds the events after `after` up to its tree")


@dataclass(frozen=True, slots=True)
class Accepted:
    """Store `events` (those past the studio's accepted size) and `note` as the checkpoint."""

    production: str
    checkpoint: Checkpoint  # the node's, opened with its enrolled key
    events: tuple[PushedEvent, ...]
    note: str | None  # the node's note with the studio's co-signature; None below A
    cosignature: Cosignature | None
    duplicate: bool  # nothing new: the studio already held every pushed event
    checked: CheckedRange | None = None  # `events` and `note`, to store; None if no events

    @property
    def tree_size(self) -> int:
        return self.checkpoint.size


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing of the push is stored. `message` says what is wrong and what to do next."""

    production: str
    reason: RefusalReason
    message: str
    first_diverging: int | None = None  # seq: where the node's signed history parts
    resume_from: int | None = None  # seq the next push must start at ("gap")


@dataclass(frozen=True, slots=True)
class Investigate:
    """The node's signed tree is not the studio's candidate: find where with `settle`, or
    step by step, sending `descent.probe` to the node and `descent.answer`-ing its reply."""

    production: str
    checkpoint: Checkpoint  # the node's, opened with its enrolled key
    accepted_size: int
    descent: Descent
    # The same, with the studio's side recomputed from its leaves: run it before blaming the
    # node if `descent` raises EvidenceError (the studio's stored tiles may be what is wrong).
    leaves_only: Descent


class _Candidate:
    """The tree the studio would hold after accepting: its own first A leaves, then the
    pushed leaves past A (or only its first N leaves, when N <= A)."""

    def __init__(self, studio: StoredTree, size: int, pushed: Sequence[bytes]) -> None:
        """`studio`: the studio's tree of the accepted size A (it answers for any smaller one
        too); `pushed`: the leaf hashes of leaves A .. `size` - 1."""
        self.size = size
        self.held = min(studio.size, size)
        self._studio = studio
        self._pushed = pushed

    def perfect(self, at: int, height: int) -> bytes:
        """MTH of the perfect subtree of leaves [at, at + 2**height)."""
        end = at + (1 << height)
        if end <= self.held:
            return self._studio.node(height, at >> height)
        if at >= self.held:
            return tree_root(self._pushed[at - self.held : end - self.held])
        half = height - 1
        return node_hash(self.perfect(at, half), self.perfect(at + (1 << half), half))

    def root_and_tiles(self) -> tuple[bytes, list[TileRow]]:
        """The candidate's root, and the tile hashes the pushed leaves complete (hashed once
        for both)."""
        if self.size <= self.held:
            return self._studio.root(self.size), []
        return grow(self._studio, self._pushed)


def settle(investigate: Investigate, ask: Callable[[Probe], ProbeAnswer]) -> Refused:
    """Run the descent with the node through `ask`: the refusal naming the first diverging
    position, or "bad-evidence" when the node's answers are not its signed history."""
    try:
        found = find_divergence(investigate.descent, ask)
    except EvidenceError:
        try:
            found = find_divergence(investigate.leaves_only, ask)
        except EvidenceError as e:
            return bad_evidence_refusal(investigate.production, e)
    return divergence_refusal(investigate, found)


def bad_evidence_refusal(production: str, e: EvidenceError) -> Refused:
    return Refused(
        production,
        "bad-evidence",
        f"production {production!r}: the node's signed checkpoint does not match the "
        f"events it pushed, and its answer when asked where they part is not its signed "
        f"history ({e}); nothing was stored. Run `showclear verify` on the node",
    )


def divergence_refusal(investigate: Investigate, leaf_index: int) -> Refused:
    """The refusal that names the first diverging position a descent found."""
    production = investigate.production
    seq = leaf_index + 1
    accepted = investigate.accepted_size
    if seq <= accepted:
        return Refused(
            production,
            "forked",
            f"production {production!r}: the node's signed history differs from the one the "
            f"studio accepted, first at event {seq} (the studio accepted {accepted} events). "
            "The set's record was rewritten or forked; nothing of this push was stored. "
            f"Compare the node's event {seq} with the studio's before the set goes on",
            first_diverging=seq,
        )
    return Refused(
        production,
        "tampered",
        f"production {production!r}: pushed event {seq} is not the event the node signed "
        f"(its checkpoint of {investigate.checkpoint.size} events says otherwise); nothing of "
        "this push was stored. Run `showclear verify` on the node, then push again",
        first_diverging=seq,
    )


# -- the studio's check of a push ----------------------------------------------------------------


def _refuse(push: Push, reason: RefusalReason, message: str, **extra: int | None) -> Refused:
    return Refused(push.production, reason, f"production {push.production!r}: {message}", **extra)


def _open_checkpoint(push: Push, node_key: NoteVerifier) -> Checkpoint | Refused:
    key = f"{node_key.name}+{node_key.key_id.hex()}"
    try:
        checkpoint, _ = open_checkpoint(push.checkpoint, node_key)
    except UnknownKeyError as e:
        return _refuse(
            push,
            "unknown-key",
            f"the checkpoint is not signed by {key}, the node enrolled to write this production "
            f"({e}). Push from the node that holds the production, or move the writer first",
        )
    except BadSignatureError:
        return _refuse(
            push,
            "bad-signature",
            f"the checkpoint's signature by {key} does not verify: it was altered after "
            "signing, or forged. Nothing was stored; run `showclear verify` on the node",
        )
    except NoteError as e:
        return _refuse(push, "malformed", f"the checkpoint is not a signed checkpoint: {e}")
    origin = f"{node_key.name}/{push.production}"
    if checkpoint.origin != origin:
        return _refuse(
            push,
            "wrong-origin",
            f"the checkpoint is for {checkpoint.origin!r}, not {origin!r}: push each "
            "production with its own checkpoint",
        )
    return checkpoint


def _parse_event(production: str, seq: int, payload: bytes) -> PushedEvent | str:
    """The event, or what is wrong with it."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as e:
        return f"is not JSON ({e})"
    fields = _envelope_fields(production, seq, value)
    if isinstance(fields, str):
        return fields
    try:
        canonical = is_canonical(value, payload)
    except (ValueError, RecursionError) as e:  # a number JSON cannot carry exactly, say
        return f"cannot be written in canonical form (RFC 8785): {e}"
    if not canonical:
        return "is not in canonical form (RFC 8785)"
    return PushedEvent(seq, payload, leaf_hash(payload), *fields)


_Fields = tuple[str, int, str, str, dict[str, Any]]
_ENVELOPE_KEYS = frozenset(ENVELOPE_KEYS)


def _envelope_fields(production: str, seq: int, value: Any) -> _Fields | str:
    """(type, v, actor, at, data) of an envelope of event `seq` of `production`, or what is
    wrong with it."""
    if not isinstance(value, dict) or value.keys() != _ENVELOPE_KEYS:
        return f"is not an event envelope (keys {', '.join(ENVELOPE_KEYS)})"
    fields = (value["type"], value["v"], value["actor"], value["at"], value["data"])
    if value["production"] != production:
        return f"names production {value['production']!r}, not {production!r}"
    if type(value["seq"]) is not int or value["seq"] != seq:
        return f"says it is event {value['seq']!r}"
    if not (
        isinstance(fields[0], str)
        and type(fields[1]) is int
        and isinstance(fields[2], str)
        and isinstance(fields[3], str)
        and isinstance(fields[4], dict)
    ):
        return "has a field of the wrong type (type, actor and at are text, v a number)"
    if not 1 <= fields[1] <= MAX_EVENT_VERSION:
        return f"has version {fields[1]}, where an event's version runs 1 to {MAX_EVENT_VERSION}"
    if "\x00" in fields[0] or "\x00" in fields[2] or "\x00" in fields[3]:
        return "holds a NUL character in its type, actor or time"
    return fields


# Besides its bytes, the studio stores an event's version as a 4-byte integer and its type,
# actor and time as text, which PostgreSQL cannot hold with a NUL in it. No ShowClear node
# writes either; a push holding one is refused at that event (the node's operator must look),
# where the database's refusal read as "try again later", and a node's sync retried forever.
MAX_EVENT_VERSION = 2**31 - 1
_ESCAPED_NUL = b"\\u0000"  # how canonical JSON writes a NUL character


def _plain_fields(production: str, seq: int, value: Any) -> _Fields | None:
    """`_envelope_fields` for the whole-push reading: None where that one names a fault
    (`_parse_plain` has sent any push holding a NUL the slower way).

    Faster, and right only for an envelope that `all_canonical` then passes: its keys are in
    sorted order, so the values come out in that order without a look-up each."""
    if type(value) is not dict or tuple(value) != _SORTED_KEYS:
        return None
    actor, at, data, named, number, kind, version = value.values()
    if not (
        named == production
        and type(number) is int
        and number == seq
        and type(kind) is str
        and type(version) is int
        and 1 <= version <= MAX_EVENT_VERSION
        and type(actor) is str
        and type(at) is str
        and type(data) is dict
    ):
        return None
    return kind, version, actor, at, data


_SORTED_KEYS = tuple(sorted(ENVELOPE_KEYS))


def _parse_plain(production: str, rows: Sequence[tuple[int, bytes]]) -> list[PushedEvent] | None:
    """Every pushed event, checked as `_parse_event` checks it but canonical form tested for
    the whole push at once (`all_canonical`); None when any event needs a closer look."""
    payloads: list[bytes] = []
    values = []
    checked: list[tuple[int, bytes, _Fields]] = []
    loads = orjson.loads
    for seq, sent in rows:
        payload = bytes(sent)
        if _ESCAPED_NUL in payload:
            return None  # a NUL in its data is fine; `_envelope_fields` looks where it is not
        try:
            value = loads(payload)
        except orjson.JSONDecodeError:
            return None
        fields = _plain_fields(production, seq, value)
        if fields is None:
            return None
        payloads.append(payload)
        values.append(value)
        checked.append((seq, payload, fields))
    if not all_canonical(values, payloads):
        return None
    return [
        PushedEvent(seq, payload, leaf_hash(payload), *fields) for seq, payload, fields in checked
    ]


def _parse_events(production: str, push: Push) -> list[PushedEvent] | Refused:
    """The pushed events, checked; else the refusal naming the first one that is wrong (the
    slower event-by-event reading, when the whole-push one is not conclusive)."""
    plain = _parse_plain(production, push.events)
    if plain is not None:
        return plain
    events: list[PushedEvent] = []
    for seq, payload in push.events:
        parsed = _parse_event(production, seq, bytes(payload))
        if isinstance(parsed, str):
            return _refuse(
                push,
                "malformed-event",
                f"pushed event {seq} {parsed}; nothing was stored. Run `showclear verify` on "
                "the node",
            )
        events.append(parsed)
    return events


def _held(ledger: StudioLedger) -> StoredTree:
    """The studio's stored tree of the accepted size if it gives the accepted root; else the
    tree of its leaves alone, if they do (damaged tiles: slower, still right); else
    StudioStateError. The hashes read for the check are kept for the candidate."""
    for reader in (ledger.tree, LeavesOnly(ledger.tree)):
        tree = StoredTree(reader, ledger.production, ledger.accepted_size)
        try:
            root = tree.root()
        except ValueError:
            continue  # fewer events stored than accepted
        if root == ledger.accepted_root:
            return tree
    raise StudioStateError(
        f"production {ledger.production!r}: the studio's stored events no longer give the root "
        f"it accepted at {ledger.accepted_size} events; run `showclear verify` on the studio's "
        "store"
    )


def check_push(
    ledger: StudioLedger,
    push: Push,
    node_key: NoteVerifier,
    cosigner: Cosigner,
    timestamp: int,
) -> Accepted | Refused | Investigate:
    """Judge one pushed range (see the module docstring); `timestamp` dates the co-signature.

    Investigate: the candidate's root is not the node's signed root; `settle` it with the node
    to name the first diverging position.
    Raises StudioStateError when the studio's own stored tree is not the tree it accepted.
    """
    production = push.production
    if production != ledger.production:
        raise ValueError(f"push for {production!r} judged against {ledger.production!r}")
    accepted = ledger.accepted_size
    accepted_tree = _held(ledger)

    opened = _open_checkpoint(push, node_key)
    if isinstance(opened, Refused):
        return opened
    checkpoint, size = opened, opened.size
    if size == 0 and checkpoint.root_hash != EMPTY_ROOT:
        return _refuse(push, "malformed", "a checkpoint of 0 events must have the empty root")

    seqs = [seq for seq, _ in push.events]
    first = seqs[0] if seqs else size + 1
    if seqs != list(range(first, size + 1)) or first < 1 or (not seqs and size > accepted):
        shown = f"{seqs[0]} to {seqs[-1]}" if seqs else "no events"
        # A push cut short (its events stop before the tree it signed): name the first missing.
        cut = seqs and seqs == list(range(first, seqs[-1] + 1)) and seqs[-1] < size
        return _refuse(
            push,
            "range",
            f"the push must carry events without a gap up to the checkpoint's {size}; it "
            f"carries {shown}. Push every event after the studio's {accepted}",
            resume_from=accepted + 1,
            first_diverging=seqs[-1] + 1 if cut else None,
        )
    if first > accepted + 1:
        return _refuse(
            push,
            "gap",
            f"the studio holds events 1 to {accepted}; this push starts at event {first}. "
            f"Push from event {accepted + 1} first",
            resume_from=accepted + 1,
        )

    events = _parse_events(production, push)
    if isinstance(events, Refused):
        return events

    # Idempotency: what the studio already holds must come back byte for byte.
    overlap_end = min(size, accepted)
    overlap = [e.leaf_hash for e in events if e.seq <= overlap_end]
    held_leaves = ledger.tree.leaf_hashes(production, first - 1, overlap_end) if overlap else []
    if len(held_leaves) != len(overlap):
        raise StudioStateError(
            f"production {production!r}: the studio holds fewer than {accepted} events"
        )
    changed = [first + i for i, ours in enumerate(overlap) if ours != held_leaves[i]]

    new = [e for e in events if e.seq > accepted]
    pushed = [e.leaf_hash for e in new]
    candidate = _Candidate(accepted_tree, size, pushed)
    root, tiles = candidate.root_and_tiles()
    if root != checkpoint.root_hash:
        descent = Descent(candidate, size, checkpoint.root_hash)
        recomputed = StoredTree(LeavesOnly(ledger.tree), production, accepted)
        leaves_only = Descent(_Candidate(recomputed, size, pushed), size, checkpoint.root_hash)
        return Investigate(production, checkpoint, accepted, descent, leaves_only)
    if changed:
        # The node signed the studio's history, yet pushed other bytes for an event of it.
        return _refuse(
            push,
            "tampered",
            f"pushed event {changed[0]} differs from the event {changed[0]} the studio holds "
            "and the node signed; nothing was stored. Run `showclear verify` on the node",
            first_diverging=changed[0],
        )
    if size > accepted:  # a tree the studio holds already was checked leaf by leaf above
        try:
            verify_consistency(
                accepted, size, ledger.accepted_root, checkpoint.root_hash, push.consistency
            )
        except ProofError as e:
            return _refuse(
                push,
                "bad-consistency-proof",
                f"the consistency proof from the studio's {accepted} events to {size} does not "
                f"verify ({e}), although the events do; nothing was stored. Push again; if it "
                "keeps failing, the node's ledger code is at fault",
            )
    if size < accepted:
        return Accepted(production, checkpoint, (), None, None, duplicate=True)
    # Stored as the node's signature and the studio's, whatever other lines came with it.
    body, signatures = parse_note(push.checkpoint)
    mine = [s for s in signatures if (s.name, s.key_id) == (node_key.name, node_key.key_id)]
    note = cosign_checkpoint(body + "\n" + mine[0].line(), cosigner, timestamp)
    _, (_, added) = parse_note(note)  # the node's line, then the studio's
    cosignature = Cosignature.from_note_signature(added)
    stored = tuple(new)
    checked = (
        CheckedRange(
            production, accepted, stored, size, checkpoint.root_hash, note, tuple(tiles), _SEAL
        )
        if stored
        else None
    )
    return Accepted(production, checkpoint, stored, note, cosignature, not stored, checked)


# -- the node's check of the studio's answer ----------------------------------------------------


def check_cosigned(
    sent: str,
    returned: str,
    node_key: NoteVerifier,
    studio_key: CosignatureVerifier,
    *,
    not_after: int,
) -> tuple[str, Cosignature]:
    """The node's side: `returned` is the checkpoint it `sent`, co-signed by the studio.

    Returns the note to store (the node's own signature and the studio's) and the studio's
    co-signature; raises CosignatureRefused otherwise. `not_after`: the latest acceptable
    co-signature time (the node's clock plus the skew it tolerates).
    """
    try:
        sent_body, _ = parse_note(sent)
        body, _ = open_note(returned, node_key)
    except NoteError as e:
        raise CosignatureRefused(
            f"the studio's answer does not carry this node's signature: {e}"
        ) from e
    if body != sent_body:
        raise CosignatureRefused("the studio co-signed another checkpoint than the one sent")
    try:
        _, cosignatures = open_cosignatures(returned, studio_key, not_after=not_after)
    except NoteError as e:
        raise CosignatureRefused(f"the studio's co-signature does not verify: {e}") from e
    if not cosignatures:
        raise CosignatureRefused(
            f"the answer carries no co-signature by {studio_key.name}+{studio_key.key_id.hex()}, "
            "the studio this node trusts"
        )
    return returned, cosignatures[0]
