"""One SQLite connection shared by threads, serialised by a lock of its own: what the side
tables next to the record use (sign-in, alert delivery). Every write is one IMMEDIATE
transaction (SQLite's write lock taken up front), so it is atomic across threads and processes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from showclear.adapters.sqlite.store import BUSY_TIMEOUT_MS, translate_errors


class SharedConnection:
    def __init__(self, path: str | Path) -> None:
        self._label = str(path)
        with translate_errors(self._label):
            self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA synchronous = FULL")  # a write is on disk when it returns
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, translate_errors(self._label):
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (SQLite's write lock taken up front), under our lock."""
        with self._lock, translate_errors(self._label):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
