-- The Merkle tree's stored state, so that proofs read a few hashes instead of rebuilding the
-- tree (see showclear/ledger/tiles.py). As in C2SP tlog-tiles, a hash at tile level L is the
-- root of the complete aligned subtree of 256**L events starting at event idx * 256**L + 1;
-- level 0 (the leaf hashes) is the events' own leaf_hash column. Derived from the events and
-- written after their commit: a missing row is recomputed, never trusted by verification.
CREATE TABLE ledger_tiles (
    production TEXT    NOT NULL,
    level      INTEGER NOT NULL CHECK (level >= 1),
    idx        INTEGER NOT NULL CHECK (idx >= 0),
    hash       BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (production, level, idx)
) WITHOUT ROWID;
