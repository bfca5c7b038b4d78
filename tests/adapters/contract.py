"""Backend-independent contract for event stores.

A backend's test module subclasses EventStoreContract and implements `url` and the two schema
helpers; every test here then runs against that backend, through the ports: the store is what
the composition root opens for that URL (`bootstrap.open_backend`, a `ports.Backend`), and
nothing here knows an adapter class. `url(path)` gets a
fresh location per test (a file path for SQLite; another backend may derive a database or
schema name from it) and must return the same store when called again with that path.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import queue
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from showclear.bootstrap import open_backend
from showclear.ledger.canonical import canonical_bytes, decode, envelope
from showclear.ports import Backend, ConcurrencyError, NewEvent, StoredEvent, StoreError

AT = "2024-05-01T08:00:00+02:00"
RACE_ROUNDS = 30


def issued(firearm: str, to: str, setup: str = "12A", actor: str = "armorer:ana") -> NewEvent:
    return NewEvent(
        type="FirearmIssued",
        actor=actor,
        at=AT,
        data={"firearm": firearm, "to": to, "setup": setup, "rounds": [0, 0], "note": "Ñandú ✓"},
    )


def returned(firearm: str) -> NewEvent:
    return NewEvent(
        type="FirearmReturned", actor="armorer:ana", at=AT, data={"firearm": firearm}, version=2
    )


def _race_worker(
    contract_cls: type[EventStoreContract],
    path: Path,
    production: str,
    worker: int,
    barrier: threading.Barrier,
    results: multiprocessing.Queue[tuple[int, list[str]]],
) -> None:
    """Child process: in each round, append after the same head as the other worker."""
    outcomes: list[str] = []
    try:
        store = contract_cls().make_store(path)
        try:
            for round_ in range(RACE_ROUNDS):
                barrier.wait(timeout=60)
                try:
                    store.append(production, round_, [issued(f"F-{round_}", f"worker:{worker}")])
                    outcomes.append("ok")
                except ConcurrencyError as e:
                    outcomes.append(
                        "conflict" if e.actual == round_ + 1 else f"conflict@{e.actual}"
                    )
                except Exception as e:
                    outcomes.append(f"error: {type(e).__name__}: {e}")
        finally:
            store.close()
    except Exception as e:
        outcomes.append(f"error: {type(e).__name__}: {e}")
        barrier.abort()
    finally:
        results.put((worker, outcomes))


class EventStoreContract:
    """Tests every EventStore backend must pass."""

    def url(self, path: Path) -> str:
        """The store URL of the backend under test for this test's location."""
        raise NotImplementedError

    def make_store(self, path: Path) -> Backend:
        return open_backend(self.url(path))

    def recorded_migrations(self, path: Path) -> list[tuple[int, str, str]]:
        """(version, name, applied_at) rows of the store's migration table."""
        raise NotImplementedError

    def pretend_newer_schema(self, path: Path, version: int) -> None:
        """Record a migration `version` this code does not know, as a newer release would."""
        raise NotImplementedError

    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "showclear.db"

    @pytest.fixture
    def store(self, path: Path) -> Iterator[Any]:
        store = self.make_store(path)
        yield store
        store.close()

    # -- append and read ------------------------------------------------------------------

    def test_new_store_is_empty(self, store: Any) -> None:
        assert store.head("p") == 0
        assert store.productions() == []
        assert list(store.read("p")) == []
        assert list(store.read_all()) == []
        assert list(store.read_payloads("p")) == []

    def test_roundtrip_keeps_exact_canonical_bytes_and_leaf_hashes(self, store: Any) -> None:
        new = [issued("F-1", "actor:bob"), returned("F-1")]
        stored = store.append("prod-a", 0, new)

        assert list(store.read("prod-a")) == stored
        for seq, (ev, st) in enumerate(zip(new, stored, strict=True), start=1):
            expected = canonical_bytes(
                envelope("prod-a", seq, ev.type, ev.version, ev.actor, ev.at, ev.data)
            )
            assert st.payload == expected
            assert type(st.payload) is bytes
            assert st.leaf_hash == hashlib.sha256(b"\x00" + st.payload).digest()
            assert (st.production, st.seq, st.type, st.version, st.actor, st.at) == (
                "prod-a",
                seq,
                ev.type,
                ev.version,
                ev.actor,
                ev.at,
            )
            assert decode(st.payload)["data"] == dict(ev.data)
        assert '"note":"Ñandú ✓"'.encode() in stored[0].payload

    def test_recorded_at_is_utc_wall_clock(self, store: Any) -> None:
        before = datetime.now().astimezone()
        (ev,) = store.append("p", 0, [issued("F-1", "actor:bob")])
        recorded = datetime.fromisoformat(ev.recorded_at)
        assert recorded.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= recorded <= datetime.now().astimezone()

    def test_seq_is_gapless_per_production(self, store: Any) -> None:
        head = 0
        for batch in (1, 3, 1, 5):
            stored = store.append("p", head, [issued(f"F-{i}", "a") for i in range(batch)])
            assert [e.seq for e in stored] == list(range(head + 1, head + batch + 1))
            head += batch
        assert store.head("p") == head == 10
        assert [e.seq for e in store.read("p")] == list(range(1, 11))
        assert [e.seq for e in store.read("p", after_seq=7)] == [8, 9, 10]

    def test_interleaved_productions_share_one_global_order(self, store: Any) -> None:
        store.append("beta", 0, [issued("F-1", "a")])
        store.append("alpha", 0, [issued("F-2", "b"), issued("F-3", "c")])
        store.append("beta", 1, [returned("F-1")])
        store.append("alpha", 2, [returned("F-2")])

        everything = list(store.read_all())
        assert [e.position for e in everything] == [1, 2, 3, 4, 5]
        assert [(e.production, e.seq) for e in everything] == [
            ("beta", 1),
            ("alpha", 1),
            ("alpha", 2),
            ("beta", 2),
            ("alpha", 3),
        ]
        assert [e.position for e in store.read_all(after_position=3)] == [4, 5]
        assert store.productions() == ["beta", "alpha"]
        assert (store.head("alpha"), store.head("beta"), store.head("gamma")) == (3, 2, 0)
        assert [e.seq for e in store.read("alpha")] == [1, 2, 3]
        assert [e.position for e in store.read("beta")] == [1, 4]

    def test_read_payloads_matches_read(self, store: Any) -> None:
        store.append("p", 0, [issued(f"F-{i}", "a") for i in range(5)])
        store.append("q", 0, [issued("F-9", "a")])
        assert list(store.read_payloads("p", after_seq=2)) == [
            (e.seq, e.payload) for e in store.read("p", after_seq=2)
        ]

    # -- optimistic concurrency -----------------------------------------------------------

    @pytest.mark.parametrize("stale", [0, 1, 3])
    def test_wrong_expected_seq_raises_and_writes_nothing(self, store: Any, stale: int) -> None:
        store.append("p", 0, [issued("F-1", "a"), issued("F-2", "a")])
        with pytest.raises(ConcurrencyError) as raised:
            store.append("p", stale, [issued("F-3", "a")])
        assert (raised.value.production, raised.value.expected, raised.value.actual) == (
            "p",
            stale,
            2,
        )
        assert isinstance(raised.value, StoreError)
        assert store.head("p") == 2
        assert len(list(store.read_all())) == 2

    def test_empty_append_is_a_checked_no_op(self, store: Any) -> None:
        assert store.append("p", 0, []) == []
        store.append("p", 0, [issued("F-1", "a")])
        assert store.append("p", 1, []) == []
        with pytest.raises(ConcurrencyError):
            store.append("p", 0, [])
        assert store.head("p") == 1

    # -- durability and lifecycle ---------------------------------------------------------

    def test_reopen_keeps_everything(self, path: Path) -> None:
        with closing(self.make_store(path)) as first:
            first.append("p", 0, [issued("F-1", "a"), returned("F-1")])
            first.append("q", 0, [issued("F-2", "b")])
            first.add_checkpoint("p", 2, b"\x11" * 32, "note p 2")
            first.set_meta("origin", "showclear.example/node-1")
            before = list(first.read_all())
        with closing(self.make_store(path)) as again:
            assert list(again.read_all()) == before
            assert again.productions() == ["p", "q"]
            assert again.head("p") == 2
            assert [c.tree_size for c in again.checkpoints("p")] == [2]
            assert again.get_meta("origin") == "showclear.example/node-1"
            again.append("p", 2, [issued("F-1", "c")])
            assert again.head("p") == 3

    def test_close_is_idempotent_and_use_after_close_is_a_store_error(self, path: Path) -> None:
        store = self.make_store(path)
        with store as entered:
            assert entered is store
        store.close()
        with pytest.raises(StoreError):
            store.head("p")
        with pytest.raises(StoreError):
            store.append("p", 0, [issued("F-1", "a")])
        with pytest.raises(StoreError):
            list(store.read("p"))

    # -- migrations -----------------------------------------------------------------------

    def test_migrations_are_recorded_once(self, path: Path) -> None:
        with closing(self.make_store(path)) as store:
            version = store.schema_version()
        recorded = self.recorded_migrations(path)
        assert [v for v, _, _ in recorded] == list(range(1, version + 1))
        assert version >= 1
        assert all(name and applied_at for _, name, applied_at in recorded)
        with closing(self.make_store(path)) as store:
            assert store.schema_version() == version
        assert self.recorded_migrations(path) == recorded

    def test_newer_schema_refuses_to_open(self, path: Path) -> None:
        with closing(self.make_store(path)) as store:
            store.append("p", 0, [issued("F-1", "a")])
        self.pretend_newer_schema(path, 9999)
        with pytest.raises(StoreError, match=r"schema version 9999 is newer .* upgrade"):
            self.make_store(path)

    # -- checkpoints ----------------------------------------------------------------------

    def test_checkpoint_hook_writes_in_the_same_transaction(self, store: Any) -> None:
        store.append("p", 0, [issued("F-1", "a")])
        seen: list[tuple[str, list[int], list[int]]] = []

        def hook(production: str, stored: list[StoredEvent]) -> tuple[int, bytes, str]:
            # Inside the transaction the new events are already readable.
            seen.append((production, [e.seq for e in stored], [e.seq for e in store.read("p")]))
            return stored[-1].seq, hashlib.sha256(stored[-1].leaf_hash).digest(), "signed note"

        stored = store.append("p", 1, [issued("F-2", "a"), returned("F-2")], checkpoint=hook)
        assert seen == [("p", [2, 3], [1, 2, 3])]
        (cp,) = store.checkpoints("p")
        assert (cp.production, cp.tree_size, cp.note) == ("p", 3, "signed note")
        assert cp.root_hash == hashlib.sha256(stored[-1].leaf_hash).digest()
        assert datetime.fromisoformat(cp.created_at).utcoffset() == timedelta(0)
        assert store.latest_checkpoint("p") == cp
        assert store.latest_checkpoint("other") is None

    def test_checkpoint_hook_may_decline(self, store: Any) -> None:
        store.append("p", 0, [issued("F-1", "a")], checkpoint=lambda production, stored: None)
        assert store.head("p") == 1
        assert store.checkpoints("p") == []

    def test_failing_checkpoint_hook_writes_no_events(self, store: Any) -> None:
        store.append("p", 0, [issued("F-1", "a")])

        class SigningFailed(Exception):
            pass

        def hook(production: str, stored: list[StoredEvent]) -> tuple[int, bytes, str]:
            raise SigningFailed("key unavailable")

        with pytest.raises(SigningFailed):
            store.append("p", 1, [issued("F-2", "a")], checkpoint=hook)
        assert store.head("p") == 1
        assert len(list(store.read_all())) == 1
        assert store.checkpoints("p") == []
        assert [e.seq for e in store.append("p", 1, [issued("F-2", "a")])] == [2]

    def test_checkpoints_are_listed_in_tree_order(self, store: Any) -> None:
        store.append("p", 0, [issued(f"F-{i}", "a") for i in range(4)])
        store.add_checkpoint("p", 4, b"\x04" * 32, "n4")
        store.add_checkpoint("p", 2, b"\x02" * 32, "n2")
        assert [(c.tree_size, c.root_hash, c.note) for c in store.checkpoints("p")] == [
            (2, b"\x02" * 32, "n2"),
            (4, b"\x04" * 32, "n4"),
        ]
        latest = store.latest_checkpoint("p")
        assert latest is not None and latest.tree_size == 4

    def test_checkpoint_must_cover_stored_events_and_is_never_replaced(self, store: Any) -> None:
        store.append("p", 0, [issued("F-1", "a"), issued("F-2", "a")])
        with pytest.raises(ValueError):
            store.add_checkpoint("p", 3, b"\x00" * 32, "beyond head")
        with pytest.raises(ValueError):
            store.add_checkpoint("p", 0, b"\x00" * 32, "empty tree")
        store.add_checkpoint("p", 2, b"\x01" * 32, "first")
        with pytest.raises(StoreError):
            store.add_checkpoint("p", 2, b"\x02" * 32, "second")
        assert [c.note for c in store.checkpoints("p")] == ["first"]

    # -- the Merkle tree's stored tiles (ledger.tiles.TileStore) ----------------------------

    def test_tile_hashes_are_stored_once_and_read_up_to_the_first_gap(self, store: Any) -> None:
        assert store.tile_counts("p") == {}
        assert store.tile_hashes("p", 1, 0, 10) == []
        h = [bytes([i]) * 32 for i in range(8)]
        store.add_tile_hashes("p", [(1, 0, h[0]), (1, 1, h[1]), (1, 3, h[3]), (2, 0, h[4])])
        store.add_tile_hashes("p", [])
        # A row stored again keeps the first hash: tiles are derived, the same every time.
        store.add_tile_hashes("p", [(1, 1, h[7]), (1, 2, h[2])])
        store.add_tile_hashes("q", [(1, 0, h[5])])
        assert store.tile_hashes("p", 1, 0, 10) == h[:4]
        assert store.tile_hashes("p", 1, 1, 3) == h[1:3]
        assert store.tile_hashes("p", 1, 4, 10) == []
        assert store.tile_hashes("p", 2, 0, 5) == [h[4]]
        assert store.tile_counts("p") == {1: 4, 2: 1}
        assert store.tile_counts("q") == {1: 1}
        store.add_tile_hashes("p", [(1, 6, h[6])])  # a gap at 4 and 5
        assert store.tile_hashes("p", 1, 2, 10) == h[2:4]
        assert store.tile_hashes("p", 1, 6, 10) == [h[6]]

    def test_leaf_hashes_and_event_payloads_as_stored(self, store: Any) -> None:
        stored = store.append("p", 0, [issued(f"F-{i}", "a") for i in range(5)])
        store.append("q", 0, [issued("F-9", "b")])
        assert store.leaf_hashes("p", 0, 5) == [e.leaf_hash for e in stored]
        assert store.leaf_hashes("p", 2, 4) == [e.leaf_hash for e in stored[2:4]]
        assert store.leaf_hashes("p", 3, 10) == [e.leaf_hash for e in stored[3:]]
        assert store.event_payload("p", 3) == stored[2].payload
        assert store.event_payload("p", 6) is None
        assert store.event_payload("r", 1) is None

    # -- metadata -------------------------------------------------------------------------

    def test_meta_get_and_set(self, store: Any) -> None:
        assert store.get_meta("origin") is None
        store.set_meta("origin", "a")
        store.set_meta("origin", "b")
        store.set_meta("other", "c")
        assert (store.get_meta("origin"), store.get_meta("other")) == ("b", "c")

    # -- several processes ----------------------------------------------------------------

    @pytest.mark.slow
    def test_racing_processes_one_wins_each_round(self, path: Path) -> None:
        with closing(self.make_store(path)) as store:
            store.append("setup", 0, [issued("F-0", "a")])  # schema created before the race
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(2)
        results: multiprocessing.Queue[tuple[int, list[str]]] = ctx.Queue()
        workers = [
            ctx.Process(target=_race_worker, args=(type(self), path, "race", n, barrier, results))
            for n in (1, 2)
        ]
        for w in workers:
            w.start()
        try:
            outcomes = dict(results.get(timeout=120) for _ in workers)
        except queue.Empty:
            pytest.fail("racing workers did not report back")
        finally:
            for w in workers:
                w.join(timeout=30)
                if w.is_alive():
                    w.kill()
        assert len(outcomes[1]) == len(outcomes[2]) == RACE_ROUNDS, outcomes
        for round_, pair in enumerate(zip(outcomes[1], outcomes[2], strict=True)):
            assert sorted(pair) == ["conflict", "ok"], (round_, pair)
        with closing(self.make_store(path)) as store:
            race = list(store.read("race"))
            assert [e.seq for e in race] == list(range(1, RACE_ROUNDS + 1))
            assert [decode(e.payload)["data"]["firearm"] for e in race] == [
                f"F-{n}" for n in range(RACE_ROUNDS)
            ]

    # -- the reads verification and the ledger make --------------------------------------

    def test_count_and_leaf_reads_match_the_stored_events(self, store: Any) -> None:
        stored = store.append("p", 0, [issued(f"F-{i}", "actor:bob") for i in range(5)])
        assert store.count("p") == 5 and store.count("other") == 0
        leaves = list(store.read_leaves("p", 2))
        assert [(seq, bytes(payload), bytes(leaf)) for seq, payload, leaf in leaves] == [
            (e.seq, e.payload, e.leaf_hash) for e in stored[2:]
        ]
        assert all(type(p) is bytes and type(h) is bytes for _, p, h in leaves)
        hashes = store.read_leaf_hashes("p", 3)
        assert [(seq, bytes(h), at) for seq, h, at in hashes] == [
            (e.seq, e.leaf_hash, e.at) for e in stored[3:]
        ]

    def test_latest_checkpoint_is_the_largest_tree(self, store: Any) -> None:
        assert store.latest_checkpoint("p") is None
        store.append("p", 0, [issued(f"F-{i}", "actor:bob") for i in range(3)])
        store.add_checkpoint("p", 1, b"\x01" * 32, "one")
        store.add_checkpoint("p", 3, b"\x03" * 32, "three")
        store.add_checkpoint("p", 2, b"\x02" * 32, "two")
        latest = store.latest_checkpoint("p")
        assert (latest.tree_size, latest.root_hash, latest.note) == (3, b"\x03" * 32, "three")
        assert store.schema_version() >= 3
