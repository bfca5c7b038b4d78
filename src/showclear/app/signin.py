"""Sign-in: PINs (argon2id), lockout, server-side sessions and CSRF tokens.

Kept out of the event ledger on purpose (a `showclear.ports.SignInStore`; on SQLite, the tables
of migration 0004_auth.sql): an exported ledger must not carry PIN hashes, and a session is
device state, not a fact about the set. What matters for the record is handed to the service
as events: a lockout (`on_lockout`), and every PIN set or replaced (`on_pin_set`, recorded
before the new PIN takes effect).

- PINs are 4 to 12 digits, hashed with argon2id (`PasswordHasher`, OWASP's minimum profile:
  19 MiB, 2 passes, 1 lane), never stored or logged in clear.
- Five wrong PINs for one person lock that person for five minutes, whichever screen the PIN
  was typed on (sign-in or witness confirmation). Each attempt is reserved in one write
  transaction before argon2 runs (`SignInStore.reserve_attempt`): the fifth reservation sets
  the lock, so however many guesses arrive at once, at most five are ever checked, and a lock
  can only be lifted by the right PIN among those five or by its time running out. A right PIN
  resets the count.
- Replacing a PIN ends every session of that person.
- A session is a random 256-bit token in an HttpOnly, SameSite=Strict cookie; the table keeps
  only its SHA-256 and is read on every request, so a session ended by another process (the
  command line) ends here too. Each session has its own CSRF token, which every form post and
  every API POST made with the cookie must echo (form field `csrf_token` or header
  `X-CSRF-Token`).

Witnesses confirm every handover with their PIN, so a busy cart verifies many PINs. A correct
PIN is remembered for `VERIFIED_TTL` as an HMAC under a random key that lives only in this
process (never on disk), together with the stored hash it matched, so a repeat confirmation
costs microseconds instead of an argon2 run. It only ever short-cuts a *correct* PIN of a
person with no wrong PIN pending, and only while that person's stored hash is unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from showclear.domain.limits import id_problem
from showclear.ports import Session, SignInStore

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(hours=14)  # one long shooting day
VERIFIED_TTL = 15 * 60.0  # seconds a correct PIN is remembered in memory
PIN_DIGITS = (4, 12)
# A PIN in a JSON Schema (no anchors: `$` also matches before a final newline in Python).
PIN_SCHEMA = {
    "type": "string",
    "minLength": PIN_DIGITS[0],
    "maxLength": PIN_DIGITS[1],
    "not": {"pattern": "[^0-9]"},
}

Clock = Callable[[], datetime]
Monotonic = Callable[[], float]  # seconds, for the in-memory memory of a correct PIN
LockoutHook = Callable[[str, str, datetime, str], None]  # production, person, until, where
PinSetHook = Callable[[str, str, str, bool], None]  # production, person, set by, replaced
WritableCheck = Callable[[str], None]  # raises when this node may not record to the production


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

    def sign_in_text(self) -> str:
        """What the sign-in screen says: the same for an unknown person as for a wrong PIN,
        so the screen does not tell a stranger which IDs exist."""
        if self.result == "locked":
            until = self.locked_until.astimezone().strftime("%H:%M") if self.locked_until else "?"
            return (
                f"Locked out after {MAX_FAILURES} wrong PINs, until {until}. "
                "Ask the producer or wait."
            )
        return "Wrong person ID or PIN. Check the ID on your badge and try again."


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Auth:
    """PINs, lockouts and sessions over a sign-in store."""

    def __init__(
        self,
        store: SignInStore,
        *,
        clock: Clock = utc_now,
        monotonic: Monotonic = time.monotonic,
        hasher: PasswordHasher | None = None,
        on_lockout: LockoutHook | None = None,
        on_pin_set: PinSetHook | None = None,
        writable: WritableCheck | None = None,
    ) -> None:
        self.store = store
        # On the studio, a production a set node writes: no PIN is checked or set there (a
        # lockout or a PIN change is an event, and the studio records none in that node's
        # production), so sign-in is refused up front, before a failure could be counted.
        self.writable = writable
        self.clock = clock
        self.monotonic = monotonic
        self.hasher = hasher or PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
        self.on_lockout = on_lockout
        self.on_pin_set = on_pin_set
        # (production, person) -> (HMAC of the right PIN, expiry, the stored hash it matched)
        self._verified: dict[tuple[str, str], tuple[bytes, float, str]] = {}
        self._mac_key = secrets.token_bytes(32)
        self._decoy: str | None = None

    def close(self) -> None:
        self.store.close()

    # -- PINs --------------------------------------------------------------------------------

    def set_pin(self, production: str, person: str, pin: str, set_by: str) -> None:
        """Set or replace a person's PIN: recorded first (`on_pin_set`), then stored, and every
        session of the person ended and their failure count cleared in the same transaction."""
        problem = pin_problem(pin)
        if problem:
            raise ValueError(problem)
        digest = self.hasher.hash(pin)
        if self.on_pin_set is not None:
            self.on_pin_set(production, person, set_by, self.has_pin(production, person))
        self._store_pin(production, person, digest, set_by, end_sessions=True)

    def _store_pin(
        self, production: str, person: str, digest: str, set_by: str, *, end_sessions: bool
    ) -> None:
        self.store.store_pin(
            production, person, digest, set_by, self.clock(), end_sessions=end_sessions
        )
        self._verified.pop((production, person), None)

    def has_pin(self, production: str, person: str) -> bool:
        return self.store.pin_hash(production, person) is not None

    def people_with_pins(self, production: str) -> set[str]:
        return self.store.people_with_pins(production)

    def _mac(self, production: str, person: str, pin: str) -> bytes:
        msg = f"{production}\0{person}\0{pin}".encode(errors="surrogatepass")
        return hmac.new(self._mac_key, msg, hashlib.sha256).digest()

    def _remembered(self, production: str, person: str, pin: str, digest: str) -> bool:
        seen = self._verified.get((production, person))
        return (
            seen is not None
            and seen[1] > self.monotonic()
            and seen[2] == digest
            and hmac.compare_digest(seen[0], self._mac(production, person, pin))
        )

    def _decoy_verify(self, pin: str) -> None:
        """Spend what a real check spends, so an unknown person answers as slowly as a known
        one with a wrong PIN (the timing must not tell which IDs exist)."""
        if self._decoy is None:
            self._decoy = self.hasher.hash(secrets.token_hex(8))
        self._verify(self._decoy, pin)

    def _verify(self, digest: str, pin: str) -> bool:
        try:
            return self.hasher.verify(digest, pin.encode(errors="surrogatepass"))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def check_pin(self, production: str, person: str, pin: str, where: str) -> PinCheck:
        """Verify a person's PIN, counting failures; `where` names the screen for the record."""
        if self.writable is not None:
            self.writable(production)
        now = self.clock()
        digest = None if id_problem(person) else self.store.pin_hash(production, person)
        if digest is None:
            self._decoy_verify(pin)
            return PinCheck("no_pin")
        failures, locked_until = self.store.failures(production, person)
        if locked_until is not None and locked_until > now:
            return PinCheck("locked", locked_until, 0)
        if failures == 0 and self._remembered(production, person, pin, digest):
            return PinCheck("ok")
        attempt, until = self.store.reserve_attempt(
            production, person, now, max_failures=MAX_FAILURES, lockout=LOCKOUT
        )
        if attempt == 0:  # the lock was due before this guess: it is not checked at all
            return PinCheck("locked", until, 0)
        if not self._verify(digest, pin):
            return self._failed(production, person, attempt, until, where)
        self.store.reset_failures(production, person)  # also lifts the lock just set
        self._verified[(production, person)] = (
            self._mac(production, person, pin),
            self.monotonic() + VERIFIED_TTL,
            digest,
        )
        if self.hasher.check_needs_rehash(digest):
            self._store_pin(production, person, self.hasher.hash(pin), person, end_sessions=False)
        return PinCheck("ok")

    def _failed(
        self, production: str, person: str, attempt: int, until: datetime | None, where: str
    ) -> PinCheck:
        if until is None:
            return PinCheck("wrong", remaining=MAX_FAILURES - attempt)
        # This attempt set the lock. Record it, unless a right PIN checked meanwhile lifted it.
        if self.store.failures(production, person)[1] != until:
            return PinCheck("wrong", remaining=0)
        # A lock leaves the PIN remembered in memory (if any) alone: memory is consulted only
        # while no wrong PIN is pending, and a right PIN is right whatever the count.
        if self.on_lockout is not None:
            self.on_lockout(production, person, until, where)
        return PinCheck("locked", until, 0)

    # -- sign-in form tokens -----------------------------------------------------------------

    def signin_token(self, production: str) -> str:
        """A login-CSRF token for the sign-in form: minted here, so a value an attacker
        chose (and planted as a cookie) is refused."""
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._signin_mac(production, nonce)}"

    def signin_token_ok(self, production: str, token: str | None) -> bool:
        if not token or token.count(".") != 1:
            return False
        nonce, mac = token.split(".")
        expected = self._signin_mac(production, nonce).encode()
        return hmac.compare_digest(mac.encode(errors="surrogatepass"), expected)

    def _signin_mac(self, production: str, nonce: str) -> str:
        msg = f"signin\0{production}\0{nonce}".encode(errors="surrogatepass")
        return hmac.new(self._mac_key, msg, hashlib.sha256).hexdigest()

    # -- sessions -----------------------------------------------------------------------------

    def create_session(self, production: str, person: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        s = Session(
            _digest(token), production, person, secrets.token_urlsafe(24), now + SESSION_LIFETIME
        )
        self.store.add_session(s, now)
        return token, s

    def session(self, token: str | None) -> Session | None:
        """The live session of this cookie token, or None (read from the table every time)."""
        if not token:
            return None
        s = self.store.session(_digest(token))
        if s is None:
            return None
        if s.expires_at <= self.clock():
            self.end_session(token)
            return None
        return s

    def end_session(self, token: str | None) -> None:
        if not token:
            return
        self.store.end_session(_digest(token))

    @staticmethod
    def csrf_ok(session: Session, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            session.csrf_token.encode(), presented.encode(errors="surrogatepass")
        )
