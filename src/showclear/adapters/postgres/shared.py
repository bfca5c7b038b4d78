"""One connection shared by a server's request threads, for the studio's small tables (sign-in,
the dashboard's reads): serialised by a lock of its own, migrated on open, reopened after a
lost connection (the loss itself is reported to the caller that met it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from showclear.adapters.postgres.schema import migrate
from showclear.adapters.postgres.store import (
    Connection,
    _open_connection,
    _translate,
    describe,
)
from showclear.ports import StoreClosedError

__all__ = ["SharedConnection"]


class SharedConnection:
    def __init__(self, conninfo: str, application_name: str) -> None:
        self._conninfo = conninfo
        self._application_name = application_name
        self._label = describe(conninfo)
        self._lock = threading.Lock()
        self._closed = False
        conn = _open_connection(conninfo, self._label, application_name)
        try:
            with _translate(self._label):
                migrate(conn, label=self._label)
        except BaseException:
            conn.close()
            raise
        self._conn: Connection | None = conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()

    @contextmanager
    def _use(self) -> Iterator[Connection]:
        """The connection, under the lock; psycopg errors leave as StoreErrors."""
        with self._lock, _translate(self._label):
            if self._closed:
                raise StoreClosedError(f"{self._label}: store is closed")
            if self._conn is None or self._conn.closed:
                self._conn = _open_connection(self._conninfo, self._label, self._application_name)
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction, committed when the block ends (rolled back if it raises)."""
        with self._use() as conn, conn.transaction():
            yield conn
