-- The studio's records of set-node sync: who may write each production, the alerts for studio
-- safety when a push is refused as a rewrite, fork or forgery, and when each node last pushed.

-- One row per writer of a production, newest last: the enrolment (version 1), then each move.
-- `statement` is the evidence: the old writer's signed move note, or the names of the studio
-- administrator and the production's armorer who moved it for a lost node.
CREATE TABLE studio_writers (
    production  text    NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    node_key    text    NOT NULL,          -- the writer's ledger verifier key (vkey)
    kind        text    NOT NULL CHECK (kind IN ('enrolled', 'moved-by-writer', 'moved-by-studio')),
    statement   text    NOT NULL,
    recorded_at text    NOT NULL,
    PRIMARY KEY (production, version)
);

CREATE TRIGGER studio_writers_append_only BEFORE UPDATE OR DELETE ON studio_writers
    FOR EACH ROW EXECUTE FUNCTION showclear_refuse_change();

CREATE TRIGGER studio_writers_no_truncate BEFORE TRUNCATE ON studio_writers
    FOR EACH STATEMENT EXECUTE FUNCTION showclear_refuse_change();

-- A refused push that studio safety must see (a fork, a rewrite, a forgery, a foreign node).
CREATE TABLE studio_alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    production      text   NOT NULL,
    node_key        text   NOT NULL,      -- the key the push claimed, as sent (may be unknown)
    reason          text   NOT NULL,
    first_diverging bigint,
    message         text   NOT NULL,
    recorded_at     text   NOT NULL
);

CREATE TRIGGER studio_alerts_append_only BEFORE UPDATE OR DELETE ON studio_alerts
    FOR EACH ROW EXECUTE FUNCTION showclear_refuse_change();

-- When each node last pushed each production, and the tree the studio co-signed then.
CREATE TABLE studio_sync_nodes (
    production   text   NOT NULL,
    node_key     text   NOT NULL,
    last_push_at text   NOT NULL,
    tree_size    bigint NOT NULL,
    cosigned_at  text,
    PRIMARY KEY (production, node_key)
);
