"""The tamper-evident ledger: canonical bytes, RFC 9162 Merkle tree, proofs, signed checkpoints."""
