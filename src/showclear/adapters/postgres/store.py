"""The studio event store: PostgreSQL (15 or newer) through psycopg 3.

Same tables, columns and meaning as the embedded SQLite store (adapters/sqlite/store.py), and
the same methods, so a set node's rows move here byte for byte and one contract suite runs on both.

Concurrency. An append is one transaction. It first takes its production's advisory lock
(``pg_advisory_xact_lock``), so writers to one production queue there and the head each then
reads is the head its commit lands on: no duplicate and no missing sequence number. A writer that
decided on an older head gets ConcurrencyError before it waits for anything else. Global
positions are gapless and in commit order: after its head check, an append takes the log-wide
lock and numbers its rows from ``max(position)``, holding that lock only for its inserts and its
commit. Readers take no lock: row N can only be committed after every row below it, so paging
by position (or by a production's sequence) never skips an event that a later page would show.
The unique key (production, seq) stays as the last line of defence: a writer that bypassed the
lock and lost the race gets ConcurrencyError too.

Durability. Every connection runs with ``synchronous_commit = on`` (or ``remote_apply``, when
asked), so ``append`` returns only once its commit record is flushed to disk on the primary and,
when the server names synchronous standbys in ``synchronous_standby_names`` (for example
``'FIRST 1 (standby_a, standby_b)'`` or ``'ANY 1 (...)'``), once at least that many of them have
flushed it too; with ``remote_apply`` they have also replayed it, so a read there sees it. The
store refuses a server running with ``fsync = off``, where an acknowledged event would not
survive a power cut. It sets no statement timeout on purpose: a cancelled wait for a standby
comes back as a warning, not an error, after the commit already happened on the primary alone.

Errors. Every psycopg error leaves this module as a StoreError subclass (see `_store_error`):
lost connection -> StoreUnavailableError (the next call reconnects), lock wait timeout or
deadlock -> StoreBusyError, damaged data -> CorruptStoreError.

Failover. With several hosts and ``target_session_attrs=read-write`` in the connection string,
the reconnect after a lost connection finds whichever server is the primary now (a promoted
standby). An append cut off before its COMMIT was sent stored nothing (StoreUnavailableError:
append again). One cut off while its COMMIT was on the way, or while the server waited for the
synchronous standbys, may or may not have committed: that is AppendOutcomeUnknownError, and
`resolve_append(error)` answers it once a primary is reachable again, by reading the sequence
numbers the append would have taken and comparing their bytes with the events it carried
(their canonical payload names the production, the sequence number, the command time and the
command ID, so equal bytes are this append's events).

A store object holds one connection and belongs to the thread that opened it; open one per
thread or process (several may share a database: the locks above are in the server).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import starmap
from types import TracebackType
from typing import Any, Final, Self

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from showclear.adapters.postgres.schema import (
    LOCK_NAMESPACE,
    LOG_LOCK_KEY,
    PRODUCTION_LOCK_NAMESPACE,
    applied_migrations,
    migrate,
)
from showclear.adapters.store_common import EventRow, event_rows, prepare
from showclear.ledger.tiles import TileRow
from showclear.ledger.witness import CheckedRange

# One stored-checkpoint type and one set of errors for both backends (the storage ports), so a
# caller's type hints and except clauses need not know which store it holds.
from showclear.ports import (
    CheckpointHook,
    ConcurrencyError,
    CorruptStoreError,
    NewEvent,
    StoreBusyError,
    StoreClosedError,
    StoredEvent,
    StoreError,
    StoreUnavailableError,
)
from showclear.ports import StoredCheckpoint as Checkpoint

__all__ = [
    "AppendOutcomeUnknownError",
    "Checkpoint",
    "CheckpointHook",
    "PostgresEventStore",
    "PostgresLogReader",
    "StoreBusyError",
    "StoreClosedError",
    "StoreUnavailableError",
    "production_lock_key",
]

Connection = psycopg.Connection[TupleRow]

LOCK_TIMEOUT_MS: Final = 10_000
CONNECT_TIMEOUT_S: Final = 10
# Rows per round trip when streaming; big enough that paging costs nothing next to decoding.
PAGE_ROWS = 5_000
# Bigger appends (a set node's pushed range) go through COPY instead of one INSERT per row.
COPY_ROWS: Final = 64
# The commit modes under which an acknowledged append is on disk (and on the synchronous
# standbys, if the server names any): `local`, `remote_write` and `off` are not.
DURABLE_COMMIT_MODES: Final = ("on", "remote_apply")

_EVENT_COLUMNS = (
    "position, production, seq, type, version, actor, at, recorded_at, payload, leaf_hash"
)
_INSERT_EVENT = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({', '.join(['%s'] * 10)})"
_COPY_EVENTS = f"COPY events ({_EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_SELECT_PRODUCTION = (
    f"SELECT {_EVENT_COLUMNS} FROM events WHERE production = %s AND seq > %s ORDER BY seq LIMIT %s"
)
_SELECT_ALL = f"SELECT {_EVENT_COLUMNS} FROM events WHERE position > %s ORDER BY position LIMIT %s"
_SELECT_PAYLOADS = (
    "SELECT seq, payload FROM events WHERE production = %s AND seq > %s ORDER BY seq LIMIT %s"
)
_SELECT_LEAVES = (
    "SELECT seq, payload, leaf_hash FROM events WHERE production = %s AND seq > %s "
    "AND seq <= %s ORDER BY seq LIMIT %s"
)
_SELECT_LEAF_HASHES = (
    "SELECT seq, leaf_hash, at FROM events WHERE production = %s AND seq > %s ORDER BY seq LIMIT %s"
)
_SELECT_HEAD = "SELECT COALESCE(MAX(seq), 0) FROM events WHERE production = %s"
_SELECT_LAST_POSITION = "SELECT COALESCE(MAX(position), 0) FROM events"
_LOCK = "SELECT pg_advisory_xact_lock(%s, %s)"
_LOCK_PRODUCTION_AND_LOG = "SELECT pg_advisory_xact_lock(%s, %s), pg_advisory_xact_lock(%s, %s)"
_SELECT_HEAD_AND_LAST_POSITION = f"SELECT ({_SELECT_HEAD}), ({_SELECT_LAST_POSITION})"
_CHECKPOINT_COLUMNS = "production, tree_size, root_hash, note, created_at"
_SELECT_PAYLOAD = "SELECT payload FROM events WHERE production = %s AND seq = %s"
_SELECT_LEAF_HASH_RANGE = (
    "SELECT leaf_hash FROM events WHERE production = %s AND seq > %s AND seq <= %s ORDER BY seq"
)
# The hashes from index `start` up to the first gap: indices ascend, so once one runs ahead of
# its row number it stays ahead, and `idx = want` keeps exactly the gapless run.
_SELECT_TILES = (
    "SELECT hash FROM (SELECT idx, hash, %s + row_number() OVER (ORDER BY idx) - 1 AS want "
    "FROM ledger_tiles WHERE production = %s AND level = %s AND idx >= %s AND idx < %s) AS t "
    "WHERE idx = want ORDER BY idx"
)
# Eight levels of 256-wide tiles cover 2**64 events; each count is one index look-up.
_SELECT_TILE_COUNTS = (
    "SELECT level, (SELECT MAX(idx) + 1 FROM ledger_tiles WHERE production = %s "
    "AND level = levels.level) FROM generate_series(1, 8) AS levels(level) ORDER BY level"
)
_INSERT_TILES = (
    "INSERT INTO ledger_tiles (production, level, idx, hash) "
    "SELECT %s, * FROM unnest(%s::int4[], %s::int8[], %s::bytea[]) "
    "ON CONFLICT (production, level, idx) DO NOTHING"
)
_SELECT_NOTES = "SELECT tree_size, note FROM checkpoints WHERE production = %s AND tree_size > %s"
# Productions named by an event or a checkpoint (a production whose first event is gone must
# still be verified), by first event, checkpoint-only ones last. Each DISTINCT is a skip scan
# down a unique index, one look-up per production, never a pass over the log.
_SELECT_LEDGER_PRODUCTIONS = """
WITH RECURSIVE
  e(production) AS (
    (SELECT production FROM events ORDER BY production LIMIT 1)
    UNION ALL
    SELECT (SELECT production FROM events WHERE production > e.production
            ORDER BY production LIMIT 1) FROM e WHERE e.production IS NOT NULL),
  c(production) AS (
    (SELECT production FROM checkpoints ORDER BY production LIMIT 1)
    UNION ALL
    SELECT (SELECT production FROM checkpoints WHERE production > c.production
            ORDER BY production LIMIT 1) FROM c WHERE c.production IS NOT NULL),
  named AS (
    SELECT production, (SELECT position FROM events WHERE events.production = e.production
                        ORDER BY seq LIMIT 1) AS first FROM e WHERE production IS NOT NULL
    UNION ALL
    SELECT production, NULL FROM c WHERE production IS NOT NULL)
SELECT production FROM named GROUP BY production ORDER BY MIN(first) NULLS LAST, production
"""

_MAX_SEQ = 2**63 - 1


class _Commit:
    """Whether an append's COMMIT is on its way (see `PostgresEventStore._appending`)."""

    __slots__ = ("on_its_way",)

    def __init__(self) -> None:
        self.on_its_way = False

    def sent(self) -> None:
        self.on_its_way = True


class AppendOutcomeUnknownError(StoreUnavailableError):
    """The connection was lost while an append was committing: it may or may not be stored.

    Pass it to `PostgresEventStore.resolve_append` once a primary is reachable again.
    """

    def __init__(
        self, message: str, production: str, expected_seq: int, payloads: Sequence[bytes]
    ) -> None:
        super().__init__(message)
        self.production = production
        self.expected_seq = expected_seq
        self.payloads = tuple(payloads)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def production_lock_key(production: str) -> int:
    """The second advisory-lock key of a production: 32 bits of SHA-256, as a signed int4.

    Computed here rather than with the server's undocumented ``hashtext`` so that it never
    changes with the server version. Two productions that share a key only queue behind each
    other; they never mix.
    """
    return int.from_bytes(hashlib.sha256(production.encode("utf-8")).digest()[:4], signed=True)


def describe(conninfo: str) -> str:
    """The connection string without its password, for messages."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "postgresql (unparsable connection string)"
    params.pop("password", None)
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    where = f"{host}:{port}" if not str(host).startswith("/") else f"socket {host}/.s.PGSQL.{port}"
    return f"postgresql database {params.get('dbname') or params.get('user') or '?'} at {where}"


# SQLSTATE codes and classes that mean "try again later" rather than "this cannot work".
_BUSY = frozenset({"55P03", "40P01", "40001", "57014"})  # lock timeout, deadlock, ser., cancel
_CORRUPT = frozenset({"XX001", "XX002"})  # data_corrupted, index_corrupted


def _store_error(label: str, e: psycopg.Error) -> StoreError:
    """The one place where psycopg errors become StoreErrors."""
    state = e.sqlstate or ""
    detail = str(e).strip() or type(e).__name__
    if state in _BUSY:
        return StoreBusyError(
            f"{label}: store is busy: another writer held the lock too long "
            f"(waited up to {LOCK_TIMEOUT_MS / 1000:g} s) or the server broke a deadlock; "
            f"try again: {detail}"
        )
    if state in _CORRUPT:
        return CorruptStoreError(f"{label}: the server reports damaged data ({detail})")
    if _connection_lost(e):
        return StoreUnavailableError(
            f"{label}: lost the connection to PostgreSQL ({detail}); check that the server is "
            "running and reachable, then try again (the next call reconnects)"
        )
    return StoreError(f"{label}: {detail}")


def _connection_lost(e: psycopg.Error) -> bool:
    return isinstance(e, psycopg.OperationalError) or (e.sqlstate or "").startswith(("08", "57P"))


@contextmanager
def _translate(label: str) -> Iterator[None]:
    try:
        yield
    except psycopg.Error as e:
        raise _store_error(label, e) from e


def _open_connection(conninfo: str, label: str, application_name: str) -> Connection:
    try:
        return psycopg.connect(
            conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=application_name,
        )
    except psycopg.OperationalError as e:
        detail = str(e).strip() or type(e).__name__
        raise StoreUnavailableError(
            f"{label}: cannot connect to PostgreSQL: {detail}; check that the server "
            "is running and that the store URL, user and password are right"
        ) from e
    except psycopg.Error as e:
        raise _store_error(label, e) from e


class _Reads:
    """The reads the store and its log readers share: paged rows and the stored tree."""

    _label: str

    def _connection(self) -> Connection:
        raise NotImplementedError

    def _pages(
        self,
        sql: str,
        prefix: tuple[Any, ...],
        after: int,
        *,
        key: int,
        suffix: tuple[Any, ...] = (),
    ) -> Iterator[Any]:
        """Rows of `sql` a page at a time, resuming after the last row's column `key`.

        No cursor or transaction stays open between pages, so a caller may append while it
        iterates (the same connection serves both) and an abandoned iterator holds nothing.
        """
        conn = self._connection()
        while True:
            with _translate(self._label), conn.cursor(binary=True) as cur:
                rows = cur.execute(sql, (*prefix, after, *suffix, PAGE_ROWS)).fetchall()
            yield from rows
            if len(rows) < PAGE_ROWS:
                return
            after = rows[-1][key]
            conn = self._connection()

    def _column(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        conn = self._connection()
        with _translate(self._label), conn.cursor(binary=True) as cur:
            return [row[0] for row in cur.execute(sql, params)]

    # -- the Merkle tree's stored tiles (showclear.ledger.tiles.TileReader) ----------------

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        """Leaf hashes of the production's leaves [start, end) (seqs start + 1 to end)."""
        return self._column(_SELECT_LEAF_HASH_RANGE, (production, start, end))

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        """Stored tile hashes at `level` with index in [start, end), up to the first gap."""
        return self._column(_SELECT_TILES, (start, production, level, start, end))

    def event_payload(self, production: str, seq: int) -> bytes | None:
        """The canonical bytes of one event, or None when there is no such event."""
        found = self._column(_SELECT_PAYLOAD, (production, seq))
        return found[0] if found else None


class PostgresEventStore(_Reads):
    """EventStore on a PostgreSQL database (migrated on first open).

    `conninfo` is a libpq connection string or URL (``postgresql://user@host:5432/db``). With
    several hosts and ``target_session_attrs=read-write`` in it, a reconnect finds the promoted
    primary after a failover.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        synchronous_commit: str = "on",
        lock_timeout_ms: int = LOCK_TIMEOUT_MS,
    ) -> None:
        if synchronous_commit not in DURABLE_COMMIT_MODES:
            raise ValueError(
                f"synchronous_commit must be one of {', '.join(DURABLE_COMMIT_MODES)} "
                f"(an acknowledged event must be on disk), got {synchronous_commit!r}"
            )
        if lock_timeout_ms < 1:
            raise ValueError(f"lock_timeout_ms must be positive, got {lock_timeout_ms}")
        self.conninfo = conninfo
        self._label = describe(conninfo)
        self._synchronous_commit = synchronous_commit
        self._lock_timeout_ms = lock_timeout_ms
        # Called first by close(): the ledger flushes its checkpoints there (see LedgerNode).
        self.before_close: list[Callable[[], None]] = []
        self._closed = False
        self._conn: Connection | None = None
        conn = self._connect()
        try:
            with _translate(self._label):
                migrate(conn, label=self._label)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _connect(self) -> Connection:
        conn = _open_connection(self.conninfo, self._label, "showclear")
        try:
            with _translate(self._label):
                row = conn.execute(
                    "SELECT set_config('synchronous_commit', %s, false), "
                    "set_config('lock_timeout', %s, false), current_setting('fsync'), "
                    "current_setting('server_version_num')::int",
                    (self._synchronous_commit, f"{self._lock_timeout_ms}ms"),
                ).fetchone()
            assert row is not None
            if row[2] != "on":
                raise StoreError(
                    f"{self._label}: the server runs with fsync = {row[2]}; acknowledged events "
                    "would not survive a crash. Set fsync = on in postgresql.conf and reload"
                )
            if row[3] < 150000:
                raise StoreError(
                    f"{self._label}: PostgreSQL {row[3] // 10000} is too old; ShowClear needs "
                    "PostgreSQL 15 or newer"
                )
        except BaseException:
            conn.close()
            raise
        return conn

    # -- EventStore protocol -------------------------------------------------------------

    def append(
        self,
        production: str,
        expected_seq: int,
        events: Sequence[NewEvent],
        *,
        checkpoint: CheckpointHook | None = None,
        tiles: Sequence[tuple[int, int, bytes]] = (),
    ) -> list[StoredEvent]:
        """Append atomically after `expected_seq`; durable when this returns.

        Raises ConcurrencyError (and writes nothing) when the head is not `expected_seq`.
        `tiles`: stored tree hashes the events complete, written in the same transaction.
        """
        if not events:
            actual = self.head(production)
            if actual != expected_seq:
                raise ConcurrencyError(production, expected_seq, actual)
            return []
        if not 0 <= expected_seq <= _MAX_SEQ - len(events):
            raise ValueError(f"expected_seq {expected_seq} is out of range")
        prepared = prepare(production, expected_seq, events)  # before the transaction
        conn = self._connection()
        payloads = [payload for _, _, payload, _ in prepared]
        with self._appending(production, expected_seq, payloads) as commit, conn.transaction():
            conn.execute(_LOCK, (PRODUCTION_LOCK_NAMESPACE, production_lock_key(production)))
            actual = self._head(conn, production)
            if actual != expected_seq:
                raise ConcurrencyError(production, expected_seq, actual)
            conn.execute(_LOCK, (LOCK_NAMESPACE, LOG_LOCK_KEY))
            last_position = _scalar(conn, _SELECT_LAST_POSITION, ())
            recorded_at = _utc_now()
            rows = event_rows(production, prepared, last_position, recorded_at)
            self._insert_events(conn, rows)
            stored = list(starmap(StoredEvent, rows))
            if checkpoint is not None:
                result = checkpoint(production, stored)
                if result is not None:
                    tree_size, root_hash, note = result
                    self._insert_checkpoint(
                        conn, production, tree_size, root_hash, note, stored[-1].seq
                    )
            if tiles:
                self._insert_tiles(conn, production, tiles)
            commit.sent()
        return stored

    @contextmanager
    def _appending(
        self, production: str, expected_seq: int, payloads: Sequence[bytes]
    ) -> Iterator[_Commit]:
        """The errors of an append's transaction, as the append raises them. Once the block
        says `commit.sent()` (the last statement before leaving the transaction block, which
        sends COMMIT), a lost connection leaves the outcome unknown (before, the server rolls
        the transaction back): AppendOutcomeUnknownError, with `payloads` to resolve it."""
        commit = _Commit()
        try:
            yield commit
        except pg_errors.UniqueViolation as e:
            if e.diag.constraint_name != "events_production_seq_key":
                raise _store_error(self._label, e) from e
            # Someone wrote to this production without its lock and got in first.
            raise ConcurrencyError(production, expected_seq, self.head(production)) from e
        except psycopg.Error as e:
            error = _store_error(self._label, e)
            if type(error) is not StoreUnavailableError:
                raise error from e
            if not commit.on_its_way:
                raise StoreUnavailableError(
                    f"{self._label}: lost the connection to PostgreSQL before the append "
                    f"committed ({e}); nothing of it was stored: append again once the server "
                    "is reachable (the next call reconnects)"
                ) from e
            raise AppendOutcomeUnknownError(
                f"{self._label}: lost the connection to PostgreSQL while the append of "
                f"{len(payloads)} event(s) to {production!r} after seq {expected_seq} was "
                f"committing ({e}); it may or may not be stored. Call resolve_append with this "
                "error once the server is reachable: it says which",
                production,
                expected_seq,
                payloads,
            ) from e

    def append_checked(self, checked: CheckedRange, tiles: Sequence[TileRow] = ()) -> None:
        """Store a push the studio's witness accepted: its events, the checkpoint it co-signed
        and the tile hashes they complete, in one transaction; durable when this returns.

        The events' columns are the ones `check_push` read from each event's own bytes (a
        CheckedRange is made nowhere else), so nothing is parsed or rebuilt here. Raises
        ConcurrencyError (and writes nothing) when the head is not `checked.after`; a lost
        connection is reported as `append` reports it.
        """
        if type(checked) is not CheckedRange:  # the seal is checked where one is made
            raise TypeError("append_checked takes a CheckedRange from check_push")
        production, after, events = checked.production, checked.after, checked.events
        conn = self._connection()
        payloads = [event.payload for event in events]
        with self._appending(production, after, payloads) as commit, conn.transaction():
            # Both locks, then the head and the last position, in one round trip: each
            # statement reads after the one before it finished, so with both locks held.
            with conn.pipeline():
                conn.execute(
                    _LOCK_PRODUCTION_AND_LOG,
                    (
                        PRODUCTION_LOCK_NAMESPACE,
                        production_lock_key(production),
                        LOCK_NAMESPACE,
                        LOG_LOCK_KEY,
                    ),
                )
                heads = conn.execute(_SELECT_HEAD_AND_LAST_POSITION, (production,))
            row = heads.fetchone()
            assert row is not None
            if int(row[0]) != after:
                raise ConcurrencyError(production, after, int(row[0]))
            recorded_at = _utc_now()
            rows = (
                (int(row[1]) + offset, production, e.seq, e.type, e.version, e.actor, e.at,
                 recorded_at, e.payload, e.leaf_hash)
                for offset, e in enumerate(events, start=1)
            )  # fmt: skip
            self._copy_events(conn, rows)
            with conn.pipeline():
                self._insert_checkpoint(
                    conn,
                    production,
                    checked.tree_size,
                    checked.root_hash,
                    checked.note,
                    events[-1].seq,
                )
                if tiles:
                    self._insert_tiles(conn, production, tiles)
            commit.sent()

    def resolve_append(self, unknown: AppendOutcomeUnknownError) -> list[StoredEvent] | None:
        """What became of an append whose commit was cut off (see AppendOutcomeUnknownError).

        Its events as stored if it committed; None if nothing of it is stored (append it again
        after the same head). Raises ConcurrencyError if other events took those sequence
        numbers (this append is not stored: re-read and decide again), StoreUnavailableError
        while no primary is reachable (call again later).
        """
        production, after = unknown.production, unknown.expected_seq
        wanted = unknown.payloads
        conn = self._connection()
        with _translate(self._label), conn.cursor(binary=True) as cur:
            found = cur.execute(_SELECT_PRODUCTION, (production, after, len(wanted))).fetchall()
        if not found:
            return None
        stored = list(starmap(StoredEvent, found))
        if [e.payload for e in stored] == list(wanted):
            return stored
        if stored[0].payload != wanted[0]:
            raise ConcurrencyError(production, after, self.head(production))
        # One transaction wrote all of it or none: anything else is not this store's doing.
        raise CorruptStoreError(
            f"{self._label}: production {production!r} holds only part of an append after "
            f"seq {after}; run `showclear verify`"
        )

    def read(self, production: str, after_seq: int = 0) -> Iterator[StoredEvent]:
        """The production's events with seq > after_seq, in order."""
        pages = self._pages(_SELECT_PRODUCTION, (production,), after_seq, key=2)
        return starmap(StoredEvent, pages)

    def read_all(self, after_position: int = 0) -> Iterator[StoredEvent]:
        """Every event with position > after_position, in global order."""
        return starmap(StoredEvent, self._pages(_SELECT_ALL, (), after_position, key=0))

    def read_payloads(self, production: str, after_seq: int = 0) -> Iterator[tuple[int, bytes]]:
        """(seq, canonical payload) of the production's events after `after_seq`: the fast path."""
        return self._pages(_SELECT_PAYLOADS, (production,), after_seq, key=0)

    def read_leaves(
        self, production: str, after_seq: int = 0, up_to_seq: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """(seq, payload, leaf hash) rows as stored, for verification (no per-row objects).

        With `up_to_seq`, only rows with seq <= up_to_seq (a range for a second reader).
        """
        bound = _MAX_SEQ if up_to_seq is None else up_to_seq
        return self._pages(_SELECT_LEAVES, (production,), after_seq, key=0, suffix=(bound,))

    def read_leaf_hashes(self, production: str, after_seq: int = 0) -> list[tuple[int, bytes, str]]:
        """(seq, leaf hash, command time) of the production's events after `after_seq`."""
        return list(self._pages(_SELECT_LEAF_HASHES, (production,), after_seq, key=0))

    def head(self, production: str) -> int:
        """The last seq of the production (0 when it has none)."""
        conn = self._connection()
        with _translate(self._label):
            return self._head(conn, production)

    def count(self, production: str) -> int:
        """How many rows the production has: its head, unless rows were deleted by hand."""
        conn = self._connection()
        with _translate(self._label):
            return _scalar(conn, "SELECT COUNT(*) FROM events WHERE production = %s", (production,))

    def productions(self) -> list[str]:
        """Every production with at least one event, in order of first event."""
        conn = self._connection()
        with _translate(self._label):
            rows = conn.execute("SELECT production FROM events WHERE seq = 1 ORDER BY position")
            return [str(row[0]) for row in rows]

    def ledger_productions(self) -> list[str]:
        """Productions named by an event or a checkpoint: by first event, checkpoint-only last.

        What verification walks: a production whose first event went missing is still named.
        """
        return [str(p) for p in self._column(_SELECT_LEDGER_PRODUCTIONS, ())]

    def log_reader(self, production: str) -> PostgresLogReader:
        """A reader of one production's ledger for (two-core) verification; close it after."""
        return PostgresLogReader(self.conninfo, production)

    def close(self) -> None:
        """Run the `before_close` callbacks, then close the connection; later calls do nothing."""
        callbacks, self.before_close = self.before_close, []
        try:
            for callback in callbacks:
                callback()
        finally:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None:
                with _translate(self._label):
                    conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- checkpoints ----------------------------------------------------------------------

    def add_checkpoint(
        self,
        production: str,
        tree_size: int,
        root_hash: bytes,
        note: str,
        *,
        if_absent: bool = False,
    ) -> Checkpoint:
        """Store a checkpoint of the production's first `tree_size` events.

        With `if_absent`, a checkpoint already stored at that tree size (another process signed
        the same head) is kept and this one dropped, instead of raising.
        """
        conn = self._connection()
        with _translate(self._label), conn.transaction():
            conn.execute(_LOCK, (PRODUCTION_LOCK_NAMESPACE, production_lock_key(production)))
            head = self._head(conn, production)
            return self._insert_checkpoint(
                conn, production, tree_size, root_hash, note, head, if_absent=if_absent
            )

    def checkpoints(self, production: str) -> list[Checkpoint]:
        """The production's checkpoints, smallest tree first."""
        conn = self._connection()
        with _translate(self._label), conn.cursor(binary=True) as cur:
            cur.execute(
                f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE production = %s "
                "ORDER BY tree_size",
                (production,),
            )
            return list(starmap(Checkpoint, cur))

    def latest_checkpoint(self, production: str) -> Checkpoint | None:
        """The production's checkpoint with the largest tree, if any."""
        conn = self._connection()
        with _translate(self._label), conn.cursor(binary=True) as cur:
            row = cur.execute(
                f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE production = %s "
                "ORDER BY tree_size DESC LIMIT 1",
                (production,),
            ).fetchone()
        return None if row is None else Checkpoint(*row)

    def _insert_checkpoint(
        self,
        conn: Connection,
        production: str,
        tree_size: int,
        root_hash: bytes,
        note: str,
        head: int,
        *,
        if_absent: bool = False,
    ) -> Checkpoint:
        if not 1 <= tree_size <= head:
            raise ValueError(
                f"production {production!r}: checkpoint tree size {tree_size} outside 1..{head}"
            )
        created = Checkpoint(production, tree_size, bytes(root_hash), note, _utc_now())
        conflict = " ON CONFLICT (production, tree_size) DO NOTHING" if if_absent else ""
        try:
            conn.execute(
                f"INSERT INTO checkpoints ({_CHECKPOINT_COLUMNS}) "
                f"VALUES (%s, %s, %s, %s, %s){conflict}",
                (production, tree_size, created.root_hash, note, created.created_at),
            )
        except pg_errors.UniqueViolation as e:
            raise StoreError(
                f"{self._label}: production {production!r} already has a checkpoint at tree "
                f"size {tree_size}; a published checkpoint is never replaced"
            ) from e
        return created

    # -- the Merkle tree's stored tiles (showclear.ledger.tiles.TileStore) -----------------

    def tile_counts(self, production: str) -> dict[int, int]:
        """How many tile hashes are stored per level (each level holds indices 0 to n - 1)."""
        conn = self._connection()
        counts: dict[int, int] = {}
        with _translate(self._label):
            for level, count in conn.execute(_SELECT_TILE_COUNTS, (production,)):
                if not count:
                    break  # a level with none ends the tree
                counts[int(level)] = int(count)
        return counts

    def add_tile_hashes(self, production: str, rows: Sequence[tuple[int, int, bytes]]) -> None:
        """Store (level, index, hash) rows in one durable transaction; stored rows are kept."""
        if not rows:
            return
        conn = self._connection()
        with _translate(self._label):
            self._insert_tiles(conn, production, rows)

    @staticmethod
    def _insert_tiles(
        conn: Connection, production: str, rows: Sequence[tuple[int, int, bytes]]
    ) -> None:
        levels, indices, hashes = (list(column) for column in zip(*rows, strict=True))
        conn.execute(_INSERT_TILES, (production, levels, indices, hashes))

    # -- store metadata -------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A store-level setting, or None when unset."""
        conn = self._connection()
        with _translate(self._label):
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a store-level setting (durably)."""
        conn = self._connection()
        with _translate(self._label):
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def schema_version(self) -> int:
        """The newest migration applied to this database."""
        conn = self._connection()
        with _translate(self._label):
            return max(applied_migrations(conn), default=0)

    def durability(self) -> dict[str, str]:
        """The server settings that decide when an append is acknowledged (for reports)."""
        names = ("synchronous_commit", "synchronous_standby_names", "fsync", "wal_level")
        conn = self._connection()
        with _translate(self._label):
            row = conn.execute(
                "SELECT " + ", ".join("current_setting(%s)" for _ in names), names
            ).fetchone()
        assert row is not None
        return dict(zip(names, (str(v) for v in row), strict=True))

    # -- internals ------------------------------------------------------------------------

    def _connection(self) -> Connection:
        if self._closed:
            raise StoreClosedError(f"{self._label}: store is closed")
        conn = self._conn
        if conn is None or conn.closed:
            # The last connection was lost (server restart, failover): open a new one. Its
            # error was already reported to the caller that saw it.
            self._conn = None
            conn = self._conn = self._connect()
        return conn

    @staticmethod
    def _head(conn: Connection, production: str) -> int:
        return _scalar(conn, _SELECT_HEAD, (production,))

    def _insert_events(self, conn: Connection, rows: list[EventRow]) -> None:
        if len(rows) >= COPY_ROWS:
            self._copy_events(conn, rows)
            return
        with conn.cursor() as cur:
            cur.executemany(_INSERT_EVENT, rows)

    @staticmethod
    def _copy_events(conn: Connection, rows: Iterable[EventRow]) -> None:
        try:
            data = _binary_copy(rows, conn.info.encoding)
        except struct.error as e:  # a version beyond int4, say: the column's own refusal
            raise pg_errors.NumericValueOutOfRange(f"an event field is out of range: {e}") from e
        with conn.cursor() as cur, cur.copy(_COPY_EVENTS) as copy:
            copy.write(data)


class PostgresLogReader(_Reads):
    """One production's ledger read for verification, on a read-only connection of its own.

    Safe across a fork (what two-core verification does): the connection is opened on first use
    in each process, never inherited, and a child never closes its parent's. Implements
    `showclear.ledger.parallel.LogSource`.
    """

    def __init__(self, conninfo: str, production: str) -> None:
        self.conninfo = conninfo
        self.production = production
        self._label = describe(conninfo)
        self._conn: tuple[int, Connection] | None = None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn[0] != os.getpid() or self._conn[1].closed:
            conn = _open_connection(self.conninfo, self._label, "showclear-verify")
            with _translate(self._label):
                conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            self._conn = (os.getpid(), conn)
        return self._conn[1]

    def rows(self, after: int, up_to: int | None) -> Iterator[tuple[int, bytes, bytes]]:
        """(seq, payload, leaf hash) of after < seq [<= up_to], in seq order."""
        bound = _MAX_SEQ if up_to is None else up_to
        return self._pages(_SELECT_LEAVES, (self.production,), after, key=0, suffix=(bound,))

    def count(self) -> int:
        conn = self._connection()
        with _translate(self._label):
            sql = "SELECT COUNT(*) FROM events WHERE production = %s"
            return _scalar(conn, sql, (self.production,))

    def notes(self, above: int, up_to: int | None) -> list[tuple[int, str]]:
        """(tree size, note) of the checkpoints filed with above < size [<= up_to], by size."""
        bound = _MAX_SEQ if up_to is None else up_to
        sql = f"{_SELECT_NOTES} AND tree_size <= %s ORDER BY tree_size"
        return self._rows(sql, (self.production, above, bound))

    def newest(self) -> list[tuple[int, str]]:
        """The checkpoint with the largest tree size, if any."""
        sql = f"{_SELECT_NOTES} ORDER BY tree_size DESC LIMIT 1"
        return self._rows(sql, (self.production, -1))

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[int, str]]:
        conn = self._connection()
        with _translate(self._label):
            return [(int(size), str(note)) for size, note in conn.execute(sql, params)]

    def close(self) -> None:
        """Close this process's connection (one inherited across a fork is left alone)."""
        if self._conn is not None and self._conn[0] == os.getpid():
            self._conn[1].close()
        self._conn = None


# -- COPY's binary format, written in one go ----------------------------------------------------

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no header extension
_COPY_TRAILER = b"\xff\xff"
_ROW_START = struct.Struct(">hiq").pack  # 10 fields; then position: length 8, int8
_INT8 = struct.Struct(">iq").pack  # length 8, value
_INT4 = struct.Struct(">ii").pack  # length 4, value
_LENGTH = struct.Struct(">i").pack


def _binary_copy(rows: Iterable[EventRow], encoding: str) -> bytes:
    """The rows in PostgreSQL's binary COPY format (every field its length, then its bytes:
    integers big-endian, text in the connection's encoding, bytea as is).

    One join of ready-made pieces instead of psycopg's `write_row`, which dumps value by value
    through its adapters (a fifth of the studio's time storing a push). Text fields repeat
    (the production, the commit time, types, actors, command times): each is encoded once.
    """
    texts: dict[str, bytes] = {}

    def text(value: str) -> bytes:
        encoded = value.encode(encoding)
        field = texts[value] = _LENGTH(len(encoded)) + encoded
        return field

    parts = [_COPY_HEADER]
    add = parts.extend
    for position, production, seq, type_, version, actor, at, recorded, payload, leaf in rows:
        add((
            _ROW_START(10, 8, position),
            texts.get(production) or text(production),
            _INT8(8, seq),
            texts.get(type_) or text(type_),
            _INT4(4, version),
            texts.get(actor) or text(actor),
            texts.get(at) or text(at),
            texts.get(recorded) or text(recorded),
            _LENGTH(len(payload)),
            payload,
            _LENGTH(len(leaf)),
            leaf,
        ))  # fmt: skip
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


def _scalar(conn: Connection, sql: str, params: tuple[Any, ...]) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])
