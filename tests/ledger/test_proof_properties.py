"""Hypothesis properties of RFC 9162 proofs: valid proofs verify, any tampering fails."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger.hashing import EMPTY_ROOT, leaf_hash
from showclear.ledger.merkle import CompactTree, MerkleTree, tree_root
from showclear.ledger.proof import consistency_proof, inclusion_proof
from showclear.ledger.verify import (
    ProofError,
    ProofLengthError,
    ProofRangeError,
    RootMismatchError,
    verify_consistency,
    verify_inclusion,
)

N = 1100  # spans several powers of two, including 1024
LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(N)]
TREE = MerkleTree(LEAVES)

# Per-test settings, not a loaded profile: a profile would change every other suite's tests.
thorough = settings(deadline=None, max_examples=150)


@st.composite
def inclusion_claims(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, N))
    return draw(st.integers(0, size - 1)), size


@st.composite
def consistency_claims(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, N))
    return draw(st.integers(1, new)), new


def flip(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@thorough
@given(inclusion_claims())
def test_valid_inclusion_proof_verifies(claim: tuple[int, int]) -> None:
    index, size = claim
    verify_inclusion(
        LEAVES[index], index, size, inclusion_proof(TREE, index, size), TREE.root(size)
    )


@thorough
@given(inclusion_claims(), st.data())
def test_inclusion_fails_after_any_bit_flip(claim: tuple[int, int], data: st.DataObject) -> None:
    index, size = claim
    proof = inclusion_proof(TREE, index, size)
    leaf, root = LEAVES[index], TREE.root(size)
    bit = data.draw(st.integers(0, 255), label="bit")
    targets = ["leaf", "root"] + (["proof"] if proof else [])
    target = data.draw(st.sampled_from(targets), label="target")
    if target == "leaf":
        leaf = flip(leaf, bit)
    elif target == "root":
        root = flip(root, bit)
    else:
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        proof[position] = flip(proof[position], bit)
    with pytest.raises(RootMismatchError):
        verify_inclusion(leaf, index, size, proof, root)


@thorough
@given(inclusion_claims(), st.data())
def test_inclusion_is_bound_to_its_index(claim: tuple[int, int], data: st.DataObject) -> None:
    index, size = claim
    proof = inclusion_proof(TREE, index, size)
    other = data.draw(st.integers(0, size).filter(lambda j: j != index), label="other index")
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], other, size, proof, TREE.root(size))


@thorough
@given(inclusion_claims(), st.data())
def test_inclusion_at_another_size_verifies_only_with_that_sizes_proof(
    claim: tuple[int, int], data: st.DataObject
) -> None:
    index, size = claim
    proof = inclusion_proof(TREE, index, size)
    other = data.draw(st.integers(index + 1, N).filter(lambda m: m != size), label="other size")
    if inclusion_proof(TREE, index, other) == proof:
        verify_inclusion(LEAVES[index], index, other, proof, TREE.root(other))
    else:
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index, other, proof, TREE.root(other))


def test_inclusion_proof_does_not_bind_the_size_alone() -> None:
    # Leaf 0 has the same audit path shape in trees of 3 and 4 leaves, so a proof at size 3
    # also "verifies" as size 4 against the size-3 root. RFC 9162 leaves the size to the signed
    # tree head: that is why checkpoints sign size and root together.
    proof = inclusion_proof(TREE, 0, 3)
    verify_inclusion(LEAVES[0], 0, 4, proof, TREE.root(3))
    with pytest.raises(ProofLengthError):
        verify_inclusion(LEAVES[0], 0, 6, proof, TREE.root(3))


@thorough
@given(inclusion_claims(), st.binary(min_size=32, max_size=32))
def test_inclusion_fails_with_extra_or_missing_hashes(
    claim: tuple[int, int], garbage: bytes
) -> None:
    index, size = claim
    proof = inclusion_proof(TREE, index, size)
    with pytest.raises(ProofLengthError):
        verify_inclusion(LEAVES[index], index, size, [*proof, garbage], TREE.root(size))
    if proof:
        with pytest.raises(ProofLengthError):
            verify_inclusion(LEAVES[index], index, size, proof[:-1], TREE.root(size))


@thorough
@given(consistency_claims())
def test_valid_consistency_proof_verifies(claim: tuple[int, int]) -> None:
    old, new = claim
    proof = consistency_proof(TREE, old, new)
    verify_consistency(old, new, TREE.root(old), TREE.root(new), proof)


@thorough
@given(consistency_claims(), st.data())
def test_consistency_fails_after_any_bit_flip(claim: tuple[int, int], data: st.DataObject) -> None:
    old, new = claim
    proof = consistency_proof(TREE, old, new)
    old_root, new_root = TREE.root(old), TREE.root(new)
    bit = data.draw(st.integers(0, 255), label="bit")
    targets = ["old root", "new root"] + (["proof"] if proof else [])
    target = data.draw(st.sampled_from(targets), label="target")
    if target == "old root":
        old_root = flip(old_root, bit)
    elif target == "new root":
        new_root = flip(new_root, bit)
    else:
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        proof[position] = flip(proof[position], bit)
    with pytest.raises(RootMismatchError):
        verify_consistency(old, new, old_root, new_root, proof)


@thorough
@given(consistency_claims(), st.data())
def test_consistency_at_other_sizes_verifies_only_with_their_proof(
    claim: tuple[int, int], data: st.DataObject
) -> None:
    old, new = claim
    proof = consistency_proof(TREE, old, new)
    other_old = data.draw(st.integers(1, N), label="other old")
    other_new = data.draw(st.integers(other_old, N), label="other new")
    if (other_old, other_new) == (old, new):
        return
    args = (other_old, other_new, TREE.root(other_old), TREE.root(other_new), proof)
    if consistency_proof(TREE, other_old, other_new) == proof:
        verify_consistency(*args)
    else:
        with pytest.raises(ProofError):
            verify_consistency(*args)


@thorough
@given(consistency_claims(), st.data())
def test_forked_history_is_never_consistent(claim: tuple[int, int], data: st.DataObject) -> None:
    old, new = claim
    changed = data.draw(st.integers(0, new - 1), label="changed leaf")
    forked_leaves = list(LEAVES[:new])
    forked_leaves[changed] = leaf_hash(b"rewritten")
    forked = MerkleTree(forked_leaves)
    proof = consistency_proof(TREE, old, new)
    # Whichever side of `old` the change is on, one of the two roots no longer fits the proof.
    with pytest.raises(ProofError):
        verify_consistency(old, new, TREE.root(old), forked.root(new), proof)
    if changed < old:
        with pytest.raises(ProofError):
            verify_consistency(old, new, forked.root(old), TREE.root(new), proof)


def test_consistency_edge_cases() -> None:
    root5 = TREE.root(5)
    verify_consistency(5, 5, root5, root5, [])
    verify_consistency(0, 5, EMPTY_ROOT, root5, [])
    with pytest.raises(RootMismatchError):
        verify_consistency(5, 5, root5, TREE.root(6), [])
    with pytest.raises(ProofLengthError):
        verify_consistency(5, 5, root5, root5, [root5])
    with pytest.raises(RootMismatchError):
        verify_consistency(0, 5, root5, root5, [])
    with pytest.raises(ProofRangeError):
        verify_consistency(6, 5, root5, root5, [])
    with pytest.raises(ProofRangeError):
        verify_inclusion(LEAVES[0], 5, 5, [], root5)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0][:31], 0, 1, [], LEAVES[0])
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0][:31])
    with pytest.raises(ProofError):
        verify_consistency(1, 2, LEAVES[0], TREE.root(2), [LEAVES[1] + b"\x00"])


def test_root_mismatch_error_names_both_roots() -> None:
    proof = inclusion_proof(TREE, 3, 10)
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(LEAVES[3], 3, 10, proof, TREE.root(11))
    assert caught.value.expected == TREE.root(11)
    assert caught.value.calculated == TREE.root(10)
    assert TREE.root(11).hex() in str(caught.value)
    assert TREE.root(10).hex() in str(caught.value)


@thorough
@given(st.integers(0, N), st.integers(0, N))
def test_compact_tree_agrees_with_merkle_tree(size: int, resume_at: int) -> None:
    resume_at = min(resume_at, size)
    compact = CompactTree.from_bytes(TREE.compact(resume_at).to_bytes())
    compact.extend(LEAVES[resume_at:size])
    assert compact.size == size
    assert compact.root() == TREE.root(size) == tree_root(LEAVES[:size])
    assert compact == TREE.compact(size)
