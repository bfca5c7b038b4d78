"""Both storage backends behind one helper, for tests that must pass on either.

`open_store("sqlite" | "postgresql", where, request)` opens a fresh, empty store keyed by the
folder `where`: a SQLite file in it, or a PostgreSQL database named after it on the session's
server (started on first use, dropped when the test or fixture that asked for it ends).
`node_store(...)` gives where a whole node is opened instead: a SQLite file's path, or the
`postgresql://` URL of a new database (its signing keys where $SHOWCLEAR_KEYS says).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pg import database_for, database_name, store_url
from showclear.adapters.postgres import PostgresEventStore
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.bootstrap import KEYS_ENV

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


def node_store(
    kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_name: str,
) -> str | Path:
    """Where a node of `kind` runs: ``tmp_path/sqlite_name``, or the URL of a new PostgreSQL
    database (dropped at the requester's end) with $SHOWCLEAR_KEYS set to a folder in
    `tmp_path`, so a second node or a child process on the URL signs with the same keys."""
    if kind == "sqlite":
        return tmp_path / sqlite_name
    if kind != "postgresql":
        raise ValueError(f"unknown backend {kind!r}")
    server = request.getfixturevalue("postgres_server")
    where = tmp_path / "studio"
    request.addfinalizer(lambda: server.drop_database(database_name(where)))
    monkeypatch.setenv(KEYS_ENV, str(tmp_path / "studio.keys"))
    return store_url(database_for(where))
