-- The event log: the only source of truth. Projections are rebuilt from it.
CREATE TABLE events (
    position    INTEGER PRIMARY KEY,           -- global order, 1-based; rowid alias
    production  TEXT    NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    type        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    payload     BLOB    NOT NULL,              -- RFC 8785 bytes, exactly what was hashed
    leaf_hash   BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    UNIQUE (production, seq)
);

-- productions() lists productions in order of their first event without scanning the log.
CREATE INDEX events_first_of_production ON events (position, production) WHERE seq = 1;

-- The ledger hashes these rows; an edit in place would only be caught later by
-- `showclear verify`, so refuse it here as well.
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
