"""Fixtures for the web tests: a real store, the demo seed, uvicorn on a loopback port.

`live` runs on a SQLite file; a test marked ``@pytest.mark.both_backends`` runs twice, the
second time on a node on the session's PostgreSQL server (what `showclear serve --store`
runs), with its signing keys in a folder named by $SHOWCLEAR_KEYS (set for the test), so a
test that starts a second server on `live.db` opens the same database with the same keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backends import node_store
from showclear.app.clock import local_now
from showclear.app.demo import ensure_demo
from showclear.web.app import Ctx, create_app
from showclear.web.background import BackgroundServer
from web.support import CHROMIUM, CHROMIUM_ARGS, Live, SetClock


def _serve(db: str | Path, **options: Any) -> Iterator[Live]:
    app = create_app(db, **options)
    ctx: Ctx = app.state.ctx
    ensure_demo(ctx.app, ctx.auth)
    with BackgroundServer(app) as url:
        yield Live(url, ctx, db, app.state.node)


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_backends") is not None:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def live_store(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str | Path:
    """The store the live server runs on: a SQLite file, or a PostgreSQL URL (dropped after)."""
    return node_store(backend, tmp_path, request, monkeypatch, "web.db")


@pytest.fixture
def live(live_store: str | Path) -> Iterator[Live]:
    yield from _serve(live_store)


@pytest.fixture
def clock() -> SetClock:
    return SetClock(local_now())


@pytest.fixture
def clocked(live_store: str | Path, clock: SetClock) -> Iterator[Live]:
    """`live` on a node whose clock (commands, lockouts, sessions) moves only with `clock`."""
    yield from _serve(live_store, clock=clock)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: run scripts/install-system-deps.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
