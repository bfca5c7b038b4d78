"""The composition root: a store URL in, the whole object graph out. The only module that picks
adapters (import-linter keeps it so).

    sqlite:///abs/path.db, or a plain path     the embedded SQLite store (a set node)
    postgresql://... (or postgres://...)      PostgreSQL: the studio server's store

    keys_for(url, keys) -> KeyDirectory        where the node's signing key pair lives: --keys
                                              DIR, else (PostgreSQL) $SHOWCLEAR_KEYS, else
                                              (SQLite) <db>.keys/ beside the file

    open_backend(url)   -> ports.Backend        events, checkpoints, node meta (contract tests)
    open_node(url)      -> Node                 backend + keys + ledger + service + application
                                                + sign-in, closed in order by Node.close()
    open_audit(url)     -> Audit                what verify, export and proof read; never signs
    studio_init(url)    -> StudioInit           the studio's schema and co-signing key
    open_studio(url)    -> StudioWitness        the sync endpoint's witness (PostgreSQL)
    open_syncer(db, to) -> Syncer, close        a set node's push to the studio
    start_sync(db, to)  -> SyncLoop             the same, in the background (serve --studio)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from argon2 import PasswordHasher

from showclear.adapters.attachments import FileAttachments, files_dir
from showclear.adapters.keys import VERIFIER_KEY_FILE, KeyDirectory, keys_dir, load_verifier
from showclear.adapters.notify import Security, SmtpSender, senders
from showclear.adapters.sqlite.outbox import SQLiteAlertOutbox
from showclear.adapters.sqlite.signin import SQLiteSignInStore
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.application import Application, WrittenBy
from showclear.app.clock import Clock, local_now
from showclear.app.delivery import Deliverer, RetryPolicy
from showclear.app.ledger import ORIGIN_META_KEY, LedgerNode, open_ledger
from showclear.app.service import Service
from showclear.app.signin import Auth, LockoutHook, PinSetHook
from showclear.app.studio import StudioWitness, node_name
from showclear.app.studio_board import StudioBoard, signin_hooks
from showclear.app.sync import KeptCosignatures, Syncer, SyncLoop, trusted_studio_key
from showclear.app.timer import DEFAULT_INTERVAL, WatchdogTimer
from showclear.app.writer import InlineWriter, ThreadWriter, Writer
from showclear.ledger.cosignature import CosignatureVerifier
from showclear.ledger.note import NoteVerifier
from showclear.ports import (
    AlertOutbox,
    Attachments,
    Backend,
    LedgerBackend,
    SignInStore,
    StudioRecords,
)

__all__ = [
    "KEYS_ENV",
    "AlertSettings",
    "Alerts",
    "Audit",
    "KeyLocationError",
    "LocalPostgresError",
    "Node",
    "Security",
    "StoreUrl",
    "StoreUrlError",
    "StudioInit",
    "attachments_for",
    "close_studio",
    "kept_cosignatures",
    "keys_for",
    "ledger_for",
    "load_key_file",
    "load_studio_key_file",
    "open_audit",
    "open_backend",
    "open_node",
    "open_store",
    "open_studio",
    "open_studio_board",
    "open_sync_endpoint",
    "open_syncer",
    "parse_store_url",
    "start_sync",
    "studio_init",
    "studio_keys_dir",
    "throwaway_postgres",
]


class StoreUrlError(ValueError):
    """A store URL this ShowClear cannot open (yet)."""


KEYS_ENV = "SHOWCLEAR_KEYS"
"""The key directory of a node on PostgreSQL when no --keys DIR is given (the studio's)."""


class KeyLocationError(StoreUrlError):
    """A node on PostgreSQL was opened without saying where its signing keys live."""


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


def keys_for(
    db: str | os.PathLike[str] | StoreUrl, keys: str | os.PathLike[str] | None = None
) -> KeyDirectory:
    """The one place that decides where the node at `db` keeps its signing key pair.

    1. `keys` (the `--keys DIR` option) when given, for either backend;
    2. for a store on PostgreSQL, the folder named by $SHOWCLEAR_KEYS;
    3. for a SQLite file, ``<db>.keys/`` beside it (what `showclear init` has always made).

    A database on a server has no file for its keys to sit beside, and a key pair made by
    accident in whatever folder a server was started from would sign under a second identity
    that nothing trusts; so on PostgreSQL, with neither 1 nor 2, this refuses (naming both)
    rather than guessing. The environment variable is not read for a SQLite store: a set node
    started from the studio's shell must not pick up the studio's keys.
    """
    if keys is not None:
        return KeyDirectory(Path(keys))
    url = parse_store_url(db)
    if url.path is not None:
        return KeyDirectory(keys_dir(url.path))
    from_env = os.environ.get(KEYS_ENV, "").strip()
    if from_env:
        return KeyDirectory(Path(from_env))
    raise KeyLocationError(
        "a store on PostgreSQL keeps its signing keys in a folder of their own: pass "
        f"--keys DIR or set {KEYS_ENV}=DIR (`showclear studio init` creates the key pair there)"
    )


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
    assert url.path is not None
    return SQLiteEventStore(url.path)


def _ledger_backend(url: StoreUrl) -> LedgerBackend:
    if url.conninfo is not None:
        from showclear.adapters.postgres import PostgresEventStore

        return PostgresEventStore(url.conninfo)
    assert url.path is not None
    return SQLiteEventStore(url.path)


def _signin_store(url: StoreUrl) -> SignInStore:
    if url.conninfo is not None:
        from showclear.adapters.postgres.signin import PostgresSignInStore

        return PostgresSignInStore(url.conninfo)
    assert url.path is not None
    return SQLiteSignInStore(url.path)


def _alert_outbox(url: StoreUrl) -> AlertOutbox:
    if url.conninfo is not None:
        from showclear.adapters.postgres.outbox import PostgresAlertOutbox

        return PostgresAlertOutbox(url.conninfo)
    assert url.path is not None
    return SQLiteAlertOutbox(url.path)


def _label(url: StoreUrl) -> str:
    """The name the checkpointer thread and its messages go by."""
    return url.path.name if url.path is not None else "studio"


def open_store(db: str | os.PathLike[str] | StoreUrl) -> LedgerBackend:
    """The full store a set node runs on (events, checkpoints, tiles, audit reads), without a
    ledger node or an application: for benchmarks and tools that fill or read a store."""
    return _ledger_backend(parse_store_url(db))


def ledger_for(
    db: str | os.PathLike[str] | StoreUrl,
    store: LedgerBackend,
    *,
    keys: str | os.PathLike[str] | None = None,
) -> LedgerNode:
    """The ledger node of `store` (opened on `db`): keys (where `keys_for` says) created when
    missing, tiles stored, an unsigned tail signed. Close it (it signs what is left) before
    closing the store."""
    url = parse_store_url(db)
    return open_ledger(store, keys_for(url, keys), lambda: _ledger_backend(url), _label(url))


@dataclass(frozen=True)
class AlertSettings:
    """How a serving node tells people of alerts (`showclear serve --alerts ... --smtp-...`).

    mode: `send` (e-mail by SMTP when `smtp_host` is set, Apprise URLs always), `log` (each
    delivery written to the server's log instead, and recorded as such), `off` (nothing sent
    or recorded: alerts wait in the outbox until a node sends them).
    """

    mode: Literal["send", "log", "off"] = "send"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "showclear@localhost"
    smtp_security: Security = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll: float = 1.0  # seconds between looks for retries that came due
    tick_interval: float = DEFAULT_INTERVAL  # seconds between the watchdogs' looks


@dataclass
class Alerts:
    """The running alert threads of a node."""

    timer: WatchdogTimer
    deliverer: Deliverer | None

    def start(self) -> None:
        if self.deliverer is not None:
            self.deliverer.start()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self.deliverer is not None:
            self.deliverer.stop()


@dataclass
class Node:
    """One running node: what every entry point is handed. Close it when done."""

    app: Application
    auth: Auth | None = None
    ledger: LedgerNode | None = None
    backend: LedgerBackend | None = None
    url: StoreUrl | None = None
    studio: StudioBoard | None = None  # a node on PostgreSQL: the studio dashboard
    outbox: AlertOutbox | None = None
    alerts: Alerts | None = None
    writers: StudioRecords | None = None  # a node on PostgreSQL: who writes each production

    @property
    def service(self) -> Service:
        return self.app.service

    def start_alerts(self, settings: AlertSettings) -> Alerts:
        """Start the watchdog timer and (unless delivery is off) the delivery worker; they stop
        when the node closes. The web app does this for `showclear serve`."""
        deliverer = None
        if settings.mode != "off" and self.outbox is not None:
            smtp = None
            if settings.smtp_host:
                smtp = SmtpSender(settings.smtp_host, settings.smtp_from, settings.smtp_port,
                                  settings.smtp_security, settings.smtp_user,
                                  settings.smtp_password)  # fmt: skip
            deliverer = Deliverer(self.app, self.outbox, senders(settings.mode, smtp),
                                  retry=settings.retry, poll=settings.poll)  # fmt: skip
        timer = WatchdogTimer(self.app, settings.tick_interval)
        self.alerts = Alerts(timer, deliverer)
        self.alerts.start()
        return self.alerts

    def close(self) -> None:
        """Stop the alert threads, sign what is committed and stop the checkpointer, then close
        sign-in, the store and the writer; every step runs, and the first error is raised after
        them."""
        steps: list[Callable[[], object]] = []
        if self.alerts is not None:
            steps.append(self.alerts.stop)
        if self.outbox is not None:
            steps.append(self.outbox.close)
        if self.studio is not None:
            steps.append(self.studio.close)
        if self.writers is not None:
            steps.append(self.writers.close)
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


def _own_key(ledger: LedgerNode | None) -> str | None:
    return ledger.verifier.vkey() if ledger is not None else None


def _written_by(records: StudioRecords, own: str | None) -> WrittenBy:
    """Who writes a production when it is not this node (the studio's `Application` guard).

    Read at every check, not cached: one indexed row per batch of commands, and a cache would
    let the studio append in the moments after an enrolment (forking the record the node
    pushes next), while a move of the writer to this node must lift the refusal at once."""

    def written_by(production: str) -> str | None:
        writer = records.writer(production)
        if writer is None or writer.node_key == own:
            return None
        return node_name(writer.node_key)

    return written_by


def open_node(
    db: str | os.PathLike[str] | StoreUrl | None,
    *,
    threaded: bool = False,
    ledger: bool = True,
    signin: bool = True,
    clock: Clock = local_now,
    pin_hasher: PasswordHasher | None = None,
    must_exist: bool = False,
    keys: str | os.PathLike[str] | None = None,
) -> Node:
    """A node on the store at `db` (None: in memory, for drills without --db).

    `threaded`: a writer thread of its own opens the store and runs everything that touches it
    (the web app); otherwise the caller's thread does. `ledger`: sign a checkpoint after every
    commit (the key pair, in the folder `keys_for(db, keys)` names, is created when missing).
    `must_exist`: refuse to create a new store (a SQLite file; a PostgreSQL database is the
    server's to create).
    """
    writer: Writer = ThreadWriter() if threaded else InlineWriter()
    if db is None:
        return Node(Application(Service(), writer=writer, clock=clock))
    url = parse_store_url(db)
    if must_exist and not url.exists():
        writer.close()
        raise _missing(url)
    # Before anything is opened: a PostgreSQL node without a key folder is refused up front.
    key_folder = keys_for(url, keys) if ledger else None

    def build() -> tuple[LedgerBackend, LedgerNode | None]:
        store = _ledger_backend(url)
        try:
            node = None
            if key_folder is not None:
                node = open_ledger(store, key_folder, lambda: _ledger_backend(url), _label(url))
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
    # After the store: its tables are migrated by then.
    outbox: AlertOutbox | None = None
    records: StudioRecords | None = None
    try:
        outbox = _alert_outbox(url)
        if url.conninfo is not None:
            from showclear.adapters.postgres.studio import PostgresStudioRecords

            records = PostgresStudioRecords(url.conninfo)
    except BaseException:
        bare = Application(service, writer=writer)
        Node(bare, None, ledger_node, backend, url, None, outbox).close()
        raise
    written_by = _written_by(records, _own_key(ledger_node)) if records is not None else None
    app = Application(service, backend=backend, ledger=ledger_node, writer=writer, clock=clock,
                      outbox=outbox, written_by=written_by)  # fmt: skip
    auth = None
    studio = None
    on_lockout: LockoutHook = app.record_lockout
    on_pin_set: PinSetHook = app.record_pin_set
    try:
        if url.conninfo is not None and signin:
            studio = _studio_board(url)
            on_lockout, on_pin_set = signin_hooks(studio.reads, on_lockout, on_pin_set)
        if signin:
            auth = Auth(
                _signin_store(url),
                clock=_in_utc(clock),
                hasher=pin_hasher,
                on_lockout=on_lockout,
                on_pin_set=on_pin_set,
                writable=app.check_writable,
            )
    except BaseException:
        Node(app, None, ledger_node, backend, url, studio, outbox, writers=records).close()
        raise
    return Node(app, auth, ledger_node, backend, url, studio, outbox, writers=records)


def open_studio_board(db: str | os.PathLike[str] | StoreUrl) -> StudioBoard:
    """The studio dashboard's read model on its PostgreSQL store alone (benchmarks, tools);
    a node on PostgreSQL has one already (`Node.studio`). Close it when done."""
    url = parse_store_url(db)
    if url.conninfo is None:
        raise StoreUrlError(f"{db}: the studio dashboard reads a PostgreSQL store")
    return _studio_board(url)


class LocalPostgresError(RuntimeError):
    """No throwaway PostgreSQL server could be started here (the message says why)."""


@contextmanager
def throwaway_postgres(database: str = "showclear") -> Iterator[tuple[str, str]]:
    """A PostgreSQL server of its own from the installed binaries, for a benchmark given no
    database (`adapters.postgres.local_server`: a fresh folder, Unix socket, fsync on). Yields
    the store URL of a new database on it and the server's folder; stops the server and
    removes the folder afterwards. LocalPostgresError when it cannot start."""
    from showclear.adapters.postgres import local_server

    try:
        server = local_server.PostgresServer.start_new()
    except local_server.PostgresUnavailable as e:
        raise LocalPostgresError(str(e)) from None
    try:
        conninfo = local_server.create_database(server.conninfo(), database)
        yield local_server.store_url(conninfo), str(server.root)
    finally:
        server.stop()


def _studio_board(url: StoreUrl) -> StudioBoard:
    from showclear.adapters.postgres.dashboard import PostgresStudioReads

    assert url.conninfo is not None
    return StudioBoard(PostgresStudioReads(url.conninfo), lambda: _ledger_backend(url))


@dataclass
class Audit:
    """A store as verification, export and proofs read it: never signs, starts no thread."""

    backend: LedgerBackend
    origin: str | None
    key_file: Path  # the node's verifier key (`keys_for`: ``<db>.keys/ledger_ed25519.vkey``)
    url: StoreUrl

    def close(self) -> None:
        self.backend.close()


def open_audit(
    db: str | os.PathLike[str] | StoreUrl, *, keys: str | os.PathLike[str] | None = None
) -> Audit:
    """The store at `db` for reading its ledger (it must exist)."""
    url = parse_store_url(db)
    if not url.exists():
        raise _missing(url)
    key_file = keys_for(url, keys).folder / VERIFIER_KEY_FILE
    backend = _ledger_backend(url)
    try:
        origin = backend.get_meta(ORIGIN_META_KEY)
    except BaseException:
        backend.close()
        raise
    return Audit(backend, origin, key_file, url)


def attachments_for(node: Node) -> Attachments | None:
    """Where `node` keeps uploaded documents: ``<db>.files/`` next to a SQLite store; None on
    a store that is not a file (PostgreSQL keeps no documents yet)."""
    url = node.url
    if url is None or url.path is None:
        return None
    return FileAttachments(files_dir(url.path))


def load_key_file(path: str | os.PathLike[str]) -> NoteVerifier:
    """A verifier key file a person trusts (--key), or the key in a bundle or key directory."""
    return load_verifier(path)


# -- the studio's witness and a set node's sync ---------------------------------------------------


def studio_keys_dir(
    db: str | os.PathLike[str] | StoreUrl, keys: str | os.PathLike[str] | None = None
) -> Path:
    """Where the studio's own co-signing key lives: the studio node's key folder
    (`keys_for`: --keys DIR, else $SHOWCLEAR_KEYS), beside its ledger key pair. Never in the
    database itself: every replica and every backup of it would hold the studio's private key."""
    return keys_for(db, keys).folder


def _studio_conninfo(db: str | os.PathLike[str] | StoreUrl) -> str:
    url = parse_store_url(db)
    if url.conninfo is None:
        raise StoreUrlError(
            f"{db}: the studio runs on PostgreSQL; give its store as postgresql://..."
        )
    return url.conninfo


@dataclass(frozen=True)
class StudioInit:
    verifier: CosignatureVerifier
    keys: Path
    created: bool
    schema_version: int


def studio_init(
    db: str | os.PathLike[str] | StoreUrl, keys: str | os.PathLike[str] | None = None
) -> StudioInit:
    """Create (or upgrade) the studio's schema, and its co-signing key when it has none."""
    from showclear.adapters.keys import (
        WITNESS_VERIFIER_KEY_FILE,
        generate_witness_key,
        load_witness_key,
    )
    from showclear.adapters.postgres import PostgresEventStore

    folder = studio_keys_dir(db, keys)
    with PostgresEventStore(_studio_conninfo(db)) as store:
        version = store.schema_version()
    if (folder / WITNESS_VERIFIER_KEY_FILE).exists():
        return StudioInit(load_witness_key(folder).verifier, folder, False, version)
    name = f"showclear.studio/{secrets.token_hex(4)}"
    return StudioInit(generate_witness_key(folder, name).verifier, folder, True, version)


def open_studio(
    db: str | os.PathLike[str] | StoreUrl,
    keys: str | os.PathLike[str] | None = None,
    *,
    clock: Callable[[], float] | None = None,
) -> StudioWitness:
    """The studio's witness on its PostgreSQL store (its key from `studio_keys_dir`). Close it
    with `close_studio`."""
    from showclear.adapters.keys import load_witness_key
    from showclear.adapters.postgres import PostgresEventStore
    from showclear.adapters.postgres.studio import PostgresStudioRecords

    conninfo = _studio_conninfo(db)
    cosigner = load_witness_key(studio_keys_dir(db, keys))
    store = PostgresEventStore(conninfo)
    try:
        records = PostgresStudioRecords(conninfo)
    except BaseException:
        store.close()
        raise
    if clock is None:
        return StudioWitness(store, records, cosigner)
    return StudioWitness(store, records, cosigner, clock=clock)


def open_sync_endpoint(
    db: str | os.PathLike[str] | StoreUrl, keys: str | os.PathLike[str] | None = None
) -> StudioWitness | None:
    """The witness `serve --store` serves at /sync/v1, or None when the studio has no
    co-signing key yet (`showclear studio init` makes it)."""
    from showclear.adapters.keys import WITNESS_VERIFIER_KEY_FILE

    if not (studio_keys_dir(db, keys) / WITNESS_VERIFIER_KEY_FILE).exists():
        return None
    return open_studio(db, keys)


def close_studio(witness: StudioWitness) -> None:
    try:
        witness.records.close()
    finally:
        witness.store.close()


def load_studio_key_file(path: str | os.PathLike[str]) -> CosignatureVerifier:
    """The studio's published co-signing key (``witness_ed25519.vkey``), as a node trusts it."""
    from showclear.adapters.keys import load_witness_verifier

    return load_witness_verifier(path)


def open_syncer(
    db: str | os.PathLike[str] | StoreUrl,
    to: str,
    studio_key: CosignatureVerifier | None = None,
) -> tuple[Syncer, Callable[[], None]]:
    """A set node's sync to the studio at `to` (http://HOST:PORT): the syncer and how to close
    it. The studio key is `studio_key` at the first sync, the one stored since then after."""
    from showclear.adapters.studio_http import HttpStudioLink

    url = parse_store_url(db)
    if not url.exists():
        raise _missing(url)
    if url.path is None:
        raise StoreUrlError(f"{db}: sync pushes a set node's SQLite store to the studio")
    link = HttpStudioLink(to)
    store = SQLiteEventStore(url.path)
    try:
        ledger = ledger_for(url, store)
    except BaseException:
        store.close()
        raise

    def close() -> None:
        try:
            ledger.close()
        finally:
            store.close()

    try:
        trusted, new = trusted_studio_key(store, studio_key)
    except BaseException:
        close()
        raise
    return Syncer(store, ledger, link, trusted, new_key=new), close


def kept_cosignatures(backend: LedgerBackend | None) -> KeptCosignatures | None:
    """The co-signatures a set node keeps in its store (None: a store that keeps none)."""
    return backend if isinstance(backend, SQLiteEventStore) else None


def start_sync(
    db: str | os.PathLike[str] | StoreUrl,
    to: str,
    studio_key_file: str | os.PathLike[str] | None = None,
    *,
    interval: float = 30.0,
) -> SyncLoop:
    """`serve --studio URL`: sync in a background thread (its own store connection), after
    checking here that the node knows which studio key to trust."""
    key = load_studio_key_file(studio_key_file) if studio_key_file is not None else None
    _, close = open_syncer(db, to, key)  # fails now, not in the thread, without a key
    close()
    loop = SyncLoop(lambda: open_syncer(db, to, key), interval=interval)
    loop.start()
    return loop
