"""The composition root: a store URL in, the whole object graph out. The only module that picks
adapters (import-linter keeps it so).

    sqlite:///abs/path.db, or a plain path     the embedded SQLite store (a set node)
    postgresql://... (or postgres://...)      the PostgreSQL event store: its events and
                                              checkpoints (`open_backend`); a full node on it
                                              comes with the studio server

    open_backend(url)   -> ports.Backend        events, checkpoints, node meta (contract tests)
    open_node(url)      -> Node                 backend + keys + ledger + service + application
                                                + sign-in, closed in order by Node.close()
    open_audit(url)     -> Audit                what verify, export and proof read; never signs
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from argon2 import PasswordHasher

from showclear.adapters.keys import VERIFIER_KEY_FILE, KeyDirectory, keys_dir, load_verifier
from showclear.adapters.sqlite.signin import SQLiteSignInStore
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.application import Application
from showclear.app.clock import Clock, local_now
from showclear.app.ledger import ORIGIN_META_KEY, LedgerNode, open_ledger
from showclear.app.service import Service
from showclear.app.signin import Auth
from showclear.app.writer import InlineWriter, ThreadWriter, Writer
from showclear.ledger.note import NoteVerifier
from showclear.ports import Backend, LedgerBackend

__all__ = [
    "Audit",
    "Node",
    "StoreUrl",
    "StoreUrlError",
    "ledger_for",
    "load_key_file",
    "open_audit",
    "open_backend",
    "open_node",
    "open_store",
    "parse_store_url",
]


class StoreUrlError(ValueError):
    """A store URL this ShowClear cannot open (yet)."""


@dataclass(frozen=True)
class StoreUrl:
    """Where a node's record lives."""

    scheme: Literal["sqlite", "postgresql"]
    path: Path | None = None  # sqlite
    conninfo: str | None = None  # postgresql

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else "postgresql://…"

    def exists(self) -> bool:
        """A SQLite file is there (a server is assumed to be)."""
        return self.path is None or self.path.exists()


def parse_store_url(db: str | os.PathLike[str] | StoreUrl) -> StoreUrl:
    """`sqlite:///abs/path`, `sqlite:relative/path`, a plain path, or `postgresql://...`."""
    if isinstance(db, StoreUrl):
        return db
    text = os.fspath(db)
    scheme, sep, _ = text.partition(":")
    if not sep or len(scheme) < 2 or "/" in scheme or "\\" in scheme:
        return StoreUrl("sqlite", Path(text))  # a plain path (a Windows drive letter too)
    scheme = scheme.lower()
    if scheme == "sqlite":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise StoreUrlError(f"{text}: a sqlite URL names a local file (sqlite:///path)")
        path = unquote(parts.path)
        if not path:
            raise StoreUrlError(f"{text}: name the SQLite file, e.g. sqlite:///set.db")
        return StoreUrl("sqlite", Path(path))
    if scheme in ("postgresql", "postgres"):
        return StoreUrl("postgresql", conninfo=text)
    if scheme == "file":
        return StoreUrl("sqlite", Path(unquote(urlsplit(text).path)))
    return StoreUrl("sqlite", Path(text))  # "name:with-colon.db" is a file name too


def _sqlite(url: StoreUrl) -> Path:
    if url.path is None:
        raise StoreUrlError(
            "a full node on PostgreSQL (ledger tiles, sign-in) comes with the studio server; "
            "for now `showclear` runs on a SQLite file (--db PATH or sqlite:///PATH)"
        )
    return url.path


def _in_utc(clock: Clock) -> Clock:
    """The node's clock as sign-in keeps time (UTC, migration 0004): one clock for the node, so
    a test that moves it moves lockouts and session expiry too."""

    def now() -> datetime:
        return clock().astimezone(UTC)

    return now


def _missing(url: StoreUrl) -> FileNotFoundError:
    return FileNotFoundError(
        2, f"no store here; create one with: showclear init --db {url}", str(url)
    )


def open_backend(db: str | os.PathLike[str] | StoreUrl, *, must_exist: bool = False) -> Backend:
    """The store behind `db`: events, checkpoints and node meta (created and migrated when new,
    unless `must_exist`)."""
    url = parse_store_url(db)
    if url.conninfo is not None:
        from showclear.adapters.postgres import PostgresEventStore

        return PostgresEventStore(url.conninfo)
    if must_exist and not url.exists():
        raise _missing(url)
    return SQLiteEventStore(_sqlite(url))


def _ledger_backend(url: StoreUrl) -> LedgerBackend:
    return SQLiteEventStore(_sqlite(url))


def open_store(db: str | os.PathLike[str] | StoreUrl) -> LedgerBackend:
    """The full store a set node runs on (events, checkpoints, tiles, audit reads), without a
    ledger node or an application: for benchmarks and tools that fill or read a store."""
    return _ledger_backend(parse_store_url(db))


def ledger_for(db: str | os.PathLike[str] | StoreUrl, store: LedgerBackend) -> LedgerNode:
    """The ledger node of `store` (opened on `db`): keys created when missing, tiles stored,
    an unsigned tail signed. Close it (it signs what is left) before closing the store."""
    url = parse_store_url(db)
    path = _sqlite(url)
    return open_ledger(store, KeyDirectory(keys_dir(path)), lambda: _ledger_backend(url), path.name)


@dataclass
class Node:
    """One running node: what every entry point is handed. Close it when done."""

    app: Application
    auth: Auth | None = None
    ledger: LedgerNode | None = None
    backend: LedgerBackend | None = None
    url: StoreUrl | None = None

    @property
    def service(self) -> Service:
        return self.app.service

    def close(self) -> None:
        """Sign what is committed and stop the checkpointer, then close sign-in, the store and
        the writer; every step runs, and the first error is raised after them."""
        steps: list[Callable[[], object]] = []
        if self.ledger is not None:
            steps.append(self.ledger.close)
        if self.auth is not None:
            steps.append(self.auth.close)
        backend = self.backend
        if backend is not None:
            steps.append(lambda: self.app.call(backend.close))
        steps.append(self.app.close)
        error: BaseException | None = None
        for step in steps:
            try:
                step()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_node(
    db: str | os.PathLike[str] | StoreUrl | None,
    *,
    threaded: bool = False,
    ledger: bool = True,
    signin: bool = True,
    clock: Clock = local_now,
    pin_hasher: PasswordHasher | None = None,
    must_exist: bool = False,
) -> Node:
    """A node on the store at `db` (None: in memory, for drills without --db).

    `threaded`: a writer thread of its own opens the store and runs everything that touches it
    (the web app); otherwise the caller's thread does. `ledger`: sign a checkpoint after every
    commit (the key pair in ``<db>.keys/`` is created when missing). `must_exist`: refuse to
    create a new store.
    """
    writer: Writer = ThreadWriter() if threaded else InlineWriter()
    if db is None:
        return Node(Application(Service(), writer=writer, clock=clock))
    url = parse_store_url(db)
    path = _sqlite(url)
    if must_exist and not url.exists():
        writer.close()
        raise _missing(url)

    def build() -> tuple[LedgerBackend, LedgerNode | None]:
        store = _ledger_backend(url)
        try:
            node = None
            if ledger:
                node = ledger_for(url, store)
        except BaseException:
            store.close()
            raise
        return store, node

    try:
        backend, ledger_node = writer.call(build)
    except BaseException:
        writer.close()
        raise
    service = Service(backend, ledger=ledger_node)
    app = Application(service, backend=backend, ledger=ledger_node, writer=writer, clock=clock)
    auth = None
    if signin:
        auth = Auth(
            SQLiteSignInStore(path),
            clock=_in_utc(clock),
            hasher=pin_hasher,
            on_lockout=app.record_lockout,
            on_pin_set=app.record_pin_set,
        )
    return Node(app, auth, ledger_node, backend, url)


@dataclass
class Audit:
    """A store as verification, export and proofs read it: never signs, starts no thread."""

    backend: LedgerBackend
    origin: str | None
    key_file: Path  # the node's verifier key (``<db>.keys/ledger_ed25519.vkey``)
    url: StoreUrl

    def close(self) -> None:
        self.backend.close()


def open_audit(db: str | os.PathLike[str] | StoreUrl) -> Audit:
    """The store at `db` for reading its ledger (it must exist)."""
    url = parse_store_url(db)
    path = _sqlite(url)
    if not url.exists():
        raise _missing(url)
    backend = _ledger_backend(url)
    try:
        origin = backend.get_meta(ORIGIN_META_KEY)
    except BaseException:
        backend.close()
        raise
    return Audit(backend, origin, keys_dir(path) / VERIFIER_KEY_FILE, url)


def load_key_file(path: str | os.PathLike[str]) -> NoteVerifier:
    """A verifier key file a person trusts (--key), or the key in a bundle or key directory."""
    return load_verifier(path)
