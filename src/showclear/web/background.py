"""Run the app on a loopback port in a background thread (tests, screenshots, bench http)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Server(uvicorn.Server):
    """uvicorn, ending the app's live streams first when it shuts down.

    uvicorn waits for open responses before the app's own shutdown runs; a screen's
    server-sent-event stream never ends by itself, so without this every stop waited out the
    graceful timeout and cancelled the streams ("Cancel 2 running task(s)").
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        broker = getattr(getattr(getattr(app, "state", None), "ctx", None), "broker", None)
        if broker is not None:
            broker.close_all()
        await super().shutdown(sockets)


def serve(app: FastAPI, host: str, port: int, log_level: str = "warning") -> None:
    """Run `app` in the foreground until interrupted (`showclear serve`)."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=2
    )
    # uvicorn re-raises the Ctrl-C it handled once it has shut down cleanly; as uvicorn.run
    # does, a stop asked for is a normal end (exit status 0).
    with contextlib.suppress(KeyboardInterrupt):
        Server(config).run()


class BackgroundServer:
    """`with BackgroundServer(app) as url:` serves `app` on http://127.0.0.1:<free port>."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", timeout_graceful_shutdown=1
        )
        self.server = Server(config)
        self.thread = threading.Thread(target=self.server.run, name="showclear-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
