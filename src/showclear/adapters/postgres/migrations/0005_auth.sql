-- Sign-in for the web app and API, as on a set node (the SQLite store's 0004_auth): outside the
-- event ledger on purpose. An exported ledger must never carry PIN hashes, and sessions are
-- device state, not facts about the set. A lockout, which matters for the record, is appended
-- as an event by the service.

-- One PIN per person of a production, as an argon2id hash (never the PIN itself).
CREATE TABLE auth_pins (
    production text        NOT NULL,
    person     text        NOT NULL,
    pin_hash   text        NOT NULL,
    set_by     text        NOT NULL,     -- person ID, or 'cli' / 'demo'
    set_at     timestamptz NOT NULL,
    PRIMARY KEY (production, person)
);

-- Consecutive wrong PINs and the lockout they caused (five wrong: five minutes). Counting an
-- attempt locks its row (SELECT ... FOR UPDATE), so attempts on several connections queue.
CREATE TABLE auth_failures (
    production   text        NOT NULL,
    person       text        NOT NULL,
    failures     integer     NOT NULL CHECK (failures >= 0),
    locked_until timestamptz,            -- NULL when not locked
    PRIMARY KEY (production, person)
);

-- Server-side sessions. Only the SHA-256 of the cookie token is kept, so a copy of this table
-- does not let anyone sign in.
CREATE TABLE auth_sessions (
    token_hash bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    production text        NOT NULL,
    person     text        NOT NULL,
    csrf_token text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- A new PIN ends every session of its person.
CREATE INDEX auth_sessions_person ON auth_sessions (production, person);
