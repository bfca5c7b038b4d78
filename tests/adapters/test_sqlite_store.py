"""The event store contract on SQLite, plus what only SQLite has."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from contract import EventStoreContract, issued

import showclear.adapters.sqlite.store as sqlite_store
from showclear.adapters.sqlite.schema import load_migrations, split_statements
from showclear.adapters.sqlite.store import SQLiteEventStore, StoreBusyError
from showclear.ports import ConcurrencyError, CorruptStoreError, StoreError


class TestSQLiteEventStore(EventStoreContract):
    def url(self, path: Path) -> str:
        return "sqlite://" + path.resolve().as_posix()

    def recorded_migrations(self, path: Path) -> list[tuple[int, str, str]]:
        with sqlite3.connect(path) as conn:
            rows = conn.execute(
                "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
            ).fetchall()
        return [(int(v), str(n), str(a)) for v, n, a in rows]

    def pretend_newer_schema(self, path: Path, version: int) -> None:
        conn = sqlite3.connect(path)
        with conn:
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, 'from_the_future', ?)",
                (version, datetime.now(UTC).isoformat()),
            )
        conn.close()


def test_connection_is_durable_and_shared_safely(tmp_path: Path) -> None:
    with SQLiteEventStore(tmp_path / "s.db") as store:
        conn = store._conn
        assert conn is not None
        pragmas = {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 10_000,
    }


def test_events_table_has_the_documented_columns(tmp_path: Path) -> None:
    SQLiteEventStore(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        columns = [(r[1], r[2], r[5]) for r in conn.execute("PRAGMA table_info(events)")]
    assert columns == [
        ("position", "INTEGER", 1),
        ("production", "TEXT", 0),
        ("seq", "INTEGER", 0),
        ("type", "TEXT", 0),
        ("version", "INTEGER", 0),
        ("actor", "TEXT", 0),
        ("at", "TEXT", 0),
        ("recorded_at", "TEXT", 0),
        ("payload", "BLOB", 0),
        ("leaf_hash", "BLOB", 0),
    ]


def test_migrations_match_the_shipped_files(tmp_path: Path) -> None:
    SQLiteEventStore(tmp_path / "s.db").close()
    recorded = TestSQLiteEventStore().recorded_migrations(tmp_path / "s.db")
    assert [(v, n) for v, n, _ in recorded] == [(m.version, m.name) for m in load_migrations()]
    assert [m.name for m in load_migrations()][:3] == ["events", "checkpoints", "meta"]


def test_renamed_migration_is_refused(tmp_path: Path) -> None:
    SQLiteEventStore(tmp_path / "s.db").close()
    conn = sqlite3.connect(tmp_path / "s.db")
    with conn:
        conn.execute("UPDATE schema_migrations SET name = 'something_else' WHERE version = 2")
    conn.close()
    with pytest.raises(StoreError, match="migration 2 as 'something_else'"):
        SQLiteEventStore(tmp_path / "s.db")


def test_stored_events_cannot_be_edited_in_place(tmp_path: Path) -> None:
    with SQLiteEventStore(tmp_path / "s.db") as store:
        store.append("p", 0, [issued("F-1", "a")])
        store.add_checkpoint("p", 1, b"\x01" * 32, "note")
    conn = sqlite3.connect(tmp_path / "s.db")
    for statement in (
        "UPDATE events SET actor = 'someone else'",
        "DELETE FROM events",
        "UPDATE checkpoints SET root_hash = zeroblob(32)",
        "DELETE FROM checkpoints",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    conn.close()


def test_a_file_that_is_not_a_database_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not a sqlite database, it is a call sheet " * 100)
    with pytest.raises(CorruptStoreError) as raised:
        SQLiteEventStore(path)
    assert isinstance(raised.value.__cause__, sqlite3.DatabaseError)


def test_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unable to open"):
        SQLiteEventStore(tmp_path / "no" / "such" / "dir.db")


def test_lock_held_too_long_is_a_store_error_not_a_sqlite_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "s.db"
    store = SQLiteEventStore(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusyError, match="busy") as raised:
            store.append("p", 0, [issued("F-1", "a")])
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [e.seq for e in store.append("p", 0, [issued("F-1", "a")])] == [1]
    store.close()


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    sql = """
    -- leading comment; with a semicolon
    CREATE TABLE t (x TEXT DEFAULT 'a;b');
    CREATE TRIGGER t_ro BEFORE DELETE ON t
    BEGIN
        SELECT RAISE(ABORT, 'no; never');
    END;
    -- trailing comment
    """
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TRIGGER t_ro BEFORE DELETE ON t BEGIN SELECT 1;")


def _open_fresh_and_append(
    paths: list[Path],
    barrier: threading.Barrier,
    results: multiprocessing.Queue[tuple[int, str]],
) -> None:
    """Child process: for each new file, open it at the same moment as the others and append."""
    for index, path in enumerate(paths):
        try:
            barrier.wait(timeout=60)
            with SQLiteEventStore(path) as store:
                store.append("p", 0, [issued("F-1", "a")])
            results.put((index, "ok"))
        except ConcurrencyError:
            results.put((index, "conflict"))
        except Exception as e:
            results.put((index, f"error: {type(e).__name__}: {e}"))


@pytest.mark.slow
def test_processes_creating_the_same_new_file_at_once(tmp_path: Path) -> None:
    openers, files = 6, 20
    paths = [tmp_path / f"new-{n}.db" for n in range(files)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(openers)
    results: multiprocessing.Queue[tuple[int, str]] = ctx.Queue()
    workers = [
        ctx.Process(target=_open_fresh_and_append, args=(paths, barrier, results))
        for _ in range(openers)
    ]
    for w in workers:
        w.start()
    try:
        outcomes: dict[int, list[str]] = {n: [] for n in range(files)}
        for _ in range(openers * files):
            index, outcome = results.get(timeout=120)
            outcomes[index].append(outcome)
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
    for index, got in outcomes.items():
        assert sorted(got) == ["conflict"] * (openers - 1) + ["ok"], (index, got)
    for path in paths:
        with SQLiteEventStore(path) as store:
            assert store.head("p") == 1


def test_a_plain_path_and_a_sqlite_url_open_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from showclear.bootstrap import StoreUrlError, open_backend, parse_store_url

    path = tmp_path / "same.db"
    with SQLiteEventStore(path) as store:
        store.append("p", 0, [issued("F-1", "actor:bob")])
    for url in (str(path), f"sqlite://{path}", path):
        reopened = open_backend(url, must_exist=True)
        try:
            assert reopened.head("p") == 1
        finally:
            reopened.close()
    assert parse_store_url("postgresql://u@/db").scheme == "postgresql"
    with pytest.raises(FileNotFoundError):
        open_backend(tmp_path / "missing.db", must_exist=True)
    # A node on PostgreSQL is refused before it connects when nothing says where its keys live.
    monkeypatch.delenv("SHOWCLEAR_KEYS", raising=False)
    with pytest.raises(StoreUrlError, match="--keys DIR"):
        from showclear.bootstrap import open_node

        open_node("postgresql://nobody@/nothing")


def test_ledger_productions_name_a_production_known_only_by_its_checkpoints(
    tmp_path: Path,
) -> None:
    with SQLiteEventStore(tmp_path / "l.db") as store:
        store.append("b", 0, [issued("F-1", "actor:bob")])
        store.append("a", 0, [issued("F-2", "actor:bob")])
        store.append("c", 0, [issued("F-3", "actor:bob")])
        store.add_checkpoint("c", 1, bytes(32), "note")
        conn = store._conn
        assert conn is not None
        conn.execute("DROP TRIGGER events_append_only_delete")  # a hand edit, as tampering
        conn.execute("DELETE FROM events WHERE production = 'c'")
        assert store.productions() == ["b", "a"]
        assert store.ledger_productions() == ["b", "a", "c"]


def test_a_log_reader_reads_in_a_forked_child(tmp_path: Path) -> None:
    # Two-core verification forks: a reader must open its own connection in each process.
    with SQLiteEventStore(tmp_path / "r.db") as store:
        stored = store.append("p", 0, [issued(f"F-{i}", "actor:bob") for i in range(4)])
        reader = store.log_reader("p")
        assert [seq for seq, _, _ in reader.rows(0, None)] == [1, 2, 3, 4]  # parent connection
        ctx = multiprocessing.get_context("fork")
        results: multiprocessing.Queue[list[tuple[int, bytes]]] = ctx.Queue()

        def child() -> None:
            results.put([(seq, bytes(leaf)) for seq, _, leaf in reader.rows(1, 3)])

        proc = ctx.Process(target=child)
        proc.start()
        got = results.get(timeout=30)
        proc.join(30)
        reader.close()
    assert got == [(e.seq, e.leaf_hash) for e in stored[1:3]]
