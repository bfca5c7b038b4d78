"""Fixtures for the alert tests: `alert_store`, the store a node under test runs on, once on a
SQLite file (a set node) and once on the session's PostgreSQL server (the studio's node,
`serve --store`), with its signing keys in the folder $SHOWCLEAR_KEYS names (set for the test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pg import database_for, database_name, store_url
from showclear.bootstrap import KEYS_ENV

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def alert_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str | Path:
    """A new store's location: a SQLite file path, or a `postgresql://` URL (dropped after)."""
    if request.param == "sqlite":
        return tmp_path / "set.db"
    server = request.getfixturevalue("postgres_server")
    where = tmp_path / "studio"
    request.addfinalizer(lambda: server.drop_database(database_name(where)))
    monkeypatch.setenv(KEYS_ENV, str(tmp_path / "studio.keys"))
    return store_url(database_for(where))
