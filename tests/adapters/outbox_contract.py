"""What every alert outbox must do (`showclear.ports.AlertOutbox`): addresses under their
fingerprints, send attempts written before the send, and one worker's claim on a delivery. A
backend's test subclasses OutboxContract and implements `make` (called again with the same
path, it opens another outbox object on the same database: another worker, another server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from showclear.ports import AlertOutbox, Attempts, DeliveryKey

FP = "a" * 64
OTHER_FP = "b" * 64
KEY: DeliveryKey = (12, "arm", "email")
AT = "1984-10-12T09:20:01-07:00"


class OutboxContract:
    def make(self, path: Path) -> AlertOutbox:
        raise NotImplementedError

    @pytest.fixture
    def outbox(self, tmp_path: Path) -> Iterator[AlertOutbox]:
        o = self.make(tmp_path / "outbox.db")
        yield o
        o.close()

    @pytest.fixture
    def two(self, tmp_path: Path) -> Iterator[tuple[AlertOutbox, AlertOutbox]]:
        """Two outbox objects on one database: two workers, as two server processes have."""
        a = self.make(tmp_path / "shared.db")
        b = self.make(tmp_path / "shared.db")
        yield a, b
        a.close()
        b.close()

    # -- addresses ------------------------------------------------------------------------------

    def test_an_address_is_kept_under_its_fingerprint_per_production(
        self, outbox: AlertOutbox
    ) -> None:
        assert outbox.address("p", FP) is None
        outbox.put_address("p", FP, "arm@example.org")
        outbox.put_address("q", FP, "someone-else@example.org")
        assert outbox.address("p", FP) == "arm@example.org"
        assert outbox.address("q", FP) == "someone-else@example.org"
        assert outbox.address("p", OTHER_FP) is None
        outbox.put_address("p", FP, "arm@example.org")  # stored again: still one, unchanged
        assert outbox.address("p", FP) == "arm@example.org"
        outbox.drop_address("p", FP)
        assert outbox.address("p", FP) is None and outbox.address("q", FP) is not None
        outbox.drop_address("p", FP)  # nothing left to drop: no error

    def test_addresses_and_names_come_back_exactly_as_stored(self, outbox: AlertOutbox) -> None:
        # A token with every character an Apprise URL may carry, a production and a person
        # named with quotes and non-ASCII: kept byte for byte, never read as SQL.
        token = "tgram://123456:AAH-'very\"secret;--/%00-_~é/-100200300?format=markdown"
        production = 'o\'brien "day"; DROP TABLE contact_addresses; --'
        outbox.put_address(production, FP, token)
        assert outbox.address(production, FP) == token
        key: DeliveryKey = (1, "zoë 'the' lead", "apprise")
        outbox.begin_attempt(production, key, AT)
        outbox.end_attempt(production, key, next_at=AT, error="défaut: 'quoted'")
        assert outbox.attempts(production) == {key: Attempts(1, False, AT, "défaut: 'quoted'")}

    # -- attempts -------------------------------------------------------------------------------

    def test_an_attempt_is_counted_in_flight_then_closed_then_forgotten(
        self, outbox: AlertOutbox
    ) -> None:
        assert outbox.attempts("p") == {}
        first = outbox.begin_attempt("p", KEY, AT)
        assert first == Attempts(1, True, None, None)
        assert outbox.attempts("p") == {KEY: Attempts(1, True, None, None)}
        retry_at = "1984-10-12T09:20:31-07:00"
        outbox.end_attempt("p", KEY, next_at=retry_at, error="cannot reach the SMTP server")
        assert outbox.attempts("p") == {
            KEY: Attempts(1, False, retry_at, "cannot reach the SMTP server")
        }
        second = outbox.begin_attempt("p", KEY, retry_at)  # the backoff and error stay shown
        assert second == Attempts(2, True, retry_at, "cannot reach the SMTP server")
        other: DeliveryKey = (12, "arm", "apprise")
        outbox.begin_attempt("p", other, AT)
        outbox.begin_attempt("q", KEY, AT)
        assert set(outbox.attempts("p")) == {KEY, other}
        outbox.forget("p", KEY)
        assert set(outbox.attempts("p")) == {other}
        assert set(outbox.attempts("q")) == {KEY}  # another production's is untouched

    def test_an_attempt_is_on_record_for_every_other_connection_when_it_returns(
        self, two: tuple[AlertOutbox, AlertOutbox]
    ) -> None:
        a, b = two
        a.put_address("p", FP, "arm@example.org")
        a.begin_attempt("p", KEY, AT)
        assert b.address("p", FP) == "arm@example.org"
        assert b.attempts("p") == {KEY: Attempts(1, True, None, None)}
        b.begin_attempt("p", KEY, AT)
        assert a.attempts("p")[KEY].attempts == 2

    # -- claims ---------------------------------------------------------------------------------

    def test_a_claim_is_one_workers_until_released(
        self, two: tuple[AlertOutbox, AlertOutbox]
    ) -> None:
        a, b = two
        assert a.claim("p", KEY)
        assert not b.claim("p", KEY)  # the other worker skips it
        assert not a.claim("p", KEY)  # and so does the holder, asked again
        assert b.claim("p", (13, "arm", "email")) and b.claim("q", KEY)  # others are free
        a.release("p", KEY)
        assert b.claim("p", KEY)
        assert not a.claim("p", KEY)
        b.release("p", KEY)
        a.release("p", KEY)  # not held by a: changes nothing
        assert a.claim("p", KEY)

    def test_a_closed_worker_leaves_its_claims_to_the_others(self, tmp_path: Path) -> None:
        path = tmp_path / "closing.db"
        a, b = self.make(path), self.make(path)
        try:
            assert a.claim("p", KEY)
            a.begin_attempt("p", KEY, AT)
            assert not b.claim("p", KEY)
            a.close()  # as a process that dies: its session ends
            # A server ends the closed session on its own time, soon after: wait for it.
            deadline = time.monotonic() + 30
            while not b.claim("p", KEY):
                assert time.monotonic() < deadline, "the closed worker's claim was never freed"
                time.sleep(0.05)
            assert b.attempts("p")[KEY].in_flight  # the next holder sees the interrupted send
        finally:
            b.close()

    def test_many_workers_racing_for_one_delivery_let_exactly_one_through(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "race.db"
        workers = [self.make(path) for _ in range(6)]
        barrier = threading.Barrier(len(workers))
        won: list[int] = []
        lock = threading.Lock()

        def race(i: int, o: AlertOutbox) -> None:
            barrier.wait()
            if o.claim("p", KEY):
                with lock:
                    won.append(i)

        try:
            threads = [threading.Thread(target=race, args=(i, o)) for i, o in enumerate(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert len(won) == 1
        finally:
            for o in workers:
                o.close()
