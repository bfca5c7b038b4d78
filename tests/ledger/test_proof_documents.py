"""Proof documents (`showclear proof`, `verify-proof`): made from a store, checked offline.

Every check `check_proof_document` makes is tested on its own, each with the one field that
it guards changed and nothing else, so a check that stopped looking would be noticed. The
store is in memory (a ProofStore over real canonical events and a real signed note).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from showclear.ledger.canonical import canonical_bytes, envelope, leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import NoteSigner, sign_checkpoint
from showclear.ledger.proofs import (
    CONSISTENCY_FORMAT,
    INCLUSION_FORMAT,
    OutsideTreeError,
    StoredProofError,
    check_proof_document,
    prove_consistency,
    prove_inclusion,
)

PRODUCTION = "p1"
ORIGIN = "showclear.test/production/p1"
NODE = NoteSigner("set-node.p1", Ed25519PrivateKey.generate())
OTHER = NoteSigner("set-node.p1", Ed25519PrivateKey.generate())  # same name, another key
SIZE = 300  # more than one tile of 256: proofs use a stored tile hash


def payload(seq: int, production: str = PRODUCTION, note: str = "") -> bytes:
    data: dict[str, Any] = {"firearm": f"g{seq % 3}", "to": f"p{seq % 5}"}
    if note:
        data["note"] = note
    at = f"2025-03-01T10:{seq // 60 % 60:02d}:{seq % 60:02d}+01:00"
    return canonical_bytes(envelope(production, seq, "firearm_issued", 1, "arm", at, data))


@dataclass
class Signed:
    tree_size: int
    note: str


class Memory:
    """A ProofStore: events, their leaf hashes, tile hashes at level 1 and the newest note."""

    def __init__(self, size: int = SIZE, signer: NoteSigner = NODE) -> None:
        self.payloads = [payload(seq) for seq in range(1, size + 1)]
        self.leaves = [leaf_hash(p) for p in self.payloads]
        tree = MerkleTree(self.leaves)
        self.tiles = [tree.range_hash(i << 8, (i + 1) << 8) for i in range(size >> 8)]
        note = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root()), signer)
        self.signed: Signed | None = Signed(size, note)
        self.lost: set[int] = set()  # seqs whose event row is gone

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        assert production == PRODUCTION and 0 <= start <= end
        return self.leaves[start:end]

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        assert production == PRODUCTION and 0 <= start <= end
        return list(self.tiles[start:end]) if level == 1 else []

    def latest_checkpoint(self, production: str) -> Signed | None:
        return self.signed

    def event_payload(self, production: str, seq: int) -> bytes | None:
        if seq in self.lost or not 1 <= seq <= len(self.payloads):
            return None
        return self.payloads[seq - 1]


def inclusion(seq: int = 42) -> dict[str, Any]:
    return prove_inclusion(Memory(), PRODUCTION, seq).as_json()


def check(doc: dict[str, Any], signer: NoteSigner = NODE) -> str:
    return check_proof_document(doc, signer.verifier)


def refused(doc: dict[str, Any], signer: NoteSigner = NODE) -> str:
    with pytest.raises(ValueError) as caught:
        check_proof_document(doc, signer.verifier)
    return str(caught.value)


# -- making proofs from a store -----------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 42, 256, 257, SIZE])
def test_inclusion_proof_of_a_stored_event_checks_offline(seq: int) -> None:
    store = Memory()
    proof = prove_inclusion(store, PRODUCTION, seq)
    assert (proof.seq, proof.tree_size, proof.payload) == (seq, SIZE, store.payloads[seq - 1])
    assert proof.leaf_hash == store.leaves[seq - 1]
    assert proof.root_hash == MerkleTree(store.leaves).root()
    doc = proof.as_json()
    assert doc["format"] == INCLUSION_FORMAT and doc["leaf_index"] == seq - 1
    assert doc["production"] == PRODUCTION and doc["checkpoint"] == store.signed.note  # type: ignore[union-attr]
    assert check(doc) == (
        f"event {seq} of {ORIGIN} is included in the signed tree of {SIZE} events "
        f"(root {proof.root_hash.hex()})"
    )


@pytest.mark.parametrize("old", [0, 1, 100, 256, 299, SIZE])
def test_consistency_proof_from_a_store_checks_offline(old: int) -> None:
    store = Memory()
    proof = prove_consistency(store, PRODUCTION, old)
    assert proof.old_root == MerkleTree(store.leaves).root(old)
    doc = proof.as_json()
    assert doc["format"] == CONSISTENCY_FORMAT and doc["old_size"] == old
    assert doc["production"] == PRODUCTION
    assert check(doc) == (
        f"the signed tree of {SIZE} events of {ORIGIN} extends the tree of {old} events "
        f"with root {proof.old_root.hex()}"
    )


def test_outside_the_signed_tree() -> None:
    store = Memory()
    for seq in (0, SIZE + 1):
        with pytest.raises(OutsideTreeError, match=rf"event {seq} is outside .*\(1\.\.{SIZE}\)"):
            prove_inclusion(store, PRODUCTION, seq)
    for old in (-1, SIZE + 1):
        with pytest.raises(OutsideTreeError, match=rf"size {old} is outside .*\(0\.\.{SIZE}\)"):
            prove_consistency(store, PRODUCTION, old)


def test_nothing_signed_yet() -> None:
    store = Memory()
    store.signed = None
    for prove in (prove_inclusion, prove_consistency):
        with pytest.raises(StoredProofError, match="'p1' has no signed checkpoint yet"):
            prove(store, PRODUCTION, 1)  # type: ignore[operator]


def test_damaged_tiles_are_worked_around_from_the_leaves() -> None:
    store = Memory()
    store.tiles = [b"\x07" * 32 for _ in store.tiles]
    # Both proofs need the hash of the first 256 events, which the damaged tile gives wrong.
    assert check(prove_inclusion(store, PRODUCTION, 261).as_json()).startswith("event 261 ")
    proof = prove_consistency(store, PRODUCTION, 256)
    assert proof.old_root == MerkleTree(store.leaves).root(256)
    assert check(proof.as_json()).startswith("the signed")


@pytest.mark.parametrize("damage", ["leaf", "payload", "missing", "short"])
def test_events_that_no_longer_match_the_signed_root(damage: str) -> None:
    store = Memory()
    if damage == "leaf":  # a stored leaf hash rewritten: neither tree gives the signed root
        store.leaves[9] = leaf_hash(payload(10, note="changed"))
    elif damage == "payload":  # the event's bytes changed: its leaf is not the signed one
        store.payloads[41] = payload(42, note="changed")
    elif damage == "missing":
        store.lost.add(42)
    else:  # fewer leaves stored than the checkpoint signed
        store.leaves = store.leaves[:-1]
    expected = (
        "production 'p1': the stored events no longer match the checkpoint signed at 300 "
        "events; run `showclear verify` to find what changed"
    )
    with pytest.raises(StoredProofError) as caught:
        # Event 11's path holds the hash of leaves 9 and 10 together.
        prove_inclusion(store, PRODUCTION, 42 if damage in ("payload", "missing") else 11)
    assert str(caught.value) == expected
    if damage in ("leaf", "short"):
        with pytest.raises(StoredProofError) as caught:
            prove_consistency(store, PRODUCTION, 20)
        assert str(caught.value) == expected


# -- checking a document: each check alone ------------------------------------------------------


def test_edited_payload_with_its_old_leaf_hash_is_caught_by_the_leaf_comparison() -> None:
    """verify-proof's leaf comparison: the rest of the proof is intact and would verify."""
    doc = inclusion()
    edited = payload(42, note="rounds were live").decode("utf-8")
    assert refused(dict(doc, payload=edited)) == (
        "edited: the payload does not match its leaf hash"
    )


def test_edited_payload_with_a_recomputed_leaf_fails_the_proof() -> None:
    doc = inclusion()
    edited = payload(42, note="rounds were live")
    message = refused(dict(doc, payload=edited.decode("utf-8"), leaf_hash=leaf_hash(edited).hex()))
    assert message.startswith("bad proof: root mismatch: calculated ")


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 43},  # the payload still says 42
        {"leaf_index": 42},  # seq and payload say 42, the index says 43
    ],
)
def test_position_fields_must_agree_with_the_payload(change: dict[str, Any]) -> None:
    assert refused(dict(inclusion(), **change)) == (
        "edited: the payload's seq does not match the proof's position"
    )


def test_another_events_payload_and_leaf_at_this_position() -> None:
    other = payload(43)
    doc = dict(inclusion(), payload=other.decode("utf-8"), leaf_hash=leaf_hash(other).hex())
    assert refused(doc) == "edited: the payload's seq does not match the proof's position"


@pytest.mark.parametrize("field", ["tree_size", "root_hash"])
def test_size_or_root_other_than_the_signed_ones(field: str) -> None:
    doc = inclusion()
    doc[field] = doc[field] - 1 if field == "tree_size" else "00" * 32
    assert refused(doc) == "edited: the tree size or root differs from the signed checkpoint"


def test_a_proof_for_another_production() -> None:
    assert refused(dict(inclusion(), production="p2")) == (
        f"malformed: the checkpoint is for {ORIGIN!r}"
    )
    assert refused(dict(inclusion(), production="1")) == (  # a suffix, not the name
        f"malformed: the checkpoint is for {ORIGIN!r}"
    )
    unnamed = inclusion()
    del unnamed["production"]
    assert check(unnamed).startswith("event 42 ")


def test_the_checkpoint_note_is_opened_with_the_trusted_key() -> None:
    doc = inclusion()
    assert refused(doc, OTHER).startswith("unknown key: note is not signed by a trusted key")
    body, _, signature = doc["checkpoint"].rpartition("\n\n")
    name, blob = signature.rsplit(" ", 1)
    flipped = blob[:10] + ("A" if blob[10] != "A" else "B") + blob[11:]
    forged = f"{body}\n\n{name} {flipped}"
    assert refused(dict(doc, checkpoint=forged)).startswith("bad signature: signature by ")
    assert refused(dict(doc, checkpoint=doc["checkpoint"] + "x")).startswith("malformed: ")


def test_a_wrong_proof_hash_is_a_bad_proof() -> None:
    doc = inclusion()
    doc["proof"] = [doc["proof"][1], doc["proof"][0], *doc["proof"][2:]]
    assert refused(doc).startswith("bad proof: root mismatch")
    doc = prove_consistency(Memory(), PRODUCTION, 100).as_json()
    assert refused(dict(doc, old_root="00" * 32)).startswith("bad proof: ")


def test_unknown_format() -> None:
    assert refused(dict(inclusion(), format="showclear-proof/2")) == (
        "malformed: unknown proof format 'showclear-proof/2'"
    )
    plain = inclusion()
    del plain["format"]  # the first documents had no format: they are inclusion proofs
    assert check(plain).startswith("event 42 ")
