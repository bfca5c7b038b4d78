"""Shared parts of the alert tests: a real SMTP server (aiosmtpd), a real HTTP endpoint for
Apprise's json:// service, a clock the test moves, and a production with an SC-C07 watch."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from showclear.app.application import Application
from showclear.web.background import free_port

ROOT = Path(__file__).resolve().parents[2]
DRILL = ROOT / "drills/contact-blank-1984.jsonl"
PRODUCTION = "cover-up"
# contact-blank-1984.jsonl: setup s12 is completed at 09:15 with sw29 still with the lead, so
# SC-C07 alerts the armorer and 1st AD after 09:20 and producers after 09:25 (return_minutes 5).
COMPLETED = datetime.fromisoformat("1984-10-12T09:15:00-07:00")
FIRST_DEADLINE = COMPLETED + timedelta(minutes=5)
ESCALATION_DEADLINE = COMPLETED + timedelta(minutes=10)


class MovableClock:
    """Runs at the real pace from wherever the test puts it (`set`)."""

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self._base = start
        self._since = time.monotonic()
        self.frozen = False

    def __call__(self) -> datetime:
        with self._lock:
            if self.frozen:
                return self._base
            return self._base + timedelta(seconds=time.monotonic() - self._since)

    def set(self, when: datetime, *, frozen: bool | None = None) -> None:
        with self._lock:
            self._base, self._since = when, time.monotonic()
            if frozen is not None:
                self.frozen = frozen

    def advance(self, seconds: float) -> None:
        self.set(self() + timedelta(seconds=seconds))


class Inbox:
    """aiosmtpd's handler: every message it accepted, parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.changed = threading.Condition()
        self.refuse: dict[str, str] = {}  # recipient -> the SMTP reply refusing it
        self.rcpt_attempts: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_attempts.append(address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.changed:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            self.changed.notify_all()
        return "250 OK"

    def wait_for(self, test: Callable[[list[tuple[list[str], Message]]], bool], timeout: float
                 ) -> list[tuple[list[str], Message]]:  # fmt: skip
        deadline = time.monotonic() + timeout
        with self.changed:
            while not test(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not received within {timeout} s: {self.summary()}")
                self.changed.wait(left)
            return list(self.messages)

    def to(self, address: str) -> list[Message]:
        with self.changed:
            return [m for rcpts, m in self.messages if address in rcpts]

    def summary(self) -> list[tuple[list[str], str]]:
        return [(r, str(m["Subject"])) for r, m in self.messages]


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Hooks:
    """What a local HTTP endpoint received (Apprise's json:// posts one JSON body per send)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def wait_count(self, n: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.bodies) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.bodies)} posts, wanted {n}")
                self.changed.wait(left)
            return list(self.bodies)


@contextmanager
def http_endpoint() -> Iterator[tuple[Hooks, int]]:
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with hooks.changed:
                hooks.bodies.append(body)
                hooks.changed.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hooks, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def drill_lines(until: str = "complete_setup") -> list[dict[str, Any]]:
    """The 1984 drill's lines up to and including the first `until` (expectations dropped)."""
    lines = []
    for text in DRILL.read_text(encoding="utf-8").splitlines():
        raw = json.loads(text)
        if raw.pop("expect", {}).get("verdict") != "accepted":
            continue  # the drill's refused lines
        lines.append(raw)
        if raw["type"] == until:
            break
    return lines


def replay_until_watch(app: Application) -> None:
    """Open the production and run it to the completed setup (the SC-C07 watch starts)."""
    for raw in drill_lines():
        answer = app.replay(PRODUCTION if raw["type"] != "open_production" else None, raw)
        assert answer.verdict == "accepted", answer


def set_contact(app: Application, person: str, channel: str, address: str | None,
                actor: str = "prod") -> Any:  # fmt: skip
    raw: dict[str, Any] = {"type": "set_contact", "person": person, "channel": channel}
    if address is not None:
        raw["address"] = address
    return app.execute(PRODUCTION, raw, actor=actor)
