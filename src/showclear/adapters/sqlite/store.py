"""The embedded event store: one SQLite file, stdlib `sqlite3`.

Durability and sharing: WAL journal with ``synchronous=FULL``, so an acknowledged append has
been fsynced and survives power loss. Several processes may open the same file; writers are
serialised by SQLite's write lock (``BEGIN IMMEDIATE``, waiting up to 10 s), and a writer that
lost the race sees a moved head and gets ConcurrencyError. Every ``sqlite3`` error leaves this
module as a StoreError subclass (see `_translate`).

A store object holds one connection and, like the connection, belongs to the thread that
opened it; open another store object per thread or process (opening is cheap). Store objects on
the same file in one process queue their write transactions on one Python lock before taking
SQLite's: a thread waiting there wakes the moment the other commits, where SQLite's busy handler
would sleep a millisecond or more, ten times the length of a commit.

Implements `showclear.ports.LedgerBackend`: events, checkpoints, node meta, the ledger's stored
tiles and the reads verification makes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import starmap
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from showclear.adapters.sqlite.schema import applied_migrations, migrate_sqlite
from showclear.adapters.store_common import event_rows, prepare
from showclear.ports import (
    CheckpointHook,
    ConcurrencyError,
    CorruptStoreError,
    NewEvent,
    StoreBusyError,
    StoreClosedError,
    StoredCheckpoint,
    StoredCosignature,
    StoredEvent,
    StoreError,
)

BUSY_TIMEOUT_MS = 10_000

WriteLock = threading.RLock  # the factory; its objects are what `_write_lock` hands out

_EVENT_COLUMNS = (
    "position, production, seq, type, version, actor, at, recorded_at, payload, leaf_hash"
)
_INSERT_EVENT = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SELECT_PRODUCTION = (
    f"SELECT {_EVENT_COLUMNS} FROM events WHERE production = ? AND seq > ? ORDER BY seq"
)
_SELECT_ALL = f"SELECT {_EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position"
_SELECT_PAYLOADS = "SELECT seq, payload FROM events WHERE production = ? AND seq > ? ORDER BY seq"
# Rows a hand edit left with the wrong type come back as bytes all the same (TEXT as its UTF-8
# bytes, anything else empty or zero), so verification names them instead of failing on them.
_LEAF_COLUMNS = (
    "seq, COALESCE(CAST(payload AS BLOB), X''), CASE WHEN typeof(leaf_hash) = 'blob' "
    "THEN leaf_hash ELSE zeroblob(32) END"
)
_SELECT_LEAVES = f"SELECT {_LEAF_COLUMNS} FROM events WHERE production = ? AND seq > ? ORDER BY seq"
# Productions named by events or checkpoints: one whose first events were deleted is still named.
_SELECT_LEDGER_PRODUCTIONS = (
    "SELECT production FROM (SELECT production, MIN(position) AS p FROM events "
    "GROUP BY production UNION ALL SELECT production, 1e18 FROM checkpoints) "
    "GROUP BY production ORDER BY MIN(p)"
)
_SELECT_LEAF_HASHES = (
    "SELECT seq, leaf_hash, at FROM events WHERE production = ? AND seq > ? ORDER BY seq"
)
_SELECT_HEAD = "SELECT COALESCE(MAX(seq), 0) FROM events WHERE production = ?"
# One statement for both heads an append needs: the production's and the whole log's.
_SELECT_HEADS = f"SELECT ({_SELECT_HEAD}), (SELECT COALESCE(MAX(position), 0) FROM events)"
_CHECKPOINT_COLUMNS = "production, tree_size, root_hash, note, created_at"
_SELECT_LEAF_HASH_RANGE = (
    "SELECT leaf_hash FROM events WHERE production = ? AND seq > ? AND seq <= ? ORDER BY seq"
)
_SELECT_TILES = (
    "SELECT idx, hash FROM ledger_tiles WHERE production = ? AND level = ? AND idx >= ? "
    "AND idx < ? ORDER BY idx"
)
_SELECT_TILE_COUNT = (
    "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_tiles WHERE production = ? AND level = ?"
)
_INSERT_TILE = (
    "INSERT INTO ledger_tiles (production, level, idx, hash) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (production, level, idx) DO NOTHING"
)

# Primary result codes (the low byte of sqlite3.Error.sqlite_errorcode).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


def _store_error(label: str, e: sqlite3.Error) -> StoreError:
    """The one place where sqlite3 errors become StoreErrors."""
    code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreBusyError(
            f"{label}: store is busy: another process is writing "
            f"(waited up to {BUSY_TIMEOUT_MS / 1000:g} s): {e}"
        )
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return CorruptStoreError(f"{label}: not a readable ShowClear store ({e})")
    return StoreError(f"{label}: {e}")


@contextmanager
def translate_errors(label: str) -> Iterator[None]:
    """Every sqlite3 error inside becomes the StoreError of `showclear.ports` it means."""
    try:
        yield
    except sqlite3.Error as e:
        raise _store_error(label, e) from e


_translate = translate_errors


_WRITE_LOCKS: dict[str, WriteLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: str) -> WriteLock:
    """The in-process write lock of the store file at `path` (one per file, made on first use).

    Reentrant, so a thread that nests a second store's write in its own (a mistake) waits on
    SQLite and gets StoreBusyError, as it would across processes, instead of deadlocking here.
    """
    if path == ":memory:":
        return threading.RLock()  # a private database: nobody to queue behind
    key = os.path.realpath(path)
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(key)
        if lock is None:
            lock = _WRITE_LOCKS[key] = threading.RLock()
        return lock


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class SQLiteLogReader:
    """One production's ledger read for verification, on read-only connections of its own.

    Safe across a fork (what two-core verification does): the connection is opened on first use
    in each process, never inherited. Rows a hand edit left with the wrong type come back as
    bytes all the same (TEXT as its UTF-8 bytes, anything else empty or zero), so verification
    names them instead of failing on them. Implements `showclear.ledger.parallel.LogSource`.
    """

    _ROWS = f"SELECT {_LEAF_COLUMNS} FROM events WHERE production = ? AND seq > ?"
    _NOTES = (
        "SELECT tree_size, COALESCE(CAST(note AS TEXT), '') FROM checkpoints "
        "WHERE production = ? AND tree_size > ?"
    )

    def __init__(self, path: str | Path, production: str) -> None:
        self.path = Path(path)
        self.production = production
        self._conn: tuple[int, sqlite3.Connection] | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._conn[0] != os.getpid():
            uri = self.path.resolve().as_uri() + "?mode=ro"
            with _translate(str(self.path)):
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
            self._conn = (os.getpid(), conn)
        return self._conn[1]

    def _bounded(self, sql: str, key: str, after: int, up_to: int | None) -> sqlite3.Cursor:
        params: tuple[Any, ...] = (self.production, after)
        if up_to is not None:
            sql += f" AND {key} <= ?"
            params += (up_to,)
        with _translate(str(self.path)):
            return self._connection().execute(f"{sql} ORDER BY {key}", params)

    def rows(self, after: int, up_to: int | None) -> Iterator[tuple[int, bytes, bytes]]:
        """(seq, payload, leaf hash) of after < seq [<= up_to], in seq order."""
        return self._bounded(self._ROWS, "seq", after, up_to)

    def count(self) -> int:
        with _translate(str(self.path)):
            sql = "SELECT COUNT(*) FROM events WHERE production = ?"
            return int(self._connection().execute(sql, (self.production,)).fetchone()[0])

    def notes(self, above: int, up_to: int | None) -> list[tuple[int, str]]:
        """(tree size, note) of the checkpoints filed with above < size [<= up_to], by size."""
        return self._bounded(self._NOTES, "tree_size", above, up_to).fetchall()

    def newest(self) -> list[tuple[int, str]]:
        """The checkpoint with the largest tree size, if any."""
        sql = f"{self._NOTES} ORDER BY tree_size DESC LIMIT 1"
        with _translate(str(self.path)):
            return self._connection().execute(sql, (self.production, -1)).fetchall()

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        with _translate(str(self.path)):
            rows = self._connection().execute(_SELECT_LEAF_HASH_RANGE, (production, start, end))
            return [bytes(row[0]) for row in rows]

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        with _translate(str(self.path)):
            rows = self._connection().execute(_SELECT_TILES, (production, level, start, end))
            return _contiguous(rows.fetchall(), start)

    def close(self) -> None:
        if self._conn is not None and self._conn[0] == os.getpid():
            self._conn[1].close()
        self._conn = None


def _contiguous(rows: Sequence[tuple[int, bytes]], start: int) -> list[bytes]:
    """The hashes of (index, hash) rows from index `start` up to the first gap."""
    hashes: list[bytes] = []
    for expected, (index, value) in enumerate(rows, start):
        if index != expected:
            break
        hashes.append(bytes(value))
    return hashes


class SQLiteEventStore:
    """EventStore on a SQLite file (created and migrated on first open)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._label = str(path)
        self._write_lock = _write_lock(self._label)
        self._conn: sqlite3.Connection | None = None
        with _translate(self._label):
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                self._configure(conn)
                migrate_sqlite(conn, label=self._label)
            except BaseException:
                conn.close()
                raise
        self._conn = conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        # busy_timeout first: switching a new file to WAL needs a lock another opener may hold.
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = self._switch_to_wal(conn)
        if mode != "wal" and not (mode == "memory" and self._label == ":memory:"):
            raise StoreError(f"{self._label}: cannot use WAL journal mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")

    @staticmethod
    def _switch_to_wal(conn: sqlite3.Connection) -> str:
        # SQLite answers SQLITE_BUSY to a journal-mode change at once, without the busy
        # handler, when another process is opening the same new file; wait for it here.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.001
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as e:
                code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
                if code != _SQLITE_BUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

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
        prepared = prepare(production, expected_seq, events)  # before the write lock
        conn = self._connection()
        lock = self._acquire_write_lock()
        # _translate and _write_transaction written out: this runs once per command.
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                actual, last_position = conn.execute(_SELECT_HEADS, (production,)).fetchone()
                if actual != expected_seq:
                    raise ConcurrencyError(production, expected_seq, int(actual))
                recorded_at = _utc_now()
                rows = event_rows(production, prepared, last_position, recorded_at)
                if len(rows) == 1:
                    conn.execute(_INSERT_EVENT, rows[0])
                else:
                    conn.executemany(_INSERT_EVENT, rows)
                stored = list(starmap(StoredEvent, rows))
                if checkpoint is not None:
                    result = checkpoint(production, stored)
                    if result is not None:
                        tree_size, root_hash, note = result
                        self._insert_checkpoint(
                            conn, production, tree_size, root_hash, note, stored[-1].seq
                        )
                if tiles:
                    conn.executemany(_INSERT_TILE, [(production, *row) for row in tiles])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise _store_error(self._label, e) from e
        finally:
            lock.release()
        return stored

    def read(self, production: str, after_seq: int = 0) -> Iterator[StoredEvent]:
        """The production's events with seq > after_seq, in order."""
        return self._stream(_SELECT_PRODUCTION, (production, after_seq))

    def read_all(self, after_position: int = 0) -> Iterator[StoredEvent]:
        """Every event with position > after_position, in global order."""
        return self._stream(_SELECT_ALL, (after_position,))

    def read_payloads(self, production: str, after_seq: int = 0) -> Iterator[tuple[int, bytes]]:
        """(seq, canonical payload) of the production's events after `after_seq`: the fast path."""
        conn = self._connection()
        with _translate(self._label):
            cursor = conn.execute(_SELECT_PAYLOADS, (production, after_seq))
            yield from cursor

    def read_leaves(
        self, production: str, after_seq: int = 0
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """(seq, payload, leaf hash) rows, always bytes, for verification (no per-row objects)."""
        conn = self._connection()
        with _translate(self._label):
            cursor = conn.execute(_SELECT_LEAVES, (production, after_seq))
            yield from cursor

    def event_payload(self, production: str, seq: int) -> bytes | None:
        """The canonical bytes of one event, or None when there is no such event."""
        conn = self._connection()
        with _translate(self._label):
            row = conn.execute(
                "SELECT payload FROM events WHERE production = ? AND seq = ?", (production, seq)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def read_leaf_hashes(self, production: str, after_seq: int = 0) -> list[tuple[int, bytes, str]]:
        """(seq, leaf hash, command time) of the production's events after `after_seq`."""
        conn = self._connection()
        with _translate(self._label):
            return conn.execute(_SELECT_LEAF_HASHES, (production, after_seq)).fetchall()

    def head(self, production: str) -> int:
        """The last seq of the production (0 when it has none)."""
        conn = self._connection()
        with _translate(self._label):
            return int(conn.execute(_SELECT_HEAD, (production,)).fetchone()[0])

    def count(self, production: str) -> int:
        """How many rows the production has: its head, unless rows were deleted by hand."""
        conn = self._connection()
        with _translate(self._label):
            sql = "SELECT COUNT(*) FROM events WHERE production = ?"
            return int(conn.execute(sql, (production,)).fetchone()[0])

    def productions(self) -> list[str]:
        """Every production with at least one event, in order of first event."""
        conn = self._connection()
        with _translate(self._label):
            rows = conn.execute("SELECT production FROM events WHERE seq = 1 ORDER BY position")
            return [str(row[0]) for row in rows]

    def ledger_productions(self) -> list[str]:
        """Productions named by an event or a checkpoint: by first event, checkpoint-only last."""
        conn = self._connection()
        with _translate(self._label):
            return [str(row[0]) for row in conn.execute(_SELECT_LEDGER_PRODUCTIONS)]

    def log_reader(self, production: str) -> SQLiteLogReader:
        """A reader of one production for two-core verification (its own connections)."""
        return SQLiteLogReader(self.path, production)

    def close(self) -> None:
        """Close the connection; later calls do nothing."""
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
    ) -> StoredCheckpoint:
        """Store a checkpoint of the production's first `tree_size` events.

        With `if_absent`, a checkpoint already stored at that tree size (another process signed
        the same head) is kept and this one dropped, instead of raising.
        """
        conn = self._connection()
        with _translate(self._label), self._write_transaction(conn):
            head = int(conn.execute(_SELECT_HEAD, (production,)).fetchone()[0])
            return self._insert_checkpoint(
                conn, production, tree_size, root_hash, note, head, if_absent=if_absent
            )

    def checkpoints(self, production: str) -> list[StoredCheckpoint]:
        """The production's checkpoints, smallest tree first."""
        conn = self._connection()
        with _translate(self._label):
            rows = conn.execute(
                f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE production = ? "
                "ORDER BY tree_size",
                (production,),
            )
            return list(starmap(StoredCheckpoint, rows))

    def latest_checkpoint(self, production: str) -> StoredCheckpoint | None:
        """The production's checkpoint with the largest tree, if any."""
        conn = self._connection()
        with _translate(self._label):
            row = conn.execute(
                f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE production = ? "
                "ORDER BY tree_size DESC LIMIT 1",
                (production,),
            ).fetchone()
        return None if row is None else StoredCheckpoint(*row)

    def _insert_checkpoint(
        self,
        conn: sqlite3.Connection,
        production: str,
        tree_size: int,
        root_hash: bytes,
        note: str,
        head: int,
        *,
        if_absent: bool = False,
    ) -> StoredCheckpoint:
        if not 1 <= tree_size <= head:
            raise ValueError(
                f"production {production!r}: checkpoint tree size {tree_size} outside 1..{head}"
            )
        created = StoredCheckpoint(production, tree_size, bytes(root_hash), note, _utc_now())
        conflict = " ON CONFLICT (production, tree_size) DO NOTHING" if if_absent else ""
        conn.execute(
            f"INSERT INTO checkpoints ({_CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?){conflict}",
            (created.production, created.tree_size, created.root_hash, note, created.created_at),
        )
        return created

    # -- the Merkle tree's stored tiles (showclear.ledger.tiles.TileStore) -----------------

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        """Leaf hashes of the production's leaves [start, end) (seqs start + 1 to end)."""
        conn = self._connection()
        with _translate(self._label):
            rows = conn.execute(_SELECT_LEAF_HASH_RANGE, (production, start, end))
            return [bytes(row[0]) for row in rows]

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        """Stored tile hashes at `level` with index in [start, end), up to the first gap."""
        conn = self._connection()
        with _translate(self._label):
            rows = conn.execute(_SELECT_TILES, (production, level, start, end)).fetchall()
        return _contiguous(rows, start)

    def tile_counts(self, production: str) -> dict[int, int]:
        """How many tile hashes are stored per level (each level holds indices 0 to n - 1)."""
        conn = self._connection()
        counts: dict[int, int] = {}
        with _translate(self._label):
            level = 1
            # Each level is one index look-up; a level with none ends the tree.
            while count := int(conn.execute(_SELECT_TILE_COUNT, (production, level)).fetchone()[0]):
                counts[level] = count
                level += 1
        return counts

    def add_tile_hashes(self, production: str, rows: Sequence[tuple[int, int, bytes]]) -> None:
        """Store (level, index, hash) rows in one durable transaction; stored rows are kept."""
        conn = self._connection()
        with _translate(self._label), self._write_transaction(conn):
            conn.executemany(
                _INSERT_TILE, [(production, level, index, value) for level, index, value in rows]
            )

    # -- the studio's co-signatures of this node's checkpoints -----------------------------

    def add_cosignature(
        self, production: str, tree_size: int, note: str, studio_key: str, cosigned_at: int
    ) -> None:
        """Keep a checked co-signed note (a repeat of one already kept changes nothing)."""
        conn = self._connection()
        with _translate(self._label), self._write_transaction(conn):
            conn.execute(
                "INSERT INTO cosignatures (production, tree_size, note, studio_key, cosigned_at, "
                "stored_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (production, tree_size, note, studio_key, cosigned_at, _utc_now()),
            )

    def cosignatures(self, production: str) -> list[StoredCosignature]:
        """The production's co-signed notes kept, smallest tree first."""
        conn = self._connection()
        with _translate(self._label):
            rows = conn.execute(
                "SELECT production, tree_size, note, studio_key, cosigned_at FROM cosignatures "
                "WHERE production = ? ORDER BY tree_size, cosigned_at",
                (production,),
            ).fetchall()
        return list(starmap(StoredCosignature, rows))

    # -- node metadata --------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A node-level setting, or None when unset."""
        conn = self._connection()
        with _translate(self._label):
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a node-level setting (durably)."""
        conn = self._connection()
        with _translate(self._label), self._write_transaction(conn):
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def schema_version(self) -> int:
        """The newest migration applied to this file."""
        conn = self._connection()
        with _translate(self._label):
            return max(applied_migrations(conn), default=0)

    # -- internals ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreClosedError(f"{self._label}: store is closed")
        return self._conn

    def _stream(self, sql: str, params: tuple[Any, ...]) -> Iterator[StoredEvent]:
        # Column order equals StoredEvent's field order, so rows go straight into the
        # constructor at C speed; plain cursor iteration is as fast as fetchmany batches here.
        conn = self._connection()
        with _translate(self._label):
            yield from starmap(StoredEvent, conn.execute(sql, params))

    def _acquire_write_lock(self) -> WriteLock:
        lock = self._write_lock
        if not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise StoreBusyError(
                f"{self._label}: store is busy: another thread of this process is writing "
                f"(waited {BUSY_TIMEOUT_MS / 1000:g} s)"
            )
        return lock

    @contextmanager
    def _write_transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so the head read inside is the head the
        # commit lands on; a deferred transaction could fail late with SQLITE_BUSY_SNAPSHOT.
        lock = self._acquire_write_lock()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            lock.release()
