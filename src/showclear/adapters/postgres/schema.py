"""Versioned schema migrations for the PostgreSQL store.

Same rules as the SQLite store's (showclear.adapters.sqlite.schema): SQL files named
``NNNN_name.sql`` in this package's ``migrations/`` folder, numbered 1..N, each applied once in
version order and recorded in ``schema_migrations``; a database migrated by a newer ShowClear is
refused, and so is one that records a different migration under a known version.

What differs is how migrations are serialised. PostgreSQL runs DDL inside transactions, so each
migration and its bookkeeping row commit together; several processes opening a fresh database
queue on one advisory lock and each re-reads what is applied once it holds the lock. A script
goes to the server whole (no parameters: psycopg sends it as one simple query), so function
bodies need no statement splitting.
"""

from __future__ import annotations

from importlib import resources

import psycopg

from showclear.adapters.migrations import Migration, check_known, read_folder

__all__ = [
    "DELIVERY_LOCK_NAMESPACE",
    "LOCK_NAMESPACE",
    "LOG_LOCK_KEY",
    "MIGRATION_LOCK_KEY",
    "PRODUCTION_LOCK_NAMESPACE",
    "applied_migrations",
    "check_known",
    "load_migrations",
    "migrate",
]

# Advisory locks are keyed by two int4s; the first names what the second counts. These are
# ShowClear's (b"SCL\x01".., read as big-endian integers), so another application's locks on
# the same database never queue behind ours by accident.
LOCK_NAMESPACE = 0x53434C01  # second key: 0 = numbering the global log, 1 = migrations
PRODUCTION_LOCK_NAMESPACE = 0x53434C02  # second key: a production's 32-bit hash
DELIVERY_LOCK_NAMESPACE = 0x53434C03  # second key: an alert delivery's 32-bit hash (outbox.py)
LOG_LOCK_KEY = 0
MIGRATION_LOCK_KEY = 1

_CREATE_BOOKKEEPING = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version integer PRIMARY KEY, name text NOT NULL, "
    "applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
)


def load_migrations() -> list[Migration]:
    """The shipped PostgreSQL migrations, in version order (versions are 1..N, no gaps)."""
    folder = resources.files(__package__ or "showclear.adapters.postgres") / "migrations"
    return read_folder(folder, "postgres")


def applied_migrations(conn: psycopg.Connection[tuple[object, ...]]) -> dict[int, str]:
    """Version -> name of every migration recorded in the database."""
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return {}
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")
    return {int(str(version)): str(name) for version, name in rows}


def migrate(
    conn: psycopg.Connection[tuple[object, ...]],
    migrations: list[Migration] | None = None,
    *,
    label: str = "",
) -> list[int]:
    """Bring the database up to the newest known schema; return the versions applied now.

    `conn` must be in autocommit mode: each migration runs in a transaction of its own.
    """
    if migrations is None:
        migrations = load_migrations()
    where = f"{label}: " if label else ""
    done = applied_migrations(conn)
    check_known(done, migrations, where)
    # An up-to-date database is opened without taking the lock.
    if all(m.version in done for m in migrations):
        return []
    applied_now: list[int] = []
    for migration in migrations:
        with conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, MIGRATION_LOCK_KEY)
            )
            conn.execute(_CREATE_BOOKKEEPING)
            done = applied_migrations(conn)
            check_known(done, migrations, where)
            if migration.version in done:
                continue
            conn.execute(migration.sql.encode("utf-8"))
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied_now.append(migration.version)
    return applied_now
