"""Shared pieces of the web tests: the live server handle and Chromium's launch options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from showclear.views.envelopes import envelopes
from showclear.web.app import Ctx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class SetClock:
    """The node's clock for a test: it stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass
class Live:
    url: str
    ctx: Ctx
    db: Path

    def client(self, person: str | None = None, pin: str | None = None) -> httpx.Client:
        """An API client, signed in when `person` is given (CSRF header set)."""
        c = httpx.Client(base_url=self.url, timeout=10)
        if person is not None:
            r = c.post("/api/productions/demo/session", json={"person": person, "pin": pin})
            assert r.status_code == 200, r.text
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    def events(self, production: str = "demo") -> list[dict]:
        return self.ctx.app.read(lambda store: envelopes(store, production))
