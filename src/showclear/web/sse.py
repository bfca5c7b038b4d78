"""Server-sent events: every commit is pushed to every open screen of that production.

Service.subscribe calls `Broker.publish` on the writer thread after each commit; each client
has its own asyncio queue, fed with `call_soon_threadsafe` on the server's event loop. The
message is small (the new head and whether work is stopped); screens then re-fetch the
fragments they show (htmx), so a slow client never holds the writer up.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

from showclear.domain import Outcome, State

KEEPALIVE_S = 15.0
QUEUE_LIMIT = 100  # a client this far behind only needs the latest state: drop the backlog


class Broker:
    def __init__(self) -> None:
        self._clients: dict[str, set[asyncio.Queue[str | None]]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False  # shutting down: a stream opened now ends at once

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, production: str, outcome: Outcome, state: State) -> None:
        """Service subscriber (runs on the writer thread)."""
        message = json.dumps(
            {"head": state.version, "stop": state.stop is not None, "verdict": outcome.verdict}
        )
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with self._lock:
            queues = list(self._clients.get(production, ()))
        for q in queues:
            loop.call_soon_threadsafe(self._offer, q, message)

    @staticmethod
    def _offer(q: asyncio.Queue[str | None], message: str) -> None:
        if q.qsize() >= QUEUE_LIMIT:
            while not q.empty():
                q.get_nowait()
        q.put_nowait(message)

    def close_all(self) -> None:
        """Ends every stream (server shutdown), so uvicorn need not wait for them."""
        loop = self._loop
        with self._lock:
            self._closed = True
            queues = [q for qs in self._clients.values() for q in qs]
        if loop is not None and not loop.is_closed():
            for q in queues:
                loop.call_soon_threadsafe(q.put_nowait, None)

    def clients(self, production: str) -> int:
        with self._lock:
            return len(self._clients.get(production, ()))

    async def stream(self, production: str, head: int) -> AsyncIterator[str]:
        q: asyncio.Queue[str | None] = asyncio.Queue()
        with self._lock:
            if self._closed:
                return
            self._clients.setdefault(production, set()).add(q)
        try:
            # The first message lets a screen that was rendered before a commit catch up.
            yield _frame("change", json.dumps({"head": head, "hello": True}))
            while True:
                try:
                    message = await asyncio.wait_for(q.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if message is None:
                    return
                yield _frame("change", message)
        finally:
            with self._lock:
                self._clients.get(production, set()).discard(q)


def _frame(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {data}\n\n"
