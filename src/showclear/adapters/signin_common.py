"""What the SQLite and the PostgreSQL sign-in stores share beyond their SQL: the count of an
attempt against the lockout, and a session row read back as a `Session`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from showclear.ports import Session

__all__ = ["next_attempt", "session_from_row"]


def next_attempt(
    failures: int,
    locked_until: datetime | None,
    now: datetime,
    *,
    max_failures: int,
    lockout: timedelta,
) -> tuple[int, datetime | None]:
    """The attempt a new try counts as and the lock it sets: (attempt, the lock's end or None),
    or (0, the lock's end) while the person is still locked out (then nothing is written)."""
    if locked_until is not None:
        if locked_until > now:
            return 0, locked_until
        failures = 0  # a lock that ran out: new tries
    attempt = failures + 1
    return attempt, now + lockout if attempt >= max_failures else None


def session_from_row(token_hash: bytes, row: Sequence[object], expires_at: datetime) -> Session:
    """A session from a row of (production, person, csrf_token, ...) and its parsed expiry."""
    return Session(token_hash, str(row[0]), str(row[1]), str(row[2]), expires_at)
