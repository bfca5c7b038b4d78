"""Sign-in (`showclear.app.signin.Auth`) on a real SQLite file, with its clocks injected: PINs,
the five-minute lockout (its end to the microsecond, a right PIN resetting the count, witness
PINs sharing it, the races around it), the in-memory memory of a right PIN, sessions and the
sign-in form's tokens.

The PIN hasher is real argon2id with the cheapest parameters (a real hash, microseconds each);
one test checks the parameters production uses. `make mutate` runs these tests against every
mutant of app/signin.py (docs/testing.md).
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from argon2 import PasswordHasher

from showclear.adapters.sqlite.signin import SQLiteSignInStore
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.signin import (
    LOCKOUT,
    MAX_FAILURES,
    SESSION_LIFETIME,
    VERIFIED_TTL,
    Auth,
    PinCheck,
    pin_problem,
    utc_now,
)

P = "demo"
PIN = "5005"
WRONG = "9999"
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
WAIT = 30  # seconds a thread waits for its turn before the test gives up (never a timing)


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingHasher(PasswordHasher):
    """argon2id at its cheapest; counts hashes made and the stored hashes checked."""

    def __init__(self, time_cost: int = 1) -> None:
        super().__init__(time_cost=time_cost, memory_cost=8, parallelism=1)
        self.hashed = 0
        self.checked: list[str] = []
        self.during_verify: list[object] = []  # callables run inside verify, once each

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashed += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.checked.append(hash.decode() if isinstance(hash, bytes) else hash)
        if self.during_verify:
            step = self.during_verify.pop(0)
            assert callable(step)
            step(password)
        return super().verify(hash, password)


@dataclass
class Rig:
    auth: Auth
    clock: Clock
    mono: Monotonic
    hasher: CountingHasher
    db: Path
    lockouts: list[tuple[str, str, datetime, str]] = field(default_factory=list)
    pins_set: list[tuple[str, str, str, bool]] = field(default_factory=list)

    def check(self, person: str, pin: str, where: str = "sign_in") -> PinCheck:
        return self.auth.check_pin(P, person, pin, where)

    def failures(self, person: str = "lead") -> tuple[int, datetime | None]:
        return self.auth.store.failures(P, person)

    def row(self, sql: str, *args: object) -> tuple[object, ...]:
        with sqlite3.connect(self.db) as conn:
            found = conn.execute(sql, args).fetchone()
        assert found is not None
        return tuple(found)


def migrated(path: Path) -> Path:
    SQLiteEventStore(path).close()  # creates the file and its tables (migration 0004_auth)
    return path


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    db = migrated(tmp_path / "set.db")
    clock, mono, hasher = Clock(), Monotonic(), CountingHasher()
    lockouts: list[tuple[str, str, datetime, str]] = []
    pins_set: list[tuple[str, str, str, bool]] = []
    auth = Auth(
        SQLiteSignInStore(db),
        clock=clock,
        monotonic=mono,
        hasher=hasher,
        on_lockout=lambda *a: lockouts.append(a),
        on_pin_set=lambda *a: pins_set.append(a),
    )
    r = Rig(auth, clock, mono, hasher, db, lockouts, pins_set)
    auth.set_pin(P, "lead", PIN, "prod")
    auth.set_pin(P, "ad", "3003", "prod")
    r.pins_set.clear()
    hasher.checked.clear()
    yield r
    auth.close()


def lock(r: Rig, person: str = "lead", where: str = "sign_in") -> datetime:
    for _ in range(MAX_FAILURES):
        check = r.check(person, WRONG, where)
    assert check.result == "locked" and check.locked_until is not None
    return check.locked_until


# -- PINs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("", "A PIN is digits only."),
        ("12a4", "A PIN is digits only."),
        ("١٢٣٤", "A PIN is digits only."),  # digits, but not ASCII digits
        ("123", "A PIN has 4 to 12 digits."),
        ("1234567890123", "A PIN has 4 to 12 digits."),
        ("1234", None),
        ("123456789012", None),
    ],
)
def test_a_pin_is_four_to_twelve_ascii_digits(pin: str, problem: str | None) -> None:
    assert pin_problem(pin) == problem


def test_setting_a_pin_is_recorded_first_then_stored_with_who_and_when(rig: Rig) -> None:
    seen: list[str | None] = []

    def record(*args: object) -> None:
        seen.append(rig.auth.store.pin_hash(P, "crew"))  # the PIN has not taken effect yet
        rig.pins_set.append(args)  # type: ignore[arg-type]

    rig.auth.on_pin_set = record
    rig.auth.set_pin(P, "crew", "7007", "prod")
    rig.clock.advance(timedelta(hours=1))
    rig.auth.set_pin(P, "crew", "7117", "ad")
    assert rig.pins_set == [(P, "crew", "prod", False), (P, "crew", "ad", True)]
    assert seen[0] is None and seen[1] is not None
    set_by, set_at = rig.row(
        "SELECT set_by, set_at FROM auth_pins WHERE production = ? AND person = ?", P, "crew"
    )
    assert (set_by, set_at) == ("ad", (START + timedelta(hours=1)).isoformat())
    assert rig.check("crew", "7117").ok and not rig.check("crew", "7007").ok
    assert rig.auth.people_with_pins(P) == {"lead", "ad", "crew"}
    assert rig.auth.has_pin(P, "crew") and not rig.auth.has_pin(P, "nobody")


def test_every_pin_set_is_handed_to_the_record(rig: Rig) -> None:
    rig.auth.set_pin(P, "lead", "5115", "prod")
    rig.auth.set_pin(P, "crew", "7007", "ad")
    assert rig.pins_set == [(P, "lead", "prod", True), (P, "crew", "ad", False)]


def test_a_bad_pin_is_refused_before_anything_is_recorded_or_stored(rig: Rig) -> None:
    with pytest.raises(ValueError, match=r"^A PIN has 4 to 12 digits\.$"):
        rig.auth.set_pin(P, "crew", "12", "prod")
    assert rig.pins_set == [] and not rig.auth.has_pin(P, "crew")


def test_pins_are_set_without_hooks_too(tmp_path: Path) -> None:
    db = migrated(tmp_path / "bare.db")
    auth = Auth(SQLiteSignInStore(db), hasher=CountingHasher())
    try:
        auth.set_pin(P, "lead", PIN, "cli")
        auth.set_pin(P, "lead", "5115", "cli")
        for _ in range(MAX_FAILURES):
            check = auth.check_pin(P, "lead", WRONG, "sign_in")
        assert check.result == "locked"  # no hook to record it: still locked
    finally:
        auth.close()


def test_production_hashes_pins_with_argon2id_at_owasps_minimum(tmp_path: Path) -> None:
    auth = Auth(SQLiteSignInStore(migrated(tmp_path / "p.db")))
    try:
        auth.set_pin(P, "lead", PIN, "prod")
        stored = auth.store.pin_hash(P, "lead")
        assert stored is not None and stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert auth.check_pin(P, "lead", PIN, "sign_in").ok
        assert auth.clock is utc_now
    finally:
        auth.close()


def test_the_hasher_given_is_the_one_used(rig: Rig) -> None:
    stored = rig.auth.store.pin_hash(P, "lead")
    assert stored is not None and stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_utc_now_is_aware_and_in_utc() -> None:
    assert utc_now().utcoffset() == timedelta(0)


def test_a_right_pin_is_accepted_and_a_wrong_one_counts_down(rig: Rig) -> None:
    assert rig.check("lead", PIN) == PinCheck("ok")
    for left in range(MAX_FAILURES - 1, 0, -1):
        assert rig.check("lead", WRONG) == PinCheck("wrong", remaining=left)
    assert rig.failures() == (MAX_FAILURES - 1, None)


def test_an_unknown_person_costs_a_real_argon2_check_and_says_no_pin(rig: Rig) -> None:
    made = rig.hasher.hashed
    assert rig.check("nobody", PIN) == PinCheck("no_pin")
    assert rig.check("bad id!", PIN) == PinCheck("no_pin")  # not even a valid ID: not looked up
    assert rig.check("nobody", WRONG) == PinCheck("no_pin")
    # One decoy hash, made once and checked each time: as slow as a known person's wrong PIN.
    assert rig.hasher.hashed == made + 1
    assert len(rig.hasher.checked) == 3 and len(set(rig.hasher.checked)) == 1
    assert rig.hasher.checked[0].startswith("$argon2id$")
    assert rig.failures("nobody") == (0, None)


def test_a_person_id_that_is_not_an_id_is_never_looked_up(rig: Rig) -> None:
    # Even a row stored under it (written past the app) is not matched: an ID with a problem
    # (a newline, 300 characters, a bidi override) never reaches the store.
    bad = ["lead\n", "x" * 300, "\u202eael"]
    with sqlite3.connect(rig.db) as conn:
        stored = conn.execute("SELECT pin_hash FROM auth_pins WHERE person = 'lead'").fetchone()
        for person in bad:
            conn.execute(
                "INSERT INTO auth_pins VALUES (?, ?, ?, 'test', ?)",
                (P, person, stored[0], START.isoformat()),
            )
    for person in bad:
        assert rig.check(person, PIN) == PinCheck("no_pin"), person


def test_a_stored_hash_that_is_not_argon2_is_a_wrong_pin_not_a_crash(rig: Rig) -> None:
    with sqlite3.connect(rig.db) as conn:
        conn.execute("UPDATE auth_pins SET pin_hash = 'not-a-hash' WHERE person = 'lead'")
    assert rig.check("lead", PIN) == PinCheck("wrong", remaining=MAX_FAILURES - 1)


def test_a_pin_that_is_not_text_a_browser_sends_is_a_wrong_pin(rig: Rig) -> None:
    surrogate = "\ud800123"  # a lone surrogate: there is no UTF-8 for it
    assert rig.check("lead", surrogate).result == "wrong"
    assert rig.check("lead", PIN).ok  # now remembered in memory
    assert rig.check("lead", surrogate).result == "wrong"


# -- the lockout ---------------------------------------------------------------------------------


def test_five_wrong_pins_lock_for_five_minutes_and_the_lock_is_recorded(rig: Rig) -> None:
    until = lock(rig)
    assert until == START + LOCKOUT
    assert rig.lockouts == [(P, "lead", until, "sign_in")]
    assert rig.check("lead", PIN) == PinCheck("locked", until, 0)  # even the right PIN
    assert rig.check("lead", WRONG) == PinCheck("locked", until, 0)
    assert len(rig.lockouts) == 1


def test_the_lock_ends_exactly_when_its_five_minutes_are_up(rig: Rig) -> None:
    until = lock(rig)
    checked = len(rig.hasher.checked)
    rig.clock.now = until - US
    assert rig.check("lead", PIN) == PinCheck("locked", until, 0)
    assert len(rig.hasher.checked) == checked  # refused without an argon2 check
    rig.clock.now = until
    assert rig.check("lead", PIN) == PinCheck("ok")
    assert rig.failures() == (0, None)


def test_after_a_lock_runs_out_the_person_has_five_new_tries(rig: Rig) -> None:
    first = lock(rig)
    rig.clock.now = first + timedelta(minutes=1)
    for left in range(MAX_FAILURES - 1, 0, -1):
        assert rig.check("lead", WRONG) == PinCheck("wrong", remaining=left)
    check = rig.check("lead", WRONG, "witness")
    assert check == PinCheck("locked", rig.clock.now + LOCKOUT, 0)
    assert rig.lockouts == [
        (P, "lead", first, "sign_in"),
        (P, "lead", rig.clock.now + LOCKOUT, "witness"),
    ]


def test_a_right_pin_resets_the_failure_count(rig: Rig) -> None:
    for _ in range(MAX_FAILURES - 1):
        rig.check("lead", WRONG)
    assert rig.check("lead", PIN).ok
    assert rig.failures() == (0, None)
    for left in range(MAX_FAILURES - 1, 0, -1):
        assert rig.check("lead", WRONG) == PinCheck("wrong", remaining=left)
    assert rig.lockouts == []


def test_a_right_pin_as_the_fifth_try_lifts_the_lock_it_reserved(rig: Rig) -> None:
    for _ in range(MAX_FAILURES - 1):
        rig.check("lead", WRONG)
    assert rig.check("lead", PIN) == PinCheck("ok")
    assert rig.failures() == (0, None) and rig.lockouts == []
    assert rig.check("lead", WRONG) == PinCheck("wrong", remaining=MAX_FAILURES - 1)


def test_witness_pins_and_sign_in_share_one_count(rig: Rig) -> None:
    for i in range(MAX_FAILURES - 1):
        where = "witness" if i % 2 else "sign_in"
        assert rig.check("ad", WRONG, where).remaining == MAX_FAILURES - 1 - i
    until = rig.check("ad", WRONG, "witness").locked_until
    assert until is not None
    assert rig.lockouts == [(P, "ad", until, "witness")]
    assert rig.check("ad", "3003", "sign_in").result == "locked"
    assert rig.check("lead", PIN).ok  # another person is not affected


def test_a_guess_that_arrives_after_another_tablet_set_the_lock_is_not_checked(
    tmp_path: Path,
) -> None:
    # Between this check's look at the count and its reservation, another tablet's fifth wrong
    # guess locks the person: the reservation says so, and the PIN is never checked.
    db = migrated(tmp_path / "race.db")
    clock, hasher = Clock(), CountingHasher()

    class Interleaved(SQLiteSignInStore):
        before_reserve: ClassVar[list[object]] = []

        def reserve_attempt(self, *args: object, **kwargs: object) -> tuple[int, datetime | None]:
            while self.before_reserve:
                step = self.before_reserve.pop(0)
                assert callable(step)
                step()
            return super().reserve_attempt(*args, **kwargs)  # type: ignore[arg-type]

    store = Interleaved(db)
    auth = Auth(store, clock=clock, hasher=hasher)
    other = Auth(SQLiteSignInStore(db), clock=clock, hasher=hasher)
    try:
        auth.set_pin(P, "lead", PIN, "prod")
        for _ in range(MAX_FAILURES - 1):
            auth.check_pin(P, "lead", WRONG, "sign_in")

        def other_tablet_locks() -> None:
            assert other.check_pin(P, "lead", WRONG, "sign_in").result == "locked"

        store.before_reserve.append(other_tablet_locks)
        checked = len(hasher.checked)
        check = auth.check_pin(P, "lead", PIN, "sign_in")
        assert check == PinCheck("locked", START + LOCKOUT, 0)
        assert len(hasher.checked) == checked + 1  # only the other tablet's guess
    finally:
        auth.close()
        other.close()


def test_a_lock_lifted_by_a_right_pin_checked_meanwhile_is_not_recorded(rig: Rig) -> None:
    # Three wrong; then the right PIN (4th reservation) and a wrong one (5th: sets the lock)
    # are checked at once, and the right one finishes first: it lifts the lock, and the wrong
    # guess's lockout is neither reported nor recorded.
    for _ in range(MAX_FAILURES - 2):
        rig.check("lead", WRONG)
    right_reserved, wrong_reserved, right_done = (threading.Event() for _ in range(3))
    answers: dict[str, PinCheck] = {}

    def pause(password: object) -> None:
        if password in (PIN, PIN.encode()):
            right_reserved.set()
            assert wrong_reserved.wait(WAIT)
        else:
            wrong_reserved.set()
            assert right_done.wait(WAIT)

    rig.hasher.during_verify[:] = [pause, pause]

    def right() -> None:
        answers["right"] = rig.check("lead", PIN)
        right_done.set()

    t = threading.Thread(target=right)
    t.start()
    assert right_reserved.wait(WAIT)
    answers["wrong"] = rig.check("lead", WRONG)
    t.join(WAIT)
    assert answers == {"right": PinCheck("ok"), "wrong": PinCheck("wrong", remaining=0)}
    assert rig.lockouts == [] and rig.failures() == (0, None)


# -- a right PIN remembered in memory ------------------------------------------------------------


def test_a_right_pin_is_remembered_for_fifteen_minutes_of_monotonic_time(rig: Rig) -> None:
    assert rig.check("lead", PIN).ok
    assert len(rig.hasher.checked) == 1
    rig.mono.now += VERIFIED_TTL - 0.001
    assert rig.check("lead", PIN).ok
    assert len(rig.hasher.checked) == 1  # no argon2 run
    rig.mono.now += 0.001  # exactly VERIFIED_TTL after: forgotten
    assert rig.check("lead", PIN).ok
    assert len(rig.hasher.checked) == 2


def test_a_remembered_pin_never_lets_a_wrong_one_through(rig: Rig) -> None:
    assert rig.check("lead", PIN).ok
    assert rig.check("lead", "5006") == PinCheck("wrong", remaining=MAX_FAILURES - 1)
    assert rig.check("ad", PIN).result == "wrong"  # lead's PIN is not ad's


def test_a_wrong_pin_pending_turns_the_memory_off_until_a_checked_right_pin(rig: Rig) -> None:
    assert rig.check("lead", PIN).ok
    rig.check("lead", WRONG)
    checked = len(rig.hasher.checked)
    assert rig.check("lead", PIN).ok
    assert len(rig.hasher.checked) == checked + 1  # checked by argon2 ...
    assert rig.failures() == (0, None)  # ... which resets the count
    assert rig.check("lead", PIN).ok
    assert len(rig.hasher.checked) == checked + 1  # remembered again


def test_a_pin_replaced_by_another_process_is_not_remembered_here(rig: Rig) -> None:
    assert rig.check("lead", PIN).ok
    cli = Auth(SQLiteSignInStore(rig.db), hasher=CountingHasher())
    try:
        cli.set_pin(P, "lead", "5115", "cli")
    finally:
        cli.close()
    assert rig.check("lead", PIN).result == "wrong"
    assert rig.check("lead", "5115").ok


def test_a_pin_replaced_here_is_forgotten_here(rig: Rig) -> None:
    assert rig.check("lead", PIN).ok
    rig.auth.set_pin(P, "lead", "5115", "prod")
    assert rig.check("lead", PIN).result == "wrong"
    assert rig.check("lead", "5115").ok


def test_a_hash_made_with_older_parameters_is_rehashed_on_a_right_pin(rig: Rig) -> None:
    token, _ = rig.auth.create_session(P, "lead")
    old = rig.auth.store.pin_hash(P, "lead")
    assert rig.check("lead", PIN).ok
    assert rig.auth.store.pin_hash(P, "lead") == old  # same parameters: left alone
    newer = CountingHasher(time_cost=2)
    auth = Auth(SQLiteSignInStore(rig.db), clock=rig.clock, hasher=newer)
    try:
        rig.clock.advance(timedelta(minutes=3))
        assert auth.check_pin(P, "lead", PIN, "sign_in").ok
        new = auth.store.pin_hash(P, "lead")
        assert new is not None and new != old and new.startswith("$argon2id$v=19$m=8,t=2,p=1$")
        set_by, set_at = rig.row("SELECT set_by, set_at FROM auth_pins WHERE person = 'lead'")
        assert (set_by, set_at) == ("lead", (START + timedelta(minutes=3)).isoformat())
        assert auth.session(token) is not None  # a rehash is not a new PIN: sessions stay
        assert auth.check_pin(P, "lead", PIN, "sign_in").ok  # the new hash holds the PIN
        assert auth.check_pin(P, "lead", PIN, "sign_in").ok
        assert newer.checked == [old, new]  # then it is remembered
    finally:
        auth.close()


# -- what the screens say ------------------------------------------------------------------------


def test_what_each_check_says() -> None:
    until = datetime(2026, 3, 2, 7, 5, tzinfo=UTC)
    hhmm = until.astimezone().strftime("%H:%M")
    assert PinCheck("ok").text("lead") == "lead: PIN accepted."
    assert PinCheck("locked", until, 0).text("lead") == (
        f"lead is locked out after 5 wrong PINs, until {hhmm}."
    )
    assert PinCheck("locked").text("lead") == "lead is locked out after 5 wrong PINs, until ?."
    assert PinCheck("no_pin").text("x") == "x has no PIN on this production (or the ID is wrong)."
    assert PinCheck("wrong", remaining=3).text("ad") == (
        "Wrong PIN for ad. 3 tries left before a 5-minute lockout."
    )
    assert PinCheck("wrong", remaining=0).text("ad") == "Wrong PIN for ad."
    assert PinCheck("locked", until, 0).sign_in_text() == (
        f"Locked out after 5 wrong PINs, until {hhmm}. Ask the producer or wait."
    )
    assert PinCheck("locked").sign_in_text() == (
        "Locked out after 5 wrong PINs, until ?. Ask the producer or wait."
    )
    stranger = "Wrong person ID or PIN. Check the ID on your badge and try again."
    assert PinCheck("no_pin").sign_in_text() == PinCheck("wrong").sign_in_text() == stranger
    assert PinCheck("ok").ok and not PinCheck("wrong").ok


# -- sessions ------------------------------------------------------------------------------------


def test_a_session_is_a_256_bit_token_kept_only_as_its_sha256(rig: Rig) -> None:
    token, s = rig.auth.create_session(P, "lead")
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert s.token_hash == hashlib.sha256(token.encode()).digest()
    assert rig.auth.store.session(s.token_hash) == s
    assert (s.production, s.person, s.expires_at) == (P, "lead", START + SESSION_LIFETIME)
    created, expires = rig.row("SELECT created_at, expires_at FROM auth_sessions")
    assert (created, expires) == (START.isoformat(), (START + SESSION_LIFETIME).isoformat())
    assert rig.auth.session(token) == s
    other, s2 = rig.auth.create_session(P, "lead")
    assert other != token and s2.csrf_token != s.csrf_token and len(s.csrf_token) >= 32


def test_a_session_ends_exactly_when_its_lifetime_is_up_and_is_deleted(rig: Rig) -> None:
    token, s = rig.auth.create_session(P, "lead")
    rig.clock.now = s.expires_at - US
    assert rig.auth.session(token) == s
    rig.clock.now = s.expires_at
    assert rig.auth.session(token) is None
    assert rig.auth.store.session(s.token_hash) is None  # the row is gone too


def test_no_token_or_an_unknown_token_is_no_session(rig: Rig) -> None:
    assert rig.auth.session(None) is None
    assert rig.auth.session("") is None
    assert rig.auth.session("never-issued") is None
    rig.auth.end_session(None)
    rig.auth.end_session("")  # nothing to end: no error
    token, s = rig.auth.create_session(P, "lead")
    rig.auth.end_session(token)
    assert rig.auth.session(token) is None and rig.auth.store.session(s.token_hash) is None


def test_replacing_a_pin_ends_every_session_of_that_person_only(rig: Rig) -> None:
    mine = [rig.auth.create_session(P, "lead")[0] for _ in range(2)]
    theirs, _ = rig.auth.create_session(P, "ad")
    rig.auth.set_pin(P, "lead", "5115", "prod")
    assert [rig.auth.session(t) for t in mine] == [None, None]
    assert rig.auth.session(theirs) is not None


def test_a_csrf_token_must_be_echoed_exactly(rig: Rig) -> None:
    _, s = rig.auth.create_session(P, "lead")
    assert Auth.csrf_ok(s, s.csrf_token)
    assert not Auth.csrf_ok(s, None)
    assert not Auth.csrf_ok(s, s.csrf_token[:-1])
    assert not Auth.csrf_ok(s, "\ud800")


# -- the sign-in form's token --------------------------------------------------------------------


def test_a_sign_in_token_is_minted_here_for_one_production(rig: Rig) -> None:
    token = rig.auth.signin_token(P)
    assert rig.auth.signin_token_ok(P, token)
    assert rig.auth.signin_token(P) != token  # a fresh nonce each time
    nonce, mac = token.split(".")
    assert len(nonce) >= 16 and len(mac) == 64
    assert not rig.auth.signin_token_ok("other", token)
    flipped = mac[:-1] + ("1" if mac.endswith("0") else "0")
    for bad in (None, "", nonce, f"{nonce}.{mac}.x", f"{nonce}x.{mac}", f"{nonce}.{flipped}",
                f"{nonce}.\ud800", f"\ud800.{mac}", "chosen-by-attacker"):  # fmt: skip
        assert not rig.auth.signin_token_ok(P, bad), bad
    elsewhere = Auth(SQLiteSignInStore(rig.db), hasher=CountingHasher())
    try:  # another process's key: its tokens are not ours
        assert not elsewhere.signin_token_ok(P, token)
    finally:
        elsewhere.close()


# -- a production this node may not record to ---------------------------------------------------


class NotHere(Exception):
    pass


def test_sign_in_is_refused_before_any_pin_is_checked_where_the_node_may_not_record(
    rig: Rig,
) -> None:
    # On the studio, a production a set node writes: a failure or a lockout would be an event
    # the studio cannot record, so the check refuses first, for that production only.
    asked: list[str] = []

    def writable(production: str) -> None:
        asked.append(production)
        if production == P:
            raise NotHere(production)

    guarded = Auth(rig.auth.store, clock=rig.clock, monotonic=rig.mono, hasher=rig.hasher,
                   on_lockout=lambda *a: rig.lockouts.append(a), writable=writable)  # fmt: skip
    for _ in range(MAX_FAILURES + 1):
        with pytest.raises(NotHere):
            guarded.check_pin(P, "lead", WRONG, "sign_in")
    assert asked == [P] * (MAX_FAILURES + 1)
    assert rig.hasher.checked == [] and rig.failures() == (0, None) and rig.lockouts == []
    assert guarded.check_pin("elsewhere", "lead", PIN, "sign_in").result == "no_pin"
    assert asked[-1] == "elsewhere"
    assert rig.check("lead", PIN).ok  # the unguarded node is untouched
