-- Signed ledger checkpoints (tree heads) of a production's event log.
CREATE TABLE checkpoints (
    production TEXT    NOT NULL,
    tree_size  INTEGER NOT NULL CHECK (tree_size >= 1),
    root_hash  BLOB    NOT NULL CHECK (length(root_hash) = 32),
    note       TEXT    NOT NULL,                -- signed-note text
    created_at TEXT    NOT NULL,
    PRIMARY KEY (production, tree_size)
);

-- A published checkpoint is a commitment; replacing one would hide a fork.
CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;

CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
