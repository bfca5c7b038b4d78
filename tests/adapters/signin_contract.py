"""What every sign-in store must do (`showclear.ports.SignInStore`): PIN hashes, failure counts
and lockouts, sessions. A backend's test subclasses SignInContract and implements `make`
(called again with the same path, it opens another store object on the same database)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from showclear.ports import Session, SignInStore

NOW = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)
LOCK = timedelta(minutes=5)


class SignInContract:
    def make(self, path: Path) -> SignInStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SignInStore]:
        s = self.make(tmp_path / "signin.db")
        yield s
        s.close()

    def test_pins_are_stored_per_production_and_replaced(self, store: SignInStore) -> None:
        assert store.pin_hash("p", "arm") is None and store.people_with_pins("p") == set()
        store.store_pin("p", "arm", "$argon2id$one", "prod", NOW, end_sessions=False)
        store.store_pin("q", "ad", "$argon2id$other", "prod", NOW, end_sessions=False)
        assert store.pin_hash("p", "arm") == "$argon2id$one"
        assert store.people_with_pins("p") == {"arm"} and store.pin_hash("q", "arm") is None
        store.store_pin("p", "arm", "$argon2id$two", "prod", NOW, end_sessions=False)
        assert store.pin_hash("p", "arm") == "$argon2id$two"

    def test_the_fifth_reserved_attempt_sets_the_lock(self, store: SignInStore) -> None:
        for attempt in range(1, 5):
            got = store.reserve_attempt("p", "arm", NOW, max_failures=5, lockout=LOCK)
            assert got == (attempt, None)
        assert store.reserve_attempt("p", "arm", NOW, max_failures=5, lockout=LOCK) == (
            5,
            NOW + LOCK,
        )
        assert store.failures("p", "arm") == (5, NOW + LOCK)
        assert store.reserve_attempt("p", "arm", NOW, max_failures=5, lockout=LOCK) == (
            0,
            NOW + LOCK,
        )
        later = NOW + LOCK + timedelta(seconds=1)  # a lock that ran out: new tries
        assert store.reserve_attempt("p", "arm", later, max_failures=5, lockout=LOCK) == (1, None)
        store.reset_failures("p", "arm")
        assert store.failures("p", "arm") == (0, None)

    def test_parallel_attempts_never_pass_the_limit(self, store: SignInStore) -> None:
        got: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(20)

        def attempt() -> None:
            barrier.wait(10)
            n, _ = store.reserve_attempt("p", "ad", NOW, max_failures=5, lockout=LOCK)
            with lock:
                got.append(n)

        threads = [threading.Thread(target=attempt) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(n for n in got if n) == [1, 2, 3, 4, 5] and got.count(0) == 15

    def test_attempts_on_separate_connections_never_pass_the_limit(self, tmp_path: Path) -> None:
        # Four store objects on one database (as four server processes would be), five threads
        # each: the database, not a lock in this process, must serialise the attempts.
        path = tmp_path / "shared.db"
        stores = [self.make(path) for _ in range(4)]
        got: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(20)

        def attempt(store: SignInStore) -> None:
            barrier.wait(10)
            n, _ = store.reserve_attempt("p", "arm", NOW, max_failures=5, lockout=LOCK)
            with lock:
                got.append(n)

        threads = [threading.Thread(target=attempt, args=(stores[i % 4],)) for i in range(20)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        finally:
            for s in stores:
                s.close()
        assert sorted(n for n in got if n) == [1, 2, 3, 4, 5] and got.count(0) == 15

    def test_sessions_and_ending_them(self, store: SignInStore) -> None:
        a = Session(b"a" * 32, "p", "arm", "csrf-a", NOW + timedelta(hours=14))
        b = Session(b"b" * 32, "p", "arm", "csrf-b", NOW + timedelta(hours=14))
        c = Session(b"c" * 32, "p", "ad", "csrf-c", NOW + timedelta(hours=14))
        for s in (a, b, c):
            store.add_session(s, NOW)
        assert store.session(a.token_hash) == a and store.session(b"x" * 32) is None
        store.end_session(a.token_hash)
        assert store.session(a.token_hash) is None and store.session(b.token_hash) == b
        # A new PIN ends every session of that person, and clears their failures.
        store.reserve_attempt("p", "arm", NOW, max_failures=5, lockout=LOCK)
        store.store_pin("p", "arm", "$argon2id$new", "prod", NOW, end_sessions=True)
        assert store.session(b.token_hash) is None and store.session(c.token_hash) == c
        assert store.failures("p", "arm") == (0, None)
