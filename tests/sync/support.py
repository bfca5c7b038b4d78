"""Real parts for the sync tests: set nodes on SQLite files (their own ledger keys), a studio on
the session's PostgreSQL server with its co-signing key, and its sync endpoint served by uvicorn
on a loopback port (in a thread) or as a `showclear studio serve-sync` process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pg import store_url
from showclear.adapters.postgres import PostgresEventStore
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.bootstrap import close_studio, ledger_for, open_studio, studio_init
from showclear.cli import app as cli_app
from showclear.ledger.cosignature import CosignatureVerifier
from showclear.ledger.proof import consistency_proof
from showclear.ledger.tiles import StoredTree
from showclear.ledger.witness import Push
from showclear.ports import NewEvent
from showclear.web.app import create_witness_app
from showclear.web.background import BackgroundServer, free_port

PRODUCTION = "harbor"
VKEY = "ledger_ed25519.vkey"
AT = "2024-05-01T08:00:00+02:00"


class SetNode:
    """A set node: its SQLite store and the ledger node that signs every append."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = SQLiteEventStore(path)
        self.ledger = ledger_for(path, self.store)

    @property
    def vkey_file(self) -> Path:
        return Path(f"{self.path}.keys") / VKEY

    def write(self, count: int, text: str = "as planned", batch: int = 100) -> None:
        """`count` events: the production's opening and its armorer first, then refusals
        (a real event type the projection folds, cheap to make in bulk)."""
        head = self.store.head(PRODUCTION)
        events = [
            NewEvent("command_refused", "ana", AT, {"i": i, "t": text})
            for i in range(head + 1, head + count + 1)
        ]
        if head == 0:
            opened = {"production": PRODUCTION, "title": "Harbor", "policy": {}}
            armorer = {"person": "ana", "name": "Ana Reyes", "roles": ["armorer"]}
            events[:2] = [
                NewEvent("production_opened", "producer", AT, opened),
                NewEvent("person_added", "producer", AT, armorer),
            ]
        for start in range(0, count, batch):
            self.store.append(
                PRODUCTION,
                head + start,
                events[start : start + batch],
                checkpoint=self.ledger.checkpoint_hook,
            )

    def push(self, accepted: int, size: int | None = None, first: int | None = None) -> Push:
        """A push of the events after `first - 1` (default: after `accepted`) up to the
        checkpoint of `size` (default: the newest, as `showclear sync` sends), with a
        consistency proof from `accepted`."""
        checkpoints = self.store.checkpoints(PRODUCTION)
        if size is None:
            size = max(c.tree_size for c in checkpoints)
        note = next(c.note for c in checkpoints if c.tree_size == size)
        after = accepted if first is None else first - 1
        events = [
            (seq, payload)
            for seq, payload in self.store.read_payloads(PRODUCTION, after)
            if seq <= size
        ]
        proof = consistency_proof(StoredTree(self.store, PRODUCTION, size), min(accepted, size))
        return Push(PRODUCTION, events, note, proof)

    def copy_to(self, path: Path) -> SetNode:
        """A byte-for-byte copy of this node, keys included: the same node identity."""
        source, target = sqlite3.connect(self.path), sqlite3.connect(path)
        source.backup(target)
        source.close()
        target.close()
        shutil.copytree(f"{self.path}.keys", f"{path}.keys")
        return SetNode(path)

    def close(self) -> None:
        self.ledger.close()
        self.store.close()


@dataclass
class Studio:
    """The studio: its database, its key, and its sync endpoint's URL."""

    conninfo: str
    keys: Path
    verifier: CosignatureVerifier
    url: str = ""

    @property
    def vkey_file(self) -> Path:
        return self.keys / "witness_ed25519.vkey"

    def store(self) -> PostgresEventStore:
        return PostgresEventStore(self.conninfo)

    def head(self) -> int:
        with self.store() as store:
            return store.head(PRODUCTION)

    def payloads(self) -> list[tuple[int, bytes]]:
        with self.store() as store:
            return list(store.read_payloads(PRODUCTION))

    def enroll(self, node: SetNode, production: str = PRODUCTION) -> None:
        result = cli(
            "studio", "enroll", "--store", self.conninfo, "--production", production,
            "--key", str(node.vkey_file), "--keys", str(self.keys),
        )  # fmt: skip
        assert result.exit_code == 0, result.output

    def alerts(self) -> list[dict[str, Any]]:
        result = cli(
            "studio", "alerts", "--store", self.conninfo, "--json", "--keys", str(self.keys)
        )
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]


def make_studio(conninfo: str, where: Path) -> Studio:
    keys = where / "studio.keys"
    url = conninfo if conninfo.startswith("postgresql:") else store_url(conninfo)
    done = studio_init(url, keys)
    return Studio(url, keys, done.verifier)


@contextmanager
def serving(studio: Studio) -> Iterator[str]:
    """The studio's sync endpoint on uvicorn in a thread of this process."""
    witness = open_studio(studio.conninfo, studio.keys)
    app = create_witness_app(witness, on_close=lambda: close_studio(witness))
    with BackgroundServer(app) as url:
        studio.url = url
        yield url


def showclear_command() -> list[str]:
    return [str(Path(sys.executable).parent / "showclear")]


class StudioProcess:
    """`showclear studio serve-sync` as a real server process (killed with SIGKILL)."""

    def __init__(self, studio: Studio, port: int | None = None) -> None:
        self.studio = studio
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            *showclear_command(), "studio", "serve-sync", "--store", studio.conninfo,
            "--keys", str(studio.keys), "--port", str(self.port),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ)
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/sync/v1", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                _, stderr = self.process.communicate(timeout=5)
                raise RuntimeError(f"the studio did not start: {stderr.decode(errors='replace')}")
            time.sleep(0.05)
        studio.url = self.url

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stderr is not None:
            self.process.stderr.close()


runner = CliRunner()


def cli(*args: str) -> Any:
    return runner.invoke(cli_app, list(args))


def sync_json(node_db: Path, url: str, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    """`showclear sync --db ... --to ... --json`: its exit status and its objects."""
    result = cli("sync", "--db", str(node_db), "--to", url, "--json", *extra)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines
