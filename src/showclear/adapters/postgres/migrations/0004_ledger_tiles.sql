-- The Merkle tree's stored state, as the set node keeps it (showclear/ledger/tiles.py): a hash at
-- tile level L is the root of the complete aligned subtree of 256**L events starting at event
-- idx * 256**L + 1 (C2SP tlog-tiles); level 0, the leaf hashes, is the events' own leaf_hash
-- column. Derived from the events and written after their commit: a missing row is recomputed,
-- and verification never trusts one.
CREATE TABLE ledger_tiles (
    production text    NOT NULL,
    level      integer NOT NULL CHECK (level >= 1),
    idx        bigint  NOT NULL CHECK (idx >= 0),
    hash       bytea   NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (production, level, idx)
);
