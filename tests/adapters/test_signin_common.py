"""The lockout count both sign-in stores share (their contract suite runs it against each
database; these pin the arithmetic at its edges)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from showclear.adapters.signin_common import next_attempt, session_from_row

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LOCK = timedelta(minutes=5)


def test_attempts_count_up_and_the_last_allowed_one_sets_the_lock() -> None:
    assert next_attempt(0, None, NOW, max_failures=5, lockout=LOCK) == (1, None)
    assert next_attempt(3, None, NOW, max_failures=5, lockout=LOCK) == (4, None)
    assert next_attempt(4, None, NOW, max_failures=5, lockout=LOCK) == (5, NOW + LOCK)


def test_a_running_lock_counts_nothing_and_names_its_end() -> None:
    until = NOW + timedelta(seconds=1)
    assert next_attempt(5, until, NOW, max_failures=5, lockout=LOCK) == (0, until)


def test_a_lock_that_ran_out_starts_the_count_again() -> None:
    assert next_attempt(5, NOW, NOW, max_failures=5, lockout=LOCK) == (1, None)
    assert next_attempt(5, NOW - LOCK, NOW, max_failures=1, lockout=LOCK) == (1, NOW + LOCK)


def test_a_session_row_maps_to_a_session() -> None:
    s = session_from_row(b"h", ("prod", "arm", "csrf", "ignored"), NOW)
    assert (s.token_hash, s.production, s.person, s.csrf_token, s.expires_at) == (
        b"h",
        "prod",
        "arm",
        "csrf",
        NOW,
    )
