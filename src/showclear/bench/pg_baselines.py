"""The raw-PostgreSQL baselines of `showclear bench studio-board` and `studio-ingest` (raw COPY
of the rows the studio stores for a pushed range), and the server settings the figures were
measured under.

The only benchmark module that talks to the driver itself (.importlinter allows this one, as it
allows the raw-SQLite baseline): a baseline must be the database doing the same reads with
nothing of ShowClear around them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg

from showclear.ledger.canonical import decode_payload

__all__ = ["HEADS_SQL", "RawConnection", "RawCopy", "server_settings"]

# The same skip scan the dashboard's heads query uses (adapters/postgres/dashboard.py), typed
# here again on purpose: the baseline is the bare query, not ShowClear's code.
HEADS_SQL = """
WITH RECURSIVE p(production) AS (
    (SELECT production FROM events ORDER BY production LIMIT 1)
    UNION ALL
    SELECT (SELECT production FROM events WHERE production > p.production
            ORDER BY production LIMIT 1) FROM p WHERE p.production IS NOT NULL)
SELECT production, (SELECT seq FROM events WHERE events.production = p.production
                    ORDER BY seq DESC LIMIT 1)
FROM p WHERE production IS NOT NULL
"""

SETTINGS = (
    "server_version",
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "fsync",
    "synchronous_commit",
    "synchronous_standby_names",
    "wal_level",
    "max_connections",
)


class RawConnection:
    """One plain psycopg connection for the baselines."""

    def __init__(self, conninfo: str) -> None:
        self.conn = psycopg.connect(conninfo, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def heads_s(self) -> tuple[float, int]:
        """Seconds for the bare heads query, and how many productions it named."""
        start = time.perf_counter()
        rows = self.conn.execute(HEADS_SQL).fetchall()
        return time.perf_counter() - start, len(rows)

    def payloads_s(self, production: str) -> tuple[float, int]:
        """Seconds to read one production's payloads in one query and parse each (orjson)."""
        start = time.perf_counter()
        with self.conn.cursor(binary=True) as cur:
            cur.execute(
                "SELECT payload FROM events WHERE production = %s ORDER BY seq", (production,)
            )
            count = 0
            for (payload,) in cur:
                decode_payload(payload)
                count += 1
        return time.perf_counter() - start, count


def server_settings(conninfo: str) -> dict[str, Any]:
    """The server's settings that bear on the figures (recorded with every run)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT " + ", ".join("current_setting(%s)" for _ in SETTINGS), SETTINGS
        ).fetchone()
    assert row is not None
    return dict(zip(SETTINGS, (str(v) for v in row), strict=True))


# -- studio-ingest: the same rows a push stores, written with COPY ------------------------------

_COLUMNS = "position, production, seq, type, version, actor, at, recorded_at, payload, leaf_hash"
_TYPES = ("int8", "text", "int8", "text", "int4", "text", "text", "text", "bytea", "bytea")


class RawCopy:
    """COPY of pushed rows into ``bench_raw_copy`` (made fresh, like `events`)."""

    def __init__(self, conninfo: str) -> None:
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.conn.execute("SET synchronous_commit = on")
        self.conn.execute("DROP TABLE IF EXISTS bench_raw_copy")
        self.conn.execute(
            "CREATE TABLE bench_raw_copy (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING INDEXES)"
        )
        self.position = 0

    def run(self, batches: Sequence[Sequence[tuple[Any, ...]]]) -> float:
        """Seconds to COPY every batch, each its own durable transaction."""
        start = time.perf_counter()
        for batch in batches:
            with self.conn.transaction(), self.conn.cursor() as cur:
                copy_sql = f"COPY bench_raw_copy ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
                with cur.copy(copy_sql) as copy:
                    copy.set_types(_TYPES)
                    for row in batch:
                        self.position += 1
                        copy.write_row((self.position, *row))
        return time.perf_counter() - start

    def close(self) -> None:
        self.conn.execute("DROP TABLE IF EXISTS bench_raw_copy")
        self.conn.close()
