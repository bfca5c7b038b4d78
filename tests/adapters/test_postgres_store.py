"""The event store contract on a real PostgreSQL server, plus what only PostgreSQL has."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from contract import EventStoreContract, issued, returned
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.conninfo import conninfo_to_dict

import showclear.adapters.postgres.store as pg_store
from pg import PostgresServer, database_for, database_name
from showclear.adapters.postgres import (
    PostgresEventStore,
    StoreBusyError,
    StoreUnavailableError,
)
from showclear.adapters.postgres.schema import PRODUCTION_LOCK_NAMESPACE, load_migrations
from showclear.adapters.postgres.store import production_lock_key
from showclear.ledger.canonical import decode
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.merkle import CompactTree
from showclear.ledger.note import NoteSigner, NoteVerifier, sign_checkpoint
from showclear.ledger.verifier import verify_log
from showclear.ports import ConcurrencyError, StoredEvent, StoreError


def _rows(conninfo: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(sql.encode()).fetchall()


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    def path(self, tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Path]:
        path = tmp_path / "showclear.db"
        yield path
        postgres_server.drop_database(database_name(path))

    def url(self, path: Path) -> str:
        # The same database as a store URL, as the composition root takes it.
        parts = conninfo_to_dict(database_for(path))
        query = urlencode({"host": parts["host"], "port": parts["port"]})
        return f"postgresql://{parts['user']}@/{parts['dbname']}?{query}"

    def recorded_migrations(self, path: Path) -> list[tuple[int, str, str]]:
        rows = _rows(
            database_for(path),
            "SELECT version, name, applied_at::text FROM schema_migrations ORDER BY version",
        )
        return [(int(str(v)), str(n), str(a)) for v, n, a in rows]

    def pretend_newer_schema(self, path: Path, version: int) -> None:
        with psycopg.connect(database_for(path), autocommit=True) as conn:
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, 'from_the_future')",
                (version,),
            )


# -- durability and schema ----------------------------------------------------------------


def test_every_connection_commits_durably(postgres_database: str) -> None:
    # A connection string asking for asynchronous commit does not get it.
    with PostgresEventStore(postgres_database + " options='-c synchronous_commit=off'") as store:
        settings = store.durability()
    assert settings["synchronous_commit"] == "on"
    assert settings["fsync"] == "on"
    assert settings["synchronous_standby_names"] == ""
    with PostgresEventStore(postgres_database, synchronous_commit="remote_apply") as store:
        assert store.durability()["synchronous_commit"] == "remote_apply"
    for weak in ("off", "local", "remote_write"):
        with pytest.raises(ValueError, match="must be one of on, remote_apply"):
            PostgresEventStore(postgres_database, synchronous_commit=weak)


def test_events_table_has_the_documented_columns(postgres_database: str) -> None:
    PostgresEventStore(postgres_database).close()
    columns = _rows(
        postgres_database,
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = 'events' ORDER BY ordinal_position",
    )
    assert columns == [
        ("position", "bigint", "NO"),
        ("production", "text", "NO"),
        ("seq", "bigint", "NO"),
        ("type", "text", "NO"),
        ("version", "integer", "NO"),
        ("actor", "text", "NO"),
        ("at", "text", "NO"),
        ("recorded_at", "text", "NO"),
        ("payload", "bytea", "NO"),
        ("leaf_hash", "bytea", "NO"),
    ]


def test_migrations_match_the_shipped_files(postgres_database: str) -> None:
    with PostgresEventStore(postgres_database) as store:
        assert store.schema_version() == len(load_migrations())
    recorded = _rows(postgres_database, "SELECT version, name FROM schema_migrations ORDER BY 1")
    assert recorded == [(m.version, m.name) for m in load_migrations()]
    assert [m.name for m in load_migrations()][:3] == ["events", "checkpoints", "meta"]


def test_renamed_migration_is_refused(postgres_database: str) -> None:
    PostgresEventStore(postgres_database).close()
    _rows(
        postgres_database,
        "UPDATE schema_migrations SET name = 'something_else' WHERE version = 2 RETURNING 1",
    )
    with pytest.raises(StoreError, match="migration 2 as 'something_else'"):
        PostgresEventStore(postgres_database)


def test_fresh_database_opened_by_many_at_once_is_migrated_once(postgres_database: str) -> None:
    openers = 8
    barrier = threading.Barrier(openers)
    outcomes: list[str] = []

    def open_and_append() -> None:
        try:
            barrier.wait(timeout=30)
            with PostgresEventStore(postgres_database) as store:
                store.append("p", 0, [issued("F-1", "a")])
            outcomes.append("ok")
        except ConcurrencyError:
            outcomes.append("conflict")
        except Exception as e:
            outcomes.append(f"error: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=open_and_append) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * (openers - 1) + ["ok"], outcomes
    recorded = _rows(postgres_database, "SELECT version FROM schema_migrations ORDER BY 1")
    assert [v for (v,) in recorded] == list(range(1, len(load_migrations()) + 1))


def test_stored_rows_cannot_be_edited_in_place(postgres_database: str) -> None:
    with PostgresEventStore(postgres_database) as store:
        store.append("p", 0, [issued("F-1", "a")])
        store.add_checkpoint("p", 1, b"\x01" * 32, "note")
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        for statement in (
            "UPDATE events SET actor = 'someone else'",
            "DELETE FROM events",
            "TRUNCATE events",
            "UPDATE checkpoints SET root_hash = '\\x00'::bytea",
            "DELETE FROM checkpoints",
            "TRUNCATE checkpoints",
        ):
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                conn.execute(statement.encode())
    with PostgresEventStore(postgres_database) as store:
        assert [e.actor for e in store.read("p")] == ["armorer:ana"]
        assert [c.note for c in store.checkpoints("p")] == ["note"]


# -- reading --------------------------------------------------------------------------------


def test_large_append_and_paged_reads_return_every_row_in_order(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_store, "PAGE_ROWS", 7)  # many page boundaries, including exact ones
    with PostgresEventStore(postgres_database) as store:
        big = store.append("p", 0, [issued(f"F-{i}", "a") for i in range(200)])  # COPY path
        store.append("q", 0, [issued("F-x", "b")])
        store.append("p", 200, [returned("F-0")])  # INSERT path
        assert [e.seq for e in big] == list(range(1, 201))
        assert list(store.read("p"))[:200] == big
        assert [e.seq for e in store.read("p", after_seq=190)] == list(range(191, 202))
        assert [e.position for e in store.read_all()] == list(range(1, 203))
        assert [e.position for e in store.read_all(after_position=196)] == list(range(197, 203))
        assert list(store.read_payloads("p", after_seq=3)) == [
            (e.seq, e.payload) for e in store.read("p", after_seq=3)
        ]
        leaves = list(store.read_leaves("p"))
        assert [s for s, _, _ in leaves] == list(range(1, 202))
        assert all(h == hashlib.sha256(b"\x00" + p).digest() for _, p, h in leaves)
        assert [s for s, _, _ in store.read_leaves("p", 13, up_to_seq=28)] == list(range(14, 29))
        hashes = store.read_leaf_hashes("p", after_seq=195)
        assert [(s, h) for s, h, _ in hashes] == [(s, h) for s, _, h in leaves[195:]]
        assert {at for _, _, at in hashes} == {issued("F", "a").at}
        assert store.count("p") == 201
        assert store.productions() == ["p", "q"]


def test_appending_while_a_read_is_half_way_through(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_store, "PAGE_ROWS", 2)
    with PostgresEventStore(postgres_database) as store:
        store.append("p", 0, [issued(f"F-{i}", "a") for i in range(3)])
        seen: list[int] = []
        for event in store.read("p"):
            seen.append(event.seq)
            if event.seq == 1:
                # The same connection writes while the read has a page in hand; the append is
                # committed on its own, not inside a read transaction.
                store.append("p", 3, [returned("F-0")])
        assert seen == [1, 2, 3, 4]
    with PostgresEventStore(postgres_database) as again:
        assert again.head("p") == 4


# -- concurrency ----------------------------------------------------------------------------

WRITERS = 8
APPENDS_EACH = 25


def _append_until_done(store: PostgresEventStore, production: str, writer: str) -> int:
    """Append APPENDS_EACH events one by one, re-reading the head after each lost race."""
    conflicts = 0
    for n in range(APPENDS_EACH):
        while True:
            head = store.head(production)
            try:
                store.append(production, head, [issued(f"{writer}/{n}", "p", actor=writer)])
                break
            except ConcurrencyError:
                conflicts += 1
    return conflicts


def _check_one_production(store: PostgresEventStore, production: str, writers: list[str]) -> None:
    events = list(store.read(production))
    assert [e.seq for e in events] == list(range(1, len(writers) * APPENDS_EACH + 1))
    firearms = Counter(decode(e.payload)["data"]["firearm"] for e in events)
    assert firearms == Counter(f"{w}/{n}" for w in writers for n in range(APPENDS_EACH))
    for e in events:
        assert e.leaf_hash == hashlib.sha256(b"\x00" + e.payload).digest()
        assert decode(e.payload)["seq"] == e.seq
    # Each writer's own events keep their order.
    for w in writers:
        mine = [decode(e.payload)["data"]["firearm"] for e in events if e.actor == w]
        assert mine == [f"{w}/{n}" for n in range(APPENDS_EACH)]


def test_many_threads_writing_one_production(postgres_database: str) -> None:
    writers = [f"thread-{n}" for n in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    errors: list[str] = []
    conflicts: list[int] = []

    def work(writer: str) -> None:
        try:
            with PostgresEventStore(postgres_database) as store:
                barrier.wait(timeout=30)
                conflicts.append(_append_until_done(store, "race", writer))
        except Exception as e:
            errors.append(f"{writer}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=work, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(conflicts) == WRITERS
    with PostgresEventStore(postgres_database) as store:
        _check_one_production(store, "race", writers)
        assert [e.position for e in store.read_all()] == list(range(1, WRITERS * APPENDS_EACH + 1))


def _process_writer(
    conninfo: str,
    production: str,
    writer: str,
    barrier: threading.Barrier,
    results: multiprocessing.Queue[tuple[str, str]],
) -> None:
    try:
        with PostgresEventStore(conninfo) as store:
            barrier.wait(timeout=60)
            results.put((writer, f"ok {_append_until_done(store, production, writer)}"))
    except Exception as e:
        results.put((writer, f"error: {type(e).__name__}: {e}"))


@pytest.mark.slow
def test_many_processes_writing_two_productions(postgres_database: str) -> None:
    """Processes on two productions at once: per-production sequences and the global order
    both stay gapless, and no event is lost or doubled."""
    ctx = multiprocessing.get_context("spawn")
    per_production = 3
    plan = [(p, f"{p}-proc-{n}") for p in ("alpha", "beta") for n in range(per_production)]
    barrier = ctx.Barrier(len(plan))
    results: multiprocessing.Queue[tuple[str, str]] = ctx.Queue()
    workers = [
        ctx.Process(
            target=_process_writer, args=(postgres_database, prod, writer, barrier, results)
        )
        for prod, writer in plan
    ]
    for w in workers:
        w.start()
    try:
        outcomes = dict(results.get(timeout=180) for _ in workers)
    except queue.Empty:
        pytest.fail("writer processes did not report back")
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
    assert all(o.startswith("ok") for o in outcomes.values()), outcomes
    with PostgresEventStore(postgres_database) as store:
        for prod in ("alpha", "beta"):
            _check_one_production(store, prod, [w for p, w in plan if p == prod])
        everything = list(store.read_all())
        assert [e.position for e in everything] == list(range(1, len(plan) * APPENDS_EACH + 1))
        assert sorted(store.productions()) == ["alpha", "beta"]


def test_writer_that_bypassed_the_lock_makes_the_loser_a_concurrency_error(
    postgres_database: str,
) -> None:
    store = PostgresEventStore(postgres_database)
    store.append("p", 0, [issued("F-1", "a")])
    intruder = psycopg.connect(postgres_database)
    # An uncommitted row at seq 2 that took no lock: the store's head check cannot see it, so
    # only the unique key stops the store's own seq 2.
    row = next(store.read("p"))
    intruder.execute(
        "INSERT INTO events VALUES (100, 'p', 2, 'X', 1, 'x', %s, %s, %s, %s)",
        (row.at, row.recorded_at, b"{}", bytes(32)),
    )
    outcome: list[BaseException | list[StoredEvent]] = []

    def append_seq_2() -> None:
        try:
            outcome.append(store.append("p", 1, [returned("F-1")]))
        except BaseException as e:
            outcome.append(e)

    writer = threading.Thread(target=append_seq_2)
    writer.start()
    _wait_until_blocked(postgres_database)  # on the intruder's uncommitted row
    assert outcome == []
    intruder.commit()
    intruder.close()
    writer.join(timeout=30)
    (error,) = outcome
    assert isinstance(error, ConcurrencyError)
    assert (error.expected, error.actual) == (1, 2)
    assert isinstance(error.__cause__, psycopg.errors.UniqueViolation)
    store.close()


def _wait_until_blocked(conninfo: str, timeout_s: float = 60) -> None:
    """Return once a store connection waits on a lock (polling the server, not the clock)."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'showclear' "
                "AND wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if waiting is not None and waiting[0] > 0:
                return
            time.sleep(0.01)
    pytest.fail("the store's append never waited on the lock")


# -- errors are the store's own ---------------------------------------------------------------


def test_lock_held_too_long_is_a_busy_store_error(postgres_database: str) -> None:
    store = PostgresEventStore(postgres_database, lock_timeout_ms=200)
    holder = psycopg.connect(postgres_database)
    holder.execute(
        "SELECT pg_advisory_xact_lock(%s, %s)",
        (PRODUCTION_LOCK_NAMESPACE, production_lock_key("p")),
    )
    try:
        with pytest.raises(StoreBusyError, match="busy") as raised:
            store.append("p", 0, [issued("F-1", "a")])
        assert isinstance(raised.value.__cause__, psycopg.errors.LockNotAvailable)
        # Other productions do not queue behind it.
        assert [e.seq for e in store.append("q", 0, [issued("F-1", "a")])] == [1]
    finally:
        holder.rollback()
        holder.close()
    assert [e.seq for e in store.append("p", 0, [issued("F-1", "a")])] == [1]
    store.close()


def test_lost_connection_is_reported_then_reopened(postgres_database: str) -> None:
    store = PostgresEventStore(postgres_database)
    store.append("p", 0, [issued("F-1", "a")])
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'showclear' AND datname = current_database()"
        )
    with pytest.raises(StoreUnavailableError, match=r"lost the connection.*nothing of it was") as e:
        store.append("p", 1, [returned("F-1")])
    # Cut off before its COMMIT was sent: known not to be stored, so not "outcome unknown".
    assert type(e.value) is StoreUnavailableError
    # The next call opens a new connection; nothing was lost, nothing half-written.
    assert store.head("p") == 1
    assert [e.seq for e in store.append("p", 1, [returned("F-1")])] == [2]
    store.close()


def test_unreachable_server_is_a_store_error(tmp_path: Path, postgres_database: str) -> None:
    with pytest.raises(StoreUnavailableError, match="cannot connect") as raised:
        PostgresEventStore(f"host={tmp_path} port=5432 user=postgres dbname=x connect_timeout=2")
    assert isinstance(raised.value.__cause__, psycopg.OperationalError)
    missing = postgres_database.replace("dbname=t_", "dbname=missing_")
    with pytest.raises(StoreUnavailableError, match="does not exist"):
        PostgresEventStore(missing)


def test_password_never_appears_in_messages() -> None:
    with pytest.raises(StoreUnavailableError) as raised:
        PostgresEventStore("postgresql://studio:s3cret@127.0.0.1:1/showclear?connect_timeout=2")
    assert "s3cret" not in str(raised.value)
    assert "showclear at 127.0.0.1:1" in str(raised.value)


def test_checkpoint_if_absent_keeps_the_first(postgres_database: str) -> None:
    with PostgresEventStore(postgres_database) as store:
        store.append("p", 0, [issued("F-1", "a")])
        store.add_checkpoint("p", 1, b"\x01" * 32, "first")
        store.add_checkpoint("p", 1, b"\x02" * 32, "second", if_absent=True)
        assert [(c.root_hash, c.note) for c in store.checkpoints("p")] == [(b"\x01" * 32, "first")]
        with pytest.raises(StoreError, match="never replaced"):
            store.add_checkpoint("p", 1, b"\x02" * 32, "second")


# -- what the ledger reads: productions named anywhere, and a reader per process -----------------


def test_ledger_productions_are_named_by_events_or_checkpoints(postgres_database: str) -> None:
    with PostgresEventStore(postgres_database) as store:
        assert store.ledger_productions() == []
        store.append("b", 0, [issued("F-1", "a")])
        store.append("a", 0, [issued("F-1", "a"), issued("F-2", "a")])
        store.append("c", 0, [issued("F-1", "a")])
        with psycopg.connect(postgres_database, autocommit=True) as admin:
            for production in ("z", "y"):  # checkpoints whose events are gone, say
                admin.execute(
                    "INSERT INTO checkpoints VALUES (%s, 1, %s, 'note', 'now')",
                    (production, b"\x00" * 32),
                )
            # The first event of "a" deleted by hand (the trigger switched off to do it).
            admin.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
            admin.execute("DELETE FROM events WHERE production = 'a' AND seq = 1")
        assert store.productions() == ["b", "c"]  # by the first event, which "a" lost
        assert store.ledger_productions() == ["b", "a", "c", "y", "z"]


TWO_CORES = r"""
import json, os, sys
from dataclasses import asdict
from showclear.adapters.postgres import PostgresLogReader
from showclear.ledger import parallel
from showclear.ledger.note import NoteVerifier

conninfo, production, vkey, origin, pids = sys.argv[1:]

class Recorded(PostgresLogReader):
    def _connection(self):
        if self._conn is None or self._conn[0] != os.getpid():
            with open(pids, "a") as f:
                f.write(f"{os.getpid()}\n")
        return super()._connection()

parallel.PARALLEL_ABOVE = 1_000  # two cores from a few thousand events on
reader = Recorded(conninfo, production)
report = parallel.verify_log_parallel(reader, reader.count(), NoteVerifier.from_vkey(vkey),
                                      origin=origin, production=production)
reader.close()
print(json.dumps({k: v.hex() if isinstance(v, bytes) else v for k, v in asdict(report).items()}))
"""


def _signed_store(conninfo: str, production: str, events: int) -> tuple[str, str]:
    """A production of `events` events with a signed checkpoint every 1,000; (vkey, origin)."""
    signer = NoteSigner("showclear.set/5e7e0001", Ed25519PrivateKey.generate())
    origin = f"{signer.name}/{production}"
    tree = CompactTree()

    def sign(_: str, stored: list[StoredEvent]) -> tuple[int, bytes, str]:
        tree.extend(e.leaf_hash for e in stored)
        body = Checkpoint(origin, tree.size, tree.root())
        return tree.size, tree.root(), sign_checkpoint(body, signer)

    with PostgresEventStore(conninfo) as store:
        for head in range(0, events, 1_000):
            batch = [issued(f"F-{head + i}", "a") for i in range(min(1_000, events - head))]
            store.append(production, head, batch, checkpoint=sign)
    return signer.verifier.vkey(), origin


def _verify_one_process(
    conninfo: str, production: str, vkey: str, origin: str
) -> dict[str, object]:
    with PostgresEventStore(conninfo) as store:
        report = verify_log(
            store.read_leaves(production),
            [c.note for c in store.checkpoints(production)],
            NoteVerifier.from_vkey(vkey),
            origin=origin,
            production=production,
        )
    plain = {k: v.hex() if isinstance(v, bytes) else v for k, v in asdict(report).items()}
    result: dict[str, object] = json.loads(json.dumps(plain))  # as the child prints it
    return result


def test_log_reader_verifies_on_two_cores_each_with_its_own_connection(
    postgres_database: str, tmp_path: Path
) -> None:
    vkey, origin = _signed_store(postgres_database, "long", 12_000)
    with PostgresEventStore(postgres_database) as store:
        reader = store.log_reader("long")
        try:
            assert reader.count() == 12_000
            assert [size for size, _ in reader.notes(-1, None)] == list(range(1_000, 12_001, 1_000))
            assert [size for size, _ in reader.notes(2_000, 4_000)] == [3_000, 4_000]
            assert [size for size, _ in reader.newest()] == [12_000]
            rows = list(reader.rows(11_990, 11_995))
            assert [seq for seq, _, _ in rows] == list(range(11_991, 11_996))
            assert rows[0][1] == store.event_payload("long", 11_991)
            assert reader.leaf_hashes("long", 0, 3) == store.leaf_hashes("long", 0, 3)
        finally:
            reader.close()

    def two_cores() -> dict[str, object]:
        pids = tmp_path / "pids"
        pids.unlink(missing_ok=True)
        done = subprocess.run(
            [sys.executable, "-c", TWO_CORES, postgres_database, "long", vkey, origin, str(pids)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        # The parent's connection, and one the forked half opened for itself.
        assert len(set(pids.read_text().split())) == 2
        result: dict[str, object] = json.loads(done.stdout)
        return result

    intact = two_cores()
    assert intact["ok"] is True and intact["tree_size"] == 12_000
    assert intact == _verify_one_process(postgres_database, "long", vkey, origin)

    # An event of the second half changed by hand, its leaf hash recomputed to hide it.
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        admin.execute(
            "UPDATE events SET payload = convert_to(replace(convert_from(payload, 'UTF8'), "
            "'\"12A\"', '\"12B\"'), 'UTF8') WHERE production = 'long' AND seq = 9000"
        )
        admin.execute(
            "UPDATE events SET leaf_hash = sha256('\\x00'::bytea || payload) "
            "WHERE production = 'long' AND seq = 9000"
        )
    edited = two_cores()
    # Found by the checkpoint of 9,000, which the edited event no longer matches: the first
    # event after the last checkpoint that still held is where the difference may begin.
    assert edited["ok"] is False and edited["first_bad_seq"] == 8001
    assert edited == _verify_one_process(postgres_database, "long", vkey, origin)
