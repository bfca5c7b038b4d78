-- Alert delivery (showclear/app/delivery.py), kept next to the record and out of the ledger.
-- contact_addresses: a person's e-mail address or Apprise URL under the fingerprint that the
-- record's `contact_set` event holds (the record never holds an address: it may hold a token).
-- delivery_attempts: every send attempt, written durably BEFORE the send (in_flight = 1) and
-- closed after it, so a restart knows which sends may have happened; the outcome itself is an
-- `alert_delivered` / `alert_delivery_failed` event in the record.
CREATE TABLE contact_addresses (
    production  TEXT NOT NULL,
    fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),
    address     TEXT NOT NULL,
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (production, fingerprint)
) WITHOUT ROWID;

CREATE TABLE delivery_attempts (
    production TEXT    NOT NULL,
    alert      INTEGER NOT NULL,
    person     TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    attempts   INTEGER NOT NULL CHECK (attempts >= 0),
    in_flight  INTEGER NOT NULL CHECK (in_flight IN (0, 1)),
    next_at    TEXT,
    last_error TEXT,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (production, alert, person, channel)
) WITHOUT ROWID;
