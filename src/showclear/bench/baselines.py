"""Baselines that `showclear bench append` runs in the same process, to print ratios.

Each one writes to a fresh SQLite file with the durability ShowClear promises (WAL,
``synchronous=FULL``): the ratio to the raw SQLite figure shows what the store adds on top of
the fsync per commit, and the ratio to `eventsourcing` shows how a general-purpose library fares.

The raw-SQLite baseline is the one module outside `showclear.adapters` that uses a database
driver: it measures the driver itself. `.importlinter` names it as the only exception to the
drivers-only-in-adapters contract.
"""

from __future__ import annotations

import functools
import math
import sqlite3
import time
from pathlib import Path
from typing import Any

_BLOB = bytes(range(256)) + bytes(44)  # 300 bytes, about one canonical event envelope


def raw_sqlite_commits_per_s(path: Path, n: int) -> float:
    """Single-row INSERT+COMMIT transactions per second on a fresh file, as the store sets it up."""
    _check_fresh(path, n)
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        start = time.perf_counter()
        for _ in range(n):
            # Same transaction shape as SQLiteEventStore.append.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO raw (body) VALUES (?)", (_BLOB,))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    return _rate(n, elapsed)


def eventsourcing_per_s(path: Path, n: int) -> float:
    """Events per second for the `eventsourcing` library (9.x) on SQLite, one event per save.

    Its SQLite recorder turns on WAL itself but never sets ``synchronous``, so it would get
    SQLite's compiled-in default; here every pooled connection is set to FULL explicitly, and
    the setting is checked after the run.
    """
    _check_fresh(path, n)
    armoury_class, firearm_class = _eventsourcing_classes()
    app = armoury_class(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "10",
            "CREATE_TABLE": "y",
        }
    )
    try:
        firearm = firearm_class(serial="SC-0001")
        app.save(firearm)
        start = time.perf_counter()
        for i in range(n):
            firearm.issued(to=f"cast:{i % 12}", setup=f"{i % 40}A")
            app.save(firearm)
        elapsed = time.perf_counter() - start
        with app.factory.datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
        if synchronous != 2:
            raise RuntimeError(f"eventsourcing baseline ran with synchronous={synchronous}")
    finally:
        app.close()
    return _rate(n, elapsed)


@functools.cache
def _eventsourcing_classes() -> tuple[Any, Any]:
    # Built once: eventsourcing registers each class under its topic and refuses a second
    # class with the same topic; imported lazily because eventsourcing is a dev dependency.
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
    from eventsourcing.utils import Environment

    class FullSyncPool(SQLiteConnectionPool):
        def _create_connection(self) -> SQLiteConnection:
            connection = super()._create_connection()
            connection._sqlite_conn.execute("PRAGMA synchronous = FULL")
            return connection

    class Armoury(Application[Any]):
        name = "ShowClearBaseline"

        def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
            factory = super().construct_factory(env)
            if not isinstance(factory, SQLiteFactory):
                raise RuntimeError(f"expected the SQLite factory, got {type(factory).__name__}")
            old = factory.datastore.pool
            # No connection exists yet: the first is made when tables are created.
            factory.datastore.pool = FullSyncPool(
                db_name=old.db_name, lock_timeout=old.lock_timeout
            )
            old.close()
            return factory

    class Firearm(Aggregate):
        def __init__(self, serial: str) -> None:
            self.serial = serial
            self.holder: str | None = None
            self.setup: str | None = None

        @event("Issued")
        def issued(self, to: str, setup: str) -> None:
            self.holder = to
            self.setup = setup

    return Armoury, Firearm


def _check_fresh(path: Path, n: int) -> None:
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if Path(path).exists():
        # A baseline must start from an empty file, and must never touch a real store.
        raise FileExistsError(f"{path} already exists; baselines need a fresh path")


def _rate(n: int, elapsed: float) -> float:
    # A clock too coarse to see the run would give inf; report the smallest measurable time.
    return n / max(elapsed, math.ulp(1.0))
