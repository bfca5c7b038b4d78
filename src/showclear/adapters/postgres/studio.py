"""The studio's sync records on PostgreSQL (migration 0007): the writer of each production, the
alerts for studio safety, and when each node last pushed. The tables live beside the events
(`PostgresEventStore` migrates them); this object holds a connection of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import starmap

from psycopg import errors as pg_errors

from showclear.adapters.postgres.shared import SharedConnection
from showclear.ports import (
    ConcurrencyError,
    StoreError,
    SyncAlert,
    SyncNode,
    WriterRecord,
)

__all__ = ["PostgresStudioRecords"]

_WRITER_COLUMNS = "production, version, node_key, kind, statement, recorded_at"
_ALERT_COLUMNS = "id, production, node_key, reason, first_diverging, message, recorded_at"
_NODE_COLUMNS = "production, node_key, last_push_at, tree_size, cosigned_at"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class PostgresStudioRecords(SharedConnection):
    """`showclear.ports.StudioRecords` on the studio's database: one connection shared by the
    sync endpoint's request threads (`SharedConnection`: serialised, migrated on open,
    reopened after a lost connection)."""

    def __init__(self, conninfo: str) -> None:
        super().__init__(conninfo, "showclear-studio-sync")

    def writer(self, production: str) -> WriterRecord | None:
        with self._use() as conn:
            row = conn.execute(
                f"SELECT {_WRITER_COLUMNS} FROM studio_writers WHERE production = %s "
                "ORDER BY version DESC LIMIT 1",
                (production,),
            ).fetchone()
        return None if row is None else WriterRecord(*row)

    def writers(self) -> list[WriterRecord]:
        with self._use() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT ON (production) {_WRITER_COLUMNS} FROM studio_writers "
                "ORDER BY production, version DESC"
            ).fetchall()
        return list(starmap(WriterRecord, rows))

    def add_writer(
        self, production: str, version: int, node_key: str, kind: str, statement: str
    ) -> WriterRecord:
        record = WriterRecord(production, version, node_key, kind, statement, _now())
        try:
            with self._write() as conn:
                current = conn.execute(
                    "SELECT coalesce(max(version), 0) FROM studio_writers WHERE production = %s",
                    (production,),
                ).fetchone()
                assert current is not None
                if int(current[0]) != version - 1:
                    raise ConcurrencyError(production, version - 1, int(current[0]))
                conn.execute(
                    f"INSERT INTO studio_writers ({_WRITER_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (production, version, node_key, kind, statement, record.recorded_at),
                )
        except ConcurrencyError:
            raise
        except StoreError as e:
            if isinstance(e.__cause__, pg_errors.UniqueViolation):  # another change took it
                raise ConcurrencyError(production, version - 1, version) from e
            raise
        return record

    def add_sync_alert(
        self,
        production: str,
        node_key: str,
        reason: str,
        first_diverging: int | None,
        message: str,
    ) -> SyncAlert:
        at = _now()
        with self._use() as conn:
            row = conn.execute(
                "INSERT INTO studio_alerts (production, node_key, reason, first_diverging, "
                "message, recorded_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (production, node_key, reason, first_diverging, message, at),
            ).fetchone()
        assert row is not None
        return SyncAlert(int(row[0]), production, node_key, reason, first_diverging, message, at)

    def sync_alerts(self, limit: int = 100) -> list[SyncAlert]:
        with self._use() as conn:
            rows = conn.execute(
                f"SELECT {_ALERT_COLUMNS} FROM studio_alerts ORDER BY id DESC LIMIT %s",
                (limit,),
            ).fetchall()
        return list(starmap(SyncAlert, rows))

    def note_push(self, production: str, node_key: str, tree_size: int, *, cosigned: bool) -> None:
        at = _now()
        with self._use() as conn:
            # Committed without waiting for the WAL flush (the port allows it): the push's
            # events and co-signed checkpoint were one durable commit already, and a second
            # flush per push cost the studio's ingest a tenth of its rate. set_config(..., true)
            # holds for this statement's own transaction only: one round trip, not four.
            conn.execute(
                f"INSERT INTO studio_sync_nodes ({_NODE_COLUMNS}) SELECT %s, %s, %s, %s, %s "
                "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit "
                "ON CONFLICT (production, node_key) DO UPDATE SET "
                "last_push_at = excluded.last_push_at, "
                "tree_size = greatest(studio_sync_nodes.tree_size, excluded.tree_size), "
                "cosigned_at = coalesce(excluded.cosigned_at, studio_sync_nodes.cosigned_at)",
                (production, node_key, at, tree_size, at if cosigned else None),
            )

    def sync_nodes(self) -> list[SyncNode]:
        with self._use() as conn:
            rows = conn.execute(
                f"SELECT {_NODE_COLUMNS} FROM studio_sync_nodes ORDER BY last_push_at DESC"
            ).fetchall()
        return list(starmap(SyncNode, rows))
