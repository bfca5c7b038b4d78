-- The studio's co-signatures of this node's checkpoints (C2SP tlog-cosignature), kept by the
-- node once it has checked them: the note holds the node's own signature and the studio's.
CREATE TABLE cosignatures (
    production  TEXT    NOT NULL,
    tree_size   INTEGER NOT NULL CHECK (tree_size >= 1),
    note        TEXT    NOT NULL,
    studio_key  TEXT    NOT NULL,           -- the studio's verifier key that checked it
    cosigned_at INTEGER NOT NULL,           -- the co-signature's time (POSIX seconds)
    stored_at   TEXT    NOT NULL,
    PRIMARY KEY (production, tree_size, studio_key)
);

CREATE TRIGGER cosignatures_append_only_update BEFORE UPDATE ON cosignatures
BEGIN
    SELECT RAISE(ABORT, 'cosignatures are append-only');
END;
