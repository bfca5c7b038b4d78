"""Fixtures for the web tests: a real SQLite file, the demo seed, uvicorn on a loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from showclear.app.clock import local_now
from showclear.app.demo import ensure_demo
from showclear.web.app import Ctx, create_app
from showclear.web.background import BackgroundServer
from web.support import CHROMIUM, CHROMIUM_ARGS, Live, SetClock


def _serve(db: Path, **options: Any) -> Iterator[Live]:
    app = create_app(db, **options)
    ctx: Ctx = app.state.ctx
    ensure_demo(ctx.app, ctx.auth)
    with BackgroundServer(app) as url:
        yield Live(url, ctx, db)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    yield from _serve(tmp_path / "web.db")


@pytest.fixture
def clock() -> SetClock:
    return SetClock(local_now())


@pytest.fixture
def clocked(tmp_path: Path, clock: SetClock) -> Iterator[Live]:
    """`live` on a node whose clock (commands, lockouts, sessions) moves only with `clock`."""
    yield from _serve(tmp_path / "web.db", clock=clock)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: run scripts/install-system-deps.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
