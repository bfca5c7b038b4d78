-- The event log: the only source of truth. Projections are rebuilt from it.
-- Same columns and meaning as the embedded SQLite store, so a set node's rows move here unchanged.
CREATE TABLE events (
    position    bigint  PRIMARY KEY CHECK (position >= 1),  -- global order, 1-based, gapless
    production  text    NOT NULL,
    seq         bigint  NOT NULL CHECK (seq >= 1),
    type        text    NOT NULL,
    version     integer NOT NULL,
    actor       text    NOT NULL,
    at          text    NOT NULL,      -- the command clock as written (keeps its UTC offset)
    recorded_at text    NOT NULL,
    payload     bytea   NOT NULL,      -- RFC 8785 bytes, exactly what was hashed
    leaf_hash   bytea   NOT NULL CHECK (octet_length(leaf_hash) = 32),
    UNIQUE (production, seq)
);

-- productions() lists productions in order of their first event without scanning the log.
CREATE INDEX events_first_of_production ON events (position) INCLUDE (production) WHERE seq = 1;

-- The ledger hashes these rows; an edit in place would only be caught later by
-- `showclear verify`, so refuse it here as well (TRUNCATE fires no row trigger: refuse it too).
CREATE FUNCTION showclear_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION showclear_refuse_change();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION showclear_refuse_change();
