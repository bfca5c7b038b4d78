"""The web app on a PostgreSQL node (`showclear serve --store`): what the SQLite node's tests do
not already show on both backends (see ``both_backends`` in conftest.py): two servers writing
one production at once, the board and a signed PDF report, and the command line's serve."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from showclear.bootstrap import open_backend
from showclear.ledger.canonical import decode
from showclear.web.app import create_app
from showclear.web.background import BackgroundServer
from web.support import Live
from web.test_api import ISSUE

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def test_two_servers_writing_one_production_leave_no_gap_and_no_duplicate(live: Live) -> None:
    # A second server process's node on the same database: its own writer, its own cached
    # state. Eight clients (four on each) report concerns at once: each append is decided on
    # a head the other server may have moved, and the store serialises them.
    second = create_app(live.db)
    with BackgroundServer(second) as url2:
        servers = [live, Live(url2, live.ctx, live.db)]
        clients = [servers[i % 2].client("crew", "7007") for i in range(8)]
        before = len(live.events())
        barrier = threading.Barrier(len(clients))
        answers: list[int] = []
        lock = threading.Lock()

        def report(i: int, c: httpx.Client) -> None:
            barrier.wait(10)
            for k in range(5):
                body = {"type": "report_concern", "concern": f"c{i}-{k}", "text": f"{i}/{k}"}
                # A command that lost the race to the other server twice is answered 503
                # ("nothing was recorded; retry"): a client retries it, as a tablet does,
                # for as long as a person would (on a loaded machine the race is lost often).
                deadline = time.monotonic() + 120
                while True:
                    r = c.post("/api/productions/demo/commands", json=body)
                    with lock:
                        answers.append(r.status_code)
                    if r.status_code != 503 or time.monotonic() > deadline:
                        break
                    assert r.json()["type"] == "/api/problems/unavailable"

        threads = [threading.Thread(target=report, args=(i, c)) for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not any(t.is_alive() for t in threads), "a client never got its answers"
    assert answers.count(200) == 40 and set(answers) <= {200, 503}
    store = open_backend(live.db)
    try:
        rows = list(store.read("demo"))
    finally:
        store.close()
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
    reported = [decode(e.payload)["data"]["concern"] for e in rows if e.type == "concern_raised"]
    assert sorted(reported) == sorted(f"c{i}-{k}" for i in range(8) for k in range(5))
    assert len(rows) >= before + 40


def test_the_board_and_a_signed_report_from_the_studio_node(live: Live) -> None:
    arm = live.client("arm", "2002")
    assert arm.post("/api/productions/demo/commands", json=ISSUE).status_code == 200
    board = arm.get("/api/productions/demo/board").json()
    colt = next(f for f in board["firearms"] if f["id"] == "colt45")
    assert colt["custodian"]["id"] == "lead" and board["production"] == "demo"
    assert live.ctx.app.ledger is not None
    live.ctx.app.ledger.flush()  # the report is built up to the latest signed checkpoint
    pdf = arm.get("/p/demo/reports/daily.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


def test_serve_store_runs_the_studio_from_the_command_line(
    live_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    showclear = [str(Path(sys.executable).with_name("showclear"))]
    # Without a key folder the studio is refused before it listens, naming what to give.
    monkeypatch.delenv("SHOWCLEAR_KEYS")
    done = subprocess.run([*showclear, "serve", "--store", live_store], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "--keys DIR" in done.stderr
    done = subprocess.run([*showclear, "serve", "--store", "set.db"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "PostgreSQL URL" in done.stderr
    port = _free_port()
    keys = tmp_path / "k"
    server = subprocess.Popen(
        [*showclear, "serve", "--store", live_store, "--keys", str(keys), "--demo",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        c = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5)
        deadline = time.monotonic() + 60
        while True:
            try:
                r = c.post("/api/productions/demo/session", json={"person": "arm", "pin": "2002"})
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert r.status_code == 200
        assert (keys / "ledger_ed25519.vkey").is_file()
    finally:
        server.terminate()
        server.wait(30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
