"""Build RFC 9162 Merkle proofs: inclusion (§2.1.3.1) and consistency (§2.1.4.1).

Both follow the RFC's recursive definitions (PATH, PROOF/SUBPROOF) top-down in a loop, then
reverse, because the RFC lists proof nodes bottom-up (the leaf's sibling first). Each node is
a subtree hash asked of the tree: a `MerkleTree` answers from levels cached in memory, a
`tiles.StoredTree` from the tiles stored beside the events; either way a proof costs O(log n)
look-ups plus a few hashes for subtrees on the right edge of a tree whose size is not a power
of two.

Check them with the paired functions in verify.py (`verify_inclusion`, `verify_consistency`).
"""

from __future__ import annotations

from typing import Protocol

from showclear.ledger.merkle import split_point

__all__ = ["SubtreeHashes", "consistency_proof", "inclusion_proof"]


class SubtreeHashes(Protocol):
    """A Merkle tree that can give the MTH of the subtree ranges RFC 9162 proofs use."""

    @property
    def size(self) -> int: ...

    def range_hash(self, start: int, end: int) -> bytes: ...


def inclusion_proof(tree: SubtreeHashes, index: int, size: int | None = None) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[0:size]): the audit path of leaf `index` (0-based).

    Preconditions: 0 <= index < size <= tree.size (size defaults to tree.size); raises
    ValueError otherwise. A tree of one leaf has an empty path.
    """
    if size is None:
        size = tree.size
    if not 0 <= index < size <= tree.size:
        raise ValueError(
            f"no inclusion proof for leaf {index} at size {size} (tree has {tree.size} leaves)"
        )
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
            path.append(tree.range_hash(start + k, end))
            end = start + k
        else:
            # PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
            path.append(tree.range_hash(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(
    tree: SubtreeHashes, old_size: int, new_size: int | None = None
) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[0:new_size]): the tree of `new_size` leaves extends
    the tree of `old_size` leaves.

    Preconditions: 0 <= old_size <= new_size <= tree.size (new_size defaults to tree.size);
    raises ValueError otherwise. As in transparency-dev/merkle, the proof is empty when
    old_size is 0 or equals new_size (the RFC defines PROOF only for 0 < m < n).
    """
    if new_size is None:
        new_size = tree.size
    if not 0 <= old_size <= new_size <= tree.size:
        raise ValueError(
            f"no consistency proof from size {old_size} to {new_size} (tree has {tree.size} leaves)"
        )
    if old_size == 0 or old_size == new_size:
        return []
    proof: list[bytes] = []
    # `remaining` is m of SUBPROOF(m, D[start:end], b): how many old leaves lie in the range.
    remaining, start, end = old_size, 0, new_size
    old_tree_is_subtree = True  # b: still on the left spine, so the old root is itself a node
    while remaining != end - start:
        k = split_point(end - start)
        if remaining <= k:
            # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            proof.append(tree.range_hash(start + k, end))
            end = start + k
        else:
            # SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            proof.append(tree.range_hash(start, start + k))
            start += k
            remaining -= k
            old_tree_is_subtree = False
    if not old_tree_is_subtree:
        # SUBPROOF(m, D[m], false) = {MTH(D[m])}; with b true the verifier already has it.
        proof.append(tree.range_hash(start, end))
    proof.reverse()
    return proof
