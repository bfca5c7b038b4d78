"""Shared pieces of the web tests: the live server handle and Chromium's launch options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Page

from showclear.app.demo import PINS
from showclear.bootstrap import Node
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
    db: Path | str  # a SQLite file, or the PostgreSQL URL of a studio node
    node: Node | None = None  # the node behind the server

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


def sign_in(page: Page, live: Live, person: str) -> None:
    """Sign a demo person in on the sign-in screen, with their demo PIN."""
    page.goto(f"{live.url}/p/demo/signin")
    page.fill("#person", person)
    page.fill("#pin", PINS[person])
    page.click("#signin")
    page.wait_for_url(f"{live.url}/p/demo/")
