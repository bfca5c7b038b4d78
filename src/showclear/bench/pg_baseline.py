"""The raw-COPY baseline of `showclear bench studio-ingest`: the same rows the studio stores for a
pushed range, written with PostgreSQL's COPY into a table shaped like `events` (same columns,
same keys and index, no triggers), one transaction per push, with the durability the store runs
with (`synchronous_commit = on`). The driver itself, measured: `.importlinter` names this module
as an exception to the drivers-only-in-adapters contract."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg

__all__ = ["RawCopy"]

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
