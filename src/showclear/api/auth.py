"""Sign-in: PINs (argon2id), lockout, server-side sessions and CSRF tokens.

Kept out of the event ledger on purpose (tables of migration 0004_auth.sql): an exported
ledger must not carry PIN hashes, and a session is device state, not a fact about the set.
A lockout *is* a fact about the set, so `on_lockout` hands it to the service as an event.

- PINs are 4 to 12 digits, hashed with argon2id (`PasswordHasher`, OWASP's minimum profile:
  19 MiB, 2 passes, 1 lane), never stored or logged in clear.
- Five consecutive wrong PINs for one person lock that person for five minutes, whichever
  screen the PIN was typed on (sign-in or witness confirmation). A right PIN resets the count.
- A session is a random 256-bit token in an HttpOnly, SameSite=Strict cookie; the table keeps
  only its SHA-256. Each session has its own CSRF token, which every form post and every API
  POST made with the cookie must echo (form field `csrf_token` or header `X-CSRF-Token`).

Witnesses confirm every handover with their PIN, so a busy cart verifies many PINs. A correct
PIN is remembered for `VERIFIED_TTL` as an HMAC under a random key that lives only in this
process (never on disk), so a repeat confirmation costs microseconds instead of an argon2 run.
It only ever short-cuts a *correct* PIN: a wrong one still goes to argon2 and still counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(hours=14)  # one long shooting day
VERIFIED_TTL = 15 * 60.0  # seconds a correct PIN is remembered in memory
PIN_DIGITS = (4, 12)

Clock = Callable[[], datetime]
LockoutHook = Callable[[str, str, datetime, str], None]  # production, person, until, where


def utc_now() -> datetime:
    return datetime.now(UTC)


def pin_problem(pin: str) -> str | None:
    """Why this is not an acceptable PIN, or None."""
    lo, hi = PIN_DIGITS
    if not pin.isdigit() or not pin.isascii():
        return "A PIN is digits only."
    if not lo <= len(pin) <= hi:
        return f"A PIN has {lo} to {hi} digits."
    return None


@dataclass(frozen=True)
class PinCheck:
    result: Literal["ok", "wrong", "locked", "no_pin"]
    locked_until: datetime | None = None
    remaining: int = MAX_FAILURES  # wrong tries left before a lockout

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    def text(self, who: str) -> str:
        if self.result == "ok":
            return f"{who}: PIN accepted."
        if self.result == "locked":
            until = self.locked_until.astimezone().strftime("%H:%M") if self.locked_until else "?"
            return f"{who} is locked out after {MAX_FAILURES} wrong PINs, until {until}."
        if self.result == "no_pin":
            return f"{who} has no PIN on this production (or the ID is wrong)."
        left = f" {self.remaining} tries left before a 5-minute lockout." if self.remaining else ""
        return f"Wrong PIN for {who}.{left}"


@dataclass(frozen=True)
class Session:
    token_hash: bytes
    production: str
    person: str
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Auth:
    """PINs, lockouts and sessions in the store's SQLite file (its own connection)."""

    def __init__(
        self,
        db: str | Path,
        *,
        clock: Clock = utc_now,
        hasher: PasswordHasher | None = None,
        on_lockout: LockoutHook | None = None,
    ) -> None:
        # One connection shared by request threads, serialised by our own lock; argon2 runs
        # outside the lock so sign-ins on several tablets do not queue behind each other.
        self._conn = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 10000")
        self._lock = threading.Lock()
        self.clock = clock
        self.hasher = hasher or PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
        self.on_lockout = on_lockout
        self._sessions: dict[bytes, Session] = {}
        self._verified: dict[tuple[str, str], tuple[bytes, float]] = {}
        self._mac_key = secrets.token_bytes(32)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- PINs --------------------------------------------------------------------------------

    def set_pin(self, production: str, person: str, pin: str, set_by: str) -> None:
        problem = pin_problem(pin)
        if problem:
            raise ValueError(problem)
        digest = self.hasher.hash(pin)
        with self._lock:
            self._conn.execute(
                "INSERT INTO auth_pins (production, person, pin_hash, set_by, set_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (production, person) DO UPDATE SET "
                "pin_hash = excluded.pin_hash, set_by = excluded.set_by, set_at = excluded.set_at",
                (production, person, digest, set_by, self.clock().isoformat()),
            )
            self._conn.execute(
                "DELETE FROM auth_failures WHERE production = ? AND person = ?",
                (production, person),
            )
            self._verified.pop((production, person), None)

    def has_pin(self, production: str, person: str) -> bool:
        return self._pin_hash(production, person) is not None

    def people_with_pins(self, production: str) -> set[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT person FROM auth_pins WHERE production = ?", (production,)
            ).fetchall()
        return {str(r[0]) for r in rows}

    def _pin_hash(self, production: str, person: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT pin_hash FROM auth_pins WHERE production = ? AND person = ?",
                (production, person),
            ).fetchone()
        return None if row is None else str(row[0])

    def _mac(self, production: str, person: str, pin: str) -> bytes:
        msg = f"{production}\0{person}\0{pin}".encode()
        return hmac.new(self._mac_key, msg, hashlib.sha256).digest()

    def check_pin(self, production: str, person: str, pin: str, where: str) -> PinCheck:
        """Verify a person's PIN, counting failures; `where` names the screen for the record."""
        now = self.clock()
        failures, locked_until = self._failures(production, person)
        if locked_until is not None and locked_until > now:
            return PinCheck("locked", locked_until, 0)
        key = (production, person)
        remembered = self._verified.get(key)
        mac = self._mac(production, person, pin)
        if (
            remembered
            and remembered[1] > time.monotonic()
            and hmac.compare_digest(remembered[0], mac)
        ):
            if failures:
                self._reset(production, person)
            return PinCheck("ok")
        digest = self._pin_hash(production, person)
        if digest is None:
            return PinCheck("no_pin")
        try:
            self.hasher.verify(digest, pin)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return self._failed(production, person, failures, now, where)
        self._verified[key] = (mac, time.monotonic() + VERIFIED_TTL)
        if failures or locked_until is not None:
            self._reset(production, person)
        if self.hasher.check_needs_rehash(digest):
            self.set_pin(production, person, pin, set_by=person)
        return PinCheck("ok")

    def _failures(self, production: str, person: str) -> tuple[int, datetime | None]:
        with self._lock:
            row = self._conn.execute(
                "SELECT failures, locked_until FROM auth_failures "
                "WHERE production = ? AND person = ?",
                (production, person),
            ).fetchone()
        if row is None:
            return 0, None
        return int(row[0]), datetime.fromisoformat(row[1]) if row[1] else None

    def _reset(self, production: str, person: str) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM auth_failures WHERE production = ? AND person = ?",
                (production, person),
            )

    def _failed(
        self, production: str, person: str, failures: int, now: datetime, where: str
    ) -> PinCheck:
        failures += 1
        until = now + LOCKOUT if failures >= MAX_FAILURES else None
        with self._lock:
            self._conn.execute(
                "INSERT INTO auth_failures (production, person, failures, locked_until) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (production, person) DO UPDATE SET "
                "failures = excluded.failures, locked_until = excluded.locked_until",
                # After a lockout the count starts again, so the next five wrong PINs lock
                # the person again rather than one.
                (
                    production,
                    person,
                    0 if until else failures,
                    until.isoformat() if until else None,
                ),
            )
        if until is None:
            return PinCheck("wrong", remaining=MAX_FAILURES - failures)
        self._verified.pop((production, person), None)
        if self.on_lockout is not None:
            self.on_lockout(production, person, until, where)
        return PinCheck("locked", until, 0)

    # -- sessions -----------------------------------------------------------------------------

    def create_session(self, production: str, person: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        s = Session(
            _digest(token), production, person, secrets.token_urlsafe(24), now + SESSION_LIFETIME
        )
        with self._lock:
            self._conn.execute(
                "INSERT INTO auth_sessions (token_hash, production, person, csrf_token, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    s.token_hash,
                    production,
                    person,
                    s.csrf_token,
                    now.isoformat(),
                    s.expires_at.isoformat(),
                ),
            )
            self._sessions[s.token_hash] = s
        return token, s

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        digest = _digest(token)
        s = self._sessions.get(digest)
        if s is None:
            with self._lock:
                row = self._conn.execute(
                    "SELECT production, person, csrf_token, expires_at FROM auth_sessions "
                    "WHERE token_hash = ?",
                    (digest,),
                ).fetchone()
            if row is None:
                return None
            s = Session(digest, row[0], row[1], row[2], datetime.fromisoformat(row[3]))
            self._sessions[digest] = s
        if s.expires_at <= self.clock():
            self.end_session(token)
            return None
        return s

    def end_session(self, token: str | None) -> None:
        if not token:
            return
        digest = _digest(token)
        with self._lock:
            self._sessions.pop(digest, None)
            self._conn.execute("DELETE FROM auth_sessions WHERE token_hash = ?", (digest,))

    @staticmethod
    def csrf_ok(session: Session, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            session.csrf_token.encode(), presented.encode()
        )
