"""Fixtures for the alert tests: `alert_store`, the store a node under test runs on, once on a
SQLite file (a set node) and once on the session's PostgreSQL server (the studio's node,
`serve --store`), with its signing keys in the folder $SHOWCLEAR_KEYS names (set for the test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backends import BACKENDS, node_store


@pytest.fixture(params=BACKENDS)
def alert_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str | Path:
    """A new store's location: a SQLite file path, or a `postgresql://` URL (dropped after)."""
    return node_store(request.param, tmp_path, request, monkeypatch, "set.db")
