"""Versioned schema migrations.

Migrations are SQL files named ``NNNN_name.sql`` shipped as package data under
``adapters/sqlite/migrations/``. Each one is applied once, in version order, in its own
transaction, and recorded in ``schema_migrations``. A database whose schema is newer than
the migrations this code ships is refused rather than guessed at.
"""

from __future__ import annotations

import functools
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from showclear.adapters.migrations import Migration, check_known, read_folder

__all__ = ["Migration", "applied_migrations", "load_migrations", "migrate_sqlite"]


def load_migrations(dialect: str = "sqlite") -> list[Migration]:
    """The shipped SQLite migrations, in version order (versions are 1..N, no gaps)."""
    return list(_shipped())


@functools.cache
def _shipped() -> tuple[Migration, ...]:
    # Read once per process, from the package's own folder: importlib.resources costs about
    # 3 ms on first use, which every command and every proof would pay when opening a store.
    return tuple(read_folder(Path(__file__).with_name("migrations"), "sqlite"))


def split_statements(sql: str) -> list[str]:
    """Split a script into single statements (trigger bodies stay whole)."""
    statements: list[str] = []
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _has_code(buffer.rstrip(";")):
        raise ValueError(f"incomplete SQL statement at end of script: {buffer.strip()!r}")
    return statements


def _has_code(sql: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in sql.splitlines())
    return any(line and line != ";" for line in lines)


def applied_migrations(conn: sqlite3.Connection) -> dict[int, str]:
    """Version -> name of every migration recorded in the database."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return {}
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")
    return {int(version): str(name) for version, name in rows}


def migrate_sqlite(
    conn: sqlite3.Connection, migrations: list[Migration] | None = None, *, label: str = ""
) -> list[int]:
    """Bring the database up to the newest known schema; return the versions applied now.

    `conn` must be in autocommit mode (``isolation_level=None``). Safe to run from several
    processes at once: each step re-checks under the write lock before it applies.
    """
    if migrations is None:
        migrations = load_migrations("sqlite")
    where = f"{label}: " if label else ""
    done = applied_migrations(conn)
    check_known(done, migrations, where)
    # An up-to-date database is opened without taking the write lock.
    pending = [m for m in migrations if m.version not in done]
    applied_now: list[int] = []
    for migration in pending:
        # Python 3.11's executescript() would COMMIT our transaction first, so each
        # statement is executed on its own inside an explicit IMMEDIATE transaction.
        conn.execute("BEGIN IMMEDIATE")
        try:
            # The bookkeeping table itself cannot be created by a recorded migration.
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = applied_migrations(conn)
            check_known(done, migrations, where)
            if migration.version not in done:
                for statement in split_statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).isoformat()),
                )
                applied_now.append(migration.version)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return applied_now
