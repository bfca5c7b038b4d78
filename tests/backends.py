"""Both storage backends behind one helper, for tests that must pass on either.

`open_store("sqlite" | "postgresql", where, request)` opens a fresh, empty store keyed by the
folder `where`: a SQLite file in it, or a PostgreSQL database named after it on the session's
server (started on first use, dropped when the test or fixture that asked for it ends).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pg import database_name
from showclear.adapters.postgres import PostgresEventStore
from showclear.adapters.sqlite.store import SQLiteEventStore

BACKENDS = ("sqlite", "postgresql")


def open_store(kind: str, where: Path, request: pytest.FixtureRequest) -> Any:
    """A new empty store of `kind`; PostgreSQL's database is dropped at the requester's end."""
    if kind == "sqlite":
        return SQLiteEventStore(where / "store.db")
    if kind != "postgresql":
        raise ValueError(f"unknown backend {kind!r}")
    server = request.getfixturevalue("postgres_server")
    name = database_name(where)
    server.drop_database(name)
    request.addfinalizer(lambda: server.drop_database(name))
    return PostgresEventStore(server.create_database(name))
