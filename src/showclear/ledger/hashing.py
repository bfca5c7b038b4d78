"""RFC 9162 §2.1 hashing: domain-separated leaf and interior node hashes.

The one-byte prefixes (0x00 for leaves, 0x01 for interior nodes) stop a second-preimage attack
where an interior node is passed off as a leaf (RFC 9162 §2.1, "Merkle Hash Trees").
"""

from __future__ import annotations

import hashlib

from showclear.ledger.canonical import LEAF_PREFIX, leaf_hash

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "LEAF_PREFIX", "NODE_PREFIX", "leaf_hash", "node_hash"]

NODE_PREFIX = b"\x01"

HASH_SIZE = 32

# RFC 9162 §2.1.1: the hash of an empty list is the hash of the empty string, with no prefix.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()
