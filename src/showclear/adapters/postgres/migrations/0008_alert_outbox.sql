-- Alert delivery on the studio's node (showclear/app/delivery.py), as on a set node (the SQLite
-- store's 0006_alert_outbox): kept next to the record and out of the ledger. What must be sent
-- is the record itself (each committed `alert_raised`); these tables hold only what the record
-- must not: addresses, and the attempts a restart needs to know of.
-- contact_addresses: a person's e-mail address or Apprise URL under the fingerprint that the
-- record's `contact_set` event holds (the record never holds an address: it may hold a token).
-- delivery_attempts: every send attempt, committed BEFORE the send (in_flight) and closed after
-- it; the outcome itself is an `alert_delivered` / `alert_delivery_failed` event in the record.
-- While a worker sends, it holds the delivery's advisory lock (a session lock, so a server
-- process that dies drops it): a second server process on this database skips that delivery.
CREATE TABLE contact_addresses (
    production  text        NOT NULL,
    fingerprint text        NOT NULL CHECK (length(fingerprint) = 64),
    address     text        NOT NULL,
    stored_at   timestamptz NOT NULL,
    PRIMARY KEY (production, fingerprint)
);

CREATE TABLE delivery_attempts (
    production text        NOT NULL,
    alert      bigint      NOT NULL,
    person     text        NOT NULL,
    channel    text        NOT NULL,
    attempts   integer     NOT NULL CHECK (attempts >= 0),
    in_flight  boolean     NOT NULL,
    next_at    text,                    -- ISO 8601 by the node's clock, as the worker wrote it
    last_error text,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (production, alert, person, channel)
);
