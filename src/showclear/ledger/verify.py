"""Check RFC 9162 Merkle proofs: inclusion (§2.1.3.2) and consistency (§2.1.4.2).

The algorithms are the RFC's, step for step. Before hashing, the proof length is checked
against the one the (index, size) or (old, new) pair implies, as transparency-dev/merkle does,
so a truncated or padded proof is reported as such rather than as a root mismatch.

Exception tree::

    ProofError                  the proof does not prove the claim
     +-- ProofRangeError        index or sizes are impossible (index >= size, old > new, ...)
     +-- ProofLengthError       the proof has the wrong number of hashes for these sizes
     +-- RootMismatchError      the hashes fold to a different root than the one claimed

Build proofs with the paired functions in proof.py (`inclusion_proof`, `consistency_proof`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from showclear.ledger.hashing import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX

__all__ = [
    "ProofError",
    "ProofLengthError",
    "ProofRangeError",
    "RootMismatchError",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256


class ProofError(Exception):
    """The proof does not prove what it was presented for."""


class ProofRangeError(ProofError):
    """The index or tree sizes cannot describe a proof (e.g. index >= size)."""


class ProofLengthError(ProofError):
    """The proof has the wrong number of hashes for the given index and sizes."""

    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"wrong proof length {got}, want {expected}")
        self.expected = expected
        self.got = got


class RootMismatchError(ProofError):
    """The proof folds to a root other than the expected one."""

    def __init__(self, expected: bytes, calculated: bytes, what: str = "root") -> None:
        super().__init__(
            f"{what} mismatch: calculated {calculated.hex()}, expected {expected.hex()}"
        )
        self.expected = expected
        self.calculated = calculated


def _check_hashes(leaf_or_roots: Sequence[bytes], proof: Sequence[bytes]) -> None:
    for value in leaf_or_roots:
        if len(value) != HASH_SIZE:
            raise ProofError(f"hash must be {HASH_SIZE} bytes, got {len(value)}")
    for position, value in enumerate(proof):
        if len(value) != HASH_SIZE:
            raise ProofError(f"proof hash {position} must be {HASH_SIZE} bytes, got {len(value)}")


def _inclusion_length(index: int, size: int) -> int:
    # `inner` levels where the path nodes sit beside the leaf's own path below the point where
    # the paths to `index` and to the last leaf diverge; above it, one node per left turn.
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner + border


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Fold an inclusion proof into the root it implies (RFC 9162 §2.1.3.2, steps 1-5).

    Raises ProofRangeError unless 0 <= index < size, ProofLengthError on a wrong length.
    """
    if not 0 <= index < size:
        raise ProofRangeError(f"leaf index {index} is outside a tree of {size} leaves")
    _check_hashes([leaf_hash], proof)
    expected = _inclusion_length(index, size)
    if len(proof) != expected:
        raise ProofLengthError(expected, len(proof))

    fn, sn = index, size - 1
    r = leaf_hash
    prefix = NODE_PREFIX
    for p in proof:
        # RFC steps kept although the length check above already rules them out, so the loop
        # stays correct on its own. Being unreachable, they are left out of mutation testing
        # (`no mutate`), as is `fn != 0`: here fn == sn > 0, so fn has a set bit to stop at.
        if sn == 0:  # pragma: no mutate
            raise ProofLengthError(expected, len(proof))  # pragma: no mutate
        if fn & 1 or fn == sn:
            r = _sha256(prefix + p + r).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:  # pragma: no mutate
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(prefix + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:  # pragma: no mutate
        raise ProofLengthError(expected, len(proof))  # pragma: no mutate
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: leaf `index` (0-based) of the tree of `size` leaves is `leaf_hash`.

    Returns None on success; raises a ProofError subclass otherwise.
    """
    if len(root) != HASH_SIZE:
        raise ProofError(f"root must be {HASH_SIZE} bytes, got {len(root)}")
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if calculated != root:
        raise RootMismatchError(root, calculated)


def _trailing_zeros(n: int) -> int:
    """How many times n (> 0) halves evenly: the bits below its lowest set bit."""
    return (n ^ (n - 1)).bit_length() - 1


def _consistency_length(old_size: int, new_size: int) -> int:
    # Below `level` the old tree's last perfect subtree is shared whole, so the proof is the
    # inclusion path of that subtree's root, plus the seed hash itself unless the old tree is
    # one perfect subtree (then the verifier already holds it as old_root).
    level = _trailing_zeros(old_size)
    index = (old_size - 1) >> level
    last = (new_size - 1) >> level
    inner = (index ^ last).bit_length()
    border = (index >> inner).bit_count()
    return inner + border + (0 if index == 0 else 1)


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """RFC 9162 §2.1.4.2: the tree of `new_size` leaves with `new_root` extends the tree of
    `old_size` leaves with `old_root`.

    Edge cases as in transparency-dev/merkle: equal sizes need an empty proof and equal
    roots; old_size 0 needs an empty proof and old_root equal to the empty-tree hash.
    Returns None on success; raises a ProofError subclass otherwise.
    """
    if not 0 <= old_size <= new_size:
        raise ProofRangeError(f"cannot prove size {new_size} extends size {old_size}")
    _check_hashes([old_root, new_root], proof)
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofLengthError(0, len(proof))
        if old_size == 0:
            if old_root != EMPTY_ROOT:
                raise RootMismatchError(EMPTY_ROOT, old_root, "empty tree root")
        elif old_root != new_root:
            raise RootMismatchError(old_root, new_root)
        return

    expected = _consistency_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofLengthError(expected, len(proof))

    path = list(proof)
    # Step 1: when old_size is a power of two the old root is the seed node itself.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    prefix = NODE_PREFIX
    for c in path[1:]:
        # As in root_from_inclusion_proof: RFC steps, unreachable after the length check.
        if sn == 0:  # pragma: no mutate
            raise ProofLengthError(expected, len(proof))  # pragma: no mutate
        if fn & 1 or fn == sn:
            fr = _sha256(prefix + c + fr).digest()
            sr = _sha256(prefix + c + sr).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:  # pragma: no mutate
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(prefix + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:  # pragma: no mutate
        raise ProofLengthError(expected, len(proof))  # pragma: no mutate
    if fr != old_root:
        raise RootMismatchError(old_root, fr, "old root")
    if sr != new_root:
        raise RootMismatchError(new_root, sr, "new root")
