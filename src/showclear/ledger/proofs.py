"""Inclusion and consistency proofs of a stored production against its newest signed checkpoint.

What `showclear proof` prints and what the studio's sync asks for, through one path: the proof
nodes come from the stored tiles (`tiles.StoredTree`: a few reads at any log size, no rebuild),
then the proof is checked against the root the checkpoint's note signs before it is handed out.
If the stored tiles disagree with the signed root (a damaged tiles table), the proof is worked
out again from the leaf hashes alone; if that disagrees too, the events themselves no longer
match what was signed, and `StoredProofError` says to run `showclear verify`.

The documents (``showclear-inclusion-proof/1``, ``showclear-consistency-proof/1``) carry the
signed checkpoint note, so a holder checks them offline with the node's public key alone
(`check_proof_document`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from showclear.ledger.canonical import leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.note import (
    BadSignatureError,
    NoteError,
    NoteVerifier,
    UnknownKeyError,
    open_checkpoint,
    parse_note,
)
from showclear.ledger.proof import consistency_proof, inclusion_proof
from showclear.ledger.tiles import LeavesOnly, StoredTree, TileReader
from showclear.ledger.verify import (
    ProofError,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "ConsistencyProof",
    "InclusionProof",
    "OutsideTreeError",
    "ProofStore",
    "StoredProofError",
    "check_proof_document",
    "prove_consistency",
    "prove_inclusion",
]

INCLUSION_FORMAT = "showclear-inclusion-proof/1"
CONSISTENCY_FORMAT = "showclear-consistency-proof/1"


class StoredProofError(ValueError):
    """No proof can be given: nothing signed yet, a size out of range, or events changed."""


class OutsideTreeError(StoredProofError):
    """The event or size asked for is outside the newest signed tree."""


class SignedCheckpoint(Protocol):
    @property
    def tree_size(self) -> int: ...

    @property
    def note(self) -> str: ...


class ProofStore(TileReader, Protocol):
    """What a store offers for proofs: its tiles, its newest checkpoint and one event's bytes."""

    def latest_checkpoint(self, production: str) -> SignedCheckpoint | None: ...

    def event_payload(self, production: str, seq: int) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """RFC 9162 inclusion proof of event `seq` in the signed tree of `tree_size` events."""

    production: str
    seq: int
    payload: bytes
    leaf_hash: bytes
    tree_size: int
    root_hash: bytes
    proof: tuple[bytes, ...]
    checkpoint: str  # the signed note of that tree

    def as_json(self) -> dict[str, Any]:
        return {
            "format": INCLUSION_FORMAT,
            "production": self.production,
            "seq": self.seq,
            "leaf_index": self.seq - 1,
            "payload": self.payload.decode(),  # UTF-8
            "leaf_hash": self.leaf_hash.hex(),
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "proof": [h.hex() for h in self.proof],
            "checkpoint": self.checkpoint,
        }


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """RFC 9162 consistency proof: the signed tree of `tree_size` events extends `old_size`."""

    production: str
    old_size: int
    old_root: bytes
    tree_size: int
    root_hash: bytes
    proof: tuple[bytes, ...]
    checkpoint: str

    def as_json(self) -> dict[str, Any]:
        return {
            "format": CONSISTENCY_FORMAT,
            "production": self.production,
            "old_size": self.old_size,
            "old_root": self.old_root.hex(),
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "proof": [h.hex() for h in self.proof],
            "checkpoint": self.checkpoint,
        }


def _signed(store: ProofStore, production: str) -> tuple[Checkpoint, str]:
    latest = store.latest_checkpoint(production)
    if latest is None:
        raise StoredProofError(f"production {production!r} has no signed checkpoint yet")
    body, _ = parse_note(latest.note)
    return Checkpoint.parse(body), latest.note


def _trees(store: ProofStore, production: str, size: int) -> list[StoredTree]:
    """The stored tree, and the same recomputed from the leaves if the first disagrees."""
    return [StoredTree(store, production, size), StoredTree(LeavesOnly(store), production, size)]


def _changed(production: str, size: int) -> StoredProofError:
    return StoredProofError(
        f"production {production!r}: the stored events no longer match the checkpoint signed "
        f"at {size} events; run `showclear verify` to find what changed"
    )


def prove_inclusion(store: ProofStore, production: str, seq: int) -> InclusionProof:
    """Event `seq` (1-based) is in the newest signed tree; checked against its root."""
    signed, note = _signed(store, production)
    size = signed.size
    if not 1 <= seq <= size:
        raise OutsideTreeError(f"event {seq} is outside the latest checkpoint (1..{size})")
    payload = store.event_payload(production, seq)
    if payload is None:
        raise _changed(production, size)
    leaf = leaf_hash(payload)
    for tree in _trees(store, production, size):
        try:
            proof = inclusion_proof(tree, seq - 1)  # in the tree of the signed size
        except ValueError:  # fewer events stored than the checkpoint signed
            raise _changed(production, size) from None
        if root_from_inclusion_proof(leaf, seq - 1, size, proof) == signed.root_hash:
            return InclusionProof(
                production, seq, payload, leaf, size, signed.root_hash, tuple(proof), note
            )
    raise _changed(production, size)


def prove_consistency(store: ProofStore, production: str, old_size: int) -> ConsistencyProof:
    """The newest signed tree extends the tree of the first `old_size` events."""
    signed, note = _signed(store, production)
    size = signed.size
    if not 0 <= old_size <= size:
        raise OutsideTreeError(f"size {old_size} is outside the latest signed tree (0..{size})")
    for tree in _trees(store, production, size):
        try:
            old_root = tree.root(old_size)
            proof = consistency_proof(tree, old_size)  # to the tree's size: the signed one
            verify_consistency(old_size, size, old_root, signed.root_hash, proof)
        except (ProofError, ValueError):  # ValueError: fewer events stored than signed
            continue
        return ConsistencyProof(
            production, old_size, old_root, size, signed.root_hash, tuple(proof), note
        )
    raise _changed(production, size)


# -- checking a document offline ---------------------------------------------------------------


def _open(doc: dict[str, Any], trusted: NoteVerifier) -> Checkpoint:
    try:
        checkpoint, _ = open_checkpoint(str(doc["checkpoint"]), trusted)
    except NoteError as e:
        label = (
            "unknown key"
            if isinstance(e, UnknownKeyError)
            else "bad signature"
            if isinstance(e, BadSignatureError)
            else "malformed"
        )
        raise ValueError(f"{label}: {e}") from e
    size = int(doc["tree_size"])
    root = bytes.fromhex(str(doc["root_hash"]))
    if checkpoint.size != size or checkpoint.root_hash != root:
        raise ValueError("edited: the tree size or root differs from the signed checkpoint")
    if doc.get("production") and not checkpoint.origin.endswith("/" + str(doc["production"])):
        raise ValueError(f"malformed: the checkpoint is for {checkpoint.origin!r}")
    return checkpoint


def _hashes(values: Any) -> list[bytes]:
    return [bytes.fromhex(str(h)) for h in values]


def check_proof_document(doc: dict[str, Any], trusted: NoteVerifier) -> str:
    """Check a proof document offline; a success line, or ValueError naming the problem."""
    kind = doc.get("format", INCLUSION_FORMAT)
    if kind == CONSISTENCY_FORMAT:
        checkpoint = _open(doc, trusted)
        old_size = int(doc["old_size"])
        old_root = bytes.fromhex(str(doc["old_root"]))
        try:
            verify_consistency(
                old_size, checkpoint.size, old_root, checkpoint.root_hash, _hashes(doc["proof"])
            )
        except ProofError as e:
            raise ValueError(f"bad proof: {e}") from e
        return (
            f"the signed tree of {checkpoint.size} events of {checkpoint.origin} extends the "
            f"tree of {old_size} events with root {old_root.hex()}"
        )
    if kind != INCLUSION_FORMAT:
        raise ValueError(f"malformed: unknown proof format {kind!r}")
    payload = str(doc["payload"]).encode()  # UTF-8
    leaf = bytes.fromhex(str(doc["leaf_hash"]))
    if leaf_hash(payload) != leaf:
        raise ValueError("edited: the payload does not match its leaf hash")
    seq = int(doc["seq"])
    if json.loads(payload).get("seq") != seq or int(doc["leaf_index"]) != seq - 1:
        raise ValueError("edited: the payload's seq does not match the proof's position")
    checkpoint = _open(doc, trusted)
    try:
        proof = _hashes(doc["proof"])
        verify_inclusion(leaf, seq - 1, checkpoint.size, proof, checkpoint.root_hash)
    except ProofError as e:
        raise ValueError(f"bad proof: {e}") from e
    return (
        f"event {seq} of {checkpoint.origin} is included in the signed tree of "
        f"{checkpoint.size} events (root {checkpoint.root_hash.hex()})"
    )
