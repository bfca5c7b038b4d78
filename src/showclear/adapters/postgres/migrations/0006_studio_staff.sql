-- The studio's own staff, who sign in to the studio dashboard (not to any production): a
-- studio administrator or a studio safety officer. Their PINs, lockouts and sessions are in the
-- auth_* tables under the production key '' (no production has an empty ID).
CREATE TABLE studio_staff (
    person   text        PRIMARY KEY,
    name     text        NOT NULL,
    role     text        NOT NULL CHECK (role IN ('studio_admin', 'studio_safety')),
    added_by text        NOT NULL,
    added_at timestamptz NOT NULL
);

-- What happened to the staff and their sign-in, for the record: added, role changed, PIN set
-- or reset, locked out. Append-only, like the event log.
CREATE TABLE studio_staff_events (
    id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    person text        NOT NULL,
    kind   text        NOT NULL,
    by     text        NOT NULL,
    detail text        NOT NULL DEFAULT ''
);

CREATE TRIGGER studio_staff_events_append_only BEFORE UPDATE OR DELETE ON studio_staff_events
    FOR EACH ROW EXECUTE FUNCTION showclear_refuse_change();

CREATE TRIGGER studio_staff_events_no_truncate BEFORE TRUNCATE ON studio_staff_events
    FOR EACH STATEMENT EXECUTE FUNCTION showclear_refuse_change();
