-- Sign-in for the web app and API. Deliberately outside the event ledger: an exported ledger
-- must never carry PIN hashes, and sessions are device state, not facts about the set.
-- What matters for the record (a lockout) is appended as an event by the service.

-- One PIN per person of a production, as an argon2id hash (never the PIN itself).
CREATE TABLE auth_pins (
    production TEXT NOT NULL,
    person     TEXT NOT NULL,
    pin_hash   TEXT NOT NULL,
    set_by     TEXT NOT NULL,            -- person ID, or 'cli' / 'demo'
    set_at     TEXT NOT NULL,            -- wall clock, ISO 8601 UTC
    PRIMARY KEY (production, person)
);

-- Consecutive wrong PINs and the lockout they caused (five wrong: five minutes).
CREATE TABLE auth_failures (
    production   TEXT    NOT NULL,
    person       TEXT    NOT NULL,
    failures     INTEGER NOT NULL CHECK (failures >= 0),
    locked_until TEXT,                   -- ISO 8601 UTC, NULL when not locked
    PRIMARY KEY (production, person)
);

-- Server-side sessions. Only the SHA-256 of the cookie token is kept, so a copy of this file
-- does not let anyone sign in.
CREATE TABLE auth_sessions (
    token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
    production TEXT NOT NULL,
    person     TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
