-- Signed ledger checkpoints (tree heads) of a production's event log.
CREATE TABLE checkpoints (
    production text   NOT NULL,
    tree_size  bigint NOT NULL CHECK (tree_size >= 1),
    root_hash  bytea  NOT NULL CHECK (octet_length(root_hash) = 32),
    note       text   NOT NULL,          -- signed-note text
    created_at text   NOT NULL,
    PRIMARY KEY (production, tree_size)
);

-- A published checkpoint is a commitment; replacing one would hide a fork.
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION showclear_refuse_change();

CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION showclear_refuse_change();
