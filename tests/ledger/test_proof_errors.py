"""What each proof check says when it refuses: the exception, its fields and its words.

`showclear verify-proof` prints these messages ("bad proof: ..."), and callers read
`expected`/`got`/`calculated`, so each refusal of verify.py is pinned here exactly.
"""

from __future__ import annotations

import pytest

from showclear.ledger.hashing import EMPTY_ROOT, leaf_hash
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.proof import consistency_proof, inclusion_proof
from showclear.ledger.verify import (
    ProofError,
    ProofLengthError,
    ProofRangeError,
    RootMismatchError,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

TREE = MerkleTree(leaf_hash(bytes([i])) for i in range(13))
ROOT = TREE.root()
LEAF = TREE.leaf(5)
PATH = inclusion_proof(TREE, 5)


def test_error_types() -> None:
    for error in (ProofLengthError, ProofRangeError, RootMismatchError):
        assert issubclass(error, ProofError)
    assert issubclass(ProofError, Exception) and not issubclass(ProofError, ValueError)


def test_wrong_inclusion_proof_length_names_both_lengths() -> None:
    for proof in (PATH[:-1], [*PATH, PATH[0]]):
        with pytest.raises(ProofLengthError) as caught:
            root_from_inclusion_proof(LEAF, 5, 13, proof)
        assert (caught.value.expected, caught.value.got) == (len(PATH), len(proof))
        assert str(caught.value) == f"wrong proof length {len(proof)}, want {len(PATH)}"


def test_leaf_index_outside_the_tree() -> None:
    for index in (-1, 13):
        with pytest.raises(ProofRangeError) as caught:
            root_from_inclusion_proof(LEAF, index, 13, PATH)
        assert str(caught.value) == f"leaf index {index} is outside a tree of 13 leaves"


def test_hashes_of_the_wrong_size() -> None:
    with pytest.raises(ProofError) as caught:
        root_from_inclusion_proof(LEAF[:31], 5, 13, PATH)
    assert str(caught.value) == "hash must be 32 bytes, got 31"
    with pytest.raises(ProofError) as caught:
        root_from_inclusion_proof(LEAF, 5, 13, [PATH[0], PATH[1] + b"\x00", *PATH[2:]])
    assert str(caught.value) == "proof hash 1 must be 32 bytes, got 33"
    with pytest.raises(ProofError) as caught:
        verify_inclusion(LEAF, 5, 13, PATH, ROOT[:3])
    assert str(caught.value) == "root must be 32 bytes, got 3"


def test_inclusion_root_mismatch_names_both_roots() -> None:
    other = TREE.leaf(6)
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(other, 5, 13, PATH, ROOT)
    calculated = root_from_inclusion_proof(other, 5, 13, PATH)
    assert (caught.value.expected, caught.value.calculated) == (ROOT, calculated)
    assert str(caught.value) == (
        f"root mismatch: calculated {calculated.hex()}, expected {ROOT.hex()}"
    )


def test_consistency_sizes_out_of_order() -> None:
    with pytest.raises(ProofRangeError) as caught:
        verify_consistency(5, 3, TREE.root(5), TREE.root(3), [])
    assert str(caught.value) == "cannot prove size 3 extends size 5"
    with pytest.raises(ProofRangeError):
        verify_consistency(-1, 3, TREE.root(0), TREE.root(3), [])


@pytest.mark.parametrize(("old", "new"), [(0, 13), (7, 7)])
def test_trivial_consistency_needs_an_empty_proof(old: int, new: int) -> None:
    with pytest.raises(ProofLengthError) as caught:
        verify_consistency(old, new, TREE.root(old), TREE.root(new), [LEAF, LEAF])
    assert (caught.value.expected, caught.value.got) == (0, 2)
    assert str(caught.value) == "wrong proof length 2, want 0"


def test_empty_old_tree_must_state_the_empty_root() -> None:
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(0, 13, LEAF, ROOT, [])
    assert (caught.value.expected, caught.value.calculated) == (EMPTY_ROOT, LEAF)
    assert str(caught.value).startswith(f"empty tree root mismatch: calculated {LEAF.hex()}")


def test_equal_sizes_need_equal_roots() -> None:
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(7, 7, TREE.root(7), TREE.root(8), [])
    assert str(caught.value).startswith("root mismatch: calculated ")


def test_wrong_consistency_proof_length() -> None:
    proof = consistency_proof(TREE, 6, 13)
    with pytest.raises(ProofLengthError) as caught:
        verify_consistency(6, 13, TREE.root(6), ROOT, proof[:-1])
    assert (caught.value.expected, caught.value.got) == (len(proof), len(proof) - 1)


@pytest.mark.parametrize("old", [1, 2, 3, 4, 6, 8, 12])
def test_consistency_names_the_root_that_does_not_match(old: int) -> None:
    proof = consistency_proof(TREE, old, 13)
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(old, 13, TREE.root(old), TREE.root(12), proof)
    assert str(caught.value).startswith("new root mismatch: calculated ")
    assert caught.value.expected == TREE.root(12)
    if old & (old - 1):  # not a power of two: the old root is folded from the proof
        with pytest.raises(RootMismatchError) as caught:
            verify_consistency(old, 13, TREE.root(old - 1), ROOT, proof)
        assert str(caught.value).startswith("old root mismatch: calculated ")
        assert caught.value.expected == TREE.root(old - 1)
