"""Stores built by running the drills through the CLI, shared by the report tests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.demo import ensure_demo
from showclear.bootstrap import ledger_for
from showclear.views import documents as document
from showclear.views.documents import Document
from showclear.views.source import load_source
from showclear.web.app import Ctx, create_app

ROOT = Path(__file__).resolve().parents[2]
DRILLS = ROOT / "drills"
SHOWCLEAR = [str(Path(sys.executable).parent / "showclear")]


def showclear(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SHOWCLEAR, *map(str, args)], capture_output=True, text=True, check=False, cwd=ROOT
    )


def drill_store(directory: Path, drill: str) -> Path:
    db = directory / f"{drill}.db"
    r = showclear("drill", "run", DRILLS / f"{drill}.jsonl", "--db", db)
    assert r.returncode == 0, r.stdout + r.stderr
    return db


def status_json(db: Path) -> dict[str, object]:
    r = showclear("status", "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    status: dict[str, object] = json.loads(r.stdout)
    return status


@pytest.fixture(scope="session")
def action_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drill_store(tmp_path_factory.mktemp("action"), "action-day")


@pytest.fixture(scope="session")
def rust_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drill_store(tmp_path_factory.mktemp("rust"), "rust-day")


@pytest.fixture(scope="session")
def action_day_log(action_day: Path) -> Document:
    """The daily log of the action-day drill's busy day: long enough for the compact layout."""
    store = SQLiteEventStore(action_day)
    try:
        node = ledger_for(action_day, store)
        source = load_source(store, "demo", node.key_fingerprint)
    finally:
        store.close()
    return document.daily(source, "2025-03-14")


@pytest.fixture()
def signed_in(tmp_path: Path) -> Iterator[tuple[TestClient, Ctx]]:
    """A client of the demo web app signed in as the armorer, after checking that the report
    page and a download both send a stranger to sign in."""
    app = create_app(tmp_path / "web.db")
    ctx: Ctx = app.state.ctx
    ensure_demo(ctx.app, ctx.auth)
    with TestClient(app) as client:
        for url in ("/p/demo/reports/daily", "/p/demo/reports/daily.pdf"):
            r = client.get(url, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].endswith("/signin"), url
        r = client.post("/api/productions/demo/session", json={"person": "arm", "pin": "2002"})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client, ctx
