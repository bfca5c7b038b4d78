"""Sign-in state on PostgreSQL (tables of migration 0005_auth): PIN hashes, failure counts and
lockouts, sessions. Implements `showclear.ports.SignInStore`, with the same behaviour as the set
node's SQLite tables (one contract suite runs on both).

Counting an attempt must be atomic across threads and processes (a studio may run several
server processes on one database): where SQLite takes its write lock up front (BEGIN
IMMEDIATE), here the attempt's transaction makes sure the person's failure row exists
(``INSERT ... ON CONFLICT DO NOTHING``) and then locks it (``SELECT ... FOR UPDATE``): every
other attempt for that person waits on the row lock until this one commits, then reads the
count it left. Attempts for other people do not wait.

One connection, shared by request threads and serialised by a lock of its own; argon2 runs in
the caller outside it. A lost connection is reported (StoreUnavailableError) and the next call
reconnects.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from showclear.adapters.postgres.shared import SharedConnection
from showclear.adapters.signin_common import next_attempt, session_from_row
from showclear.ports import Session

__all__ = ["PostgresSignInStore"]


class PostgresSignInStore(SharedConnection):
    def __init__(self, conninfo: str) -> None:
        super().__init__(conninfo, "showclear-signin")

    # -- PINs -----------------------------------------------------------------------------------

    def pin_hash(self, production: str, person: str) -> str | None:
        with self._use() as conn:
            row = conn.execute(
                "SELECT pin_hash FROM auth_pins WHERE production = %s AND person = %s",
                (production, person),
            ).fetchone()
        return None if row is None else str(row[0])

    def people_with_pins(self, production: str) -> set[str]:
        with self._use() as conn:
            rows = conn.execute(
                "SELECT person FROM auth_pins WHERE production = %s", (production,)
            ).fetchall()
        return {str(r[0]) for r in rows}

    def store_pin(
        self,
        production: str,
        person: str,
        pin_hash: str,
        set_by: str,
        at: datetime,
        *,
        end_sessions: bool,
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO auth_pins (production, person, pin_hash, set_by, set_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (production, person) DO UPDATE SET "
                "pin_hash = excluded.pin_hash, set_by = excluded.set_by, set_at = excluded.set_at",
                (production, person, pin_hash, set_by, at),
            )
            conn.execute(
                "DELETE FROM auth_failures WHERE production = %s AND person = %s",
                (production, person),
            )
            if end_sessions:
                conn.execute(
                    "DELETE FROM auth_sessions WHERE production = %s AND person = %s",
                    (production, person),
                )

    # -- failures and lockouts --------------------------------------------------------------------

    def failures(self, production: str, person: str) -> tuple[int, datetime | None]:
        with self._use() as conn:
            row = conn.execute(
                "SELECT failures, locked_until FROM auth_failures "
                "WHERE production = %s AND person = %s",
                (production, person),
            ).fetchone()
        if row is None:
            return 0, None
        return int(row[0]), row[1]

    def reserve_attempt(
        self,
        production: str,
        person: str,
        now: datetime,
        *,
        max_failures: int,
        lockout: timedelta,
    ) -> tuple[int, datetime | None]:
        with self._write() as conn:
            # The row exists before it is locked: two first attempts at once cannot both
            # insert a count of one (the second's insert waits for the first, then does nothing).
            conn.execute(
                "INSERT INTO auth_failures (production, person, failures) VALUES (%s, %s, 0) "
                "ON CONFLICT (production, person) DO NOTHING",
                (production, person),
            )
            row = conn.execute(
                "SELECT failures, locked_until FROM auth_failures "
                "WHERE production = %s AND person = %s FOR UPDATE",
                (production, person),
            ).fetchone()
            assert row is not None
            attempt, lock = next_attempt(
                int(row[0]), row[1], now, max_failures=max_failures, lockout=lockout
            )
            if attempt == 0:
                return attempt, lock
            conn.execute(
                "UPDATE auth_failures SET failures = %s, locked_until = %s "
                "WHERE production = %s AND person = %s",
                (attempt, lock, production, person),
            )
        return attempt, lock

    def reset_failures(self, production: str, person: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM auth_failures WHERE production = %s AND person = %s",
                (production, person),
            )

    # -- sessions ---------------------------------------------------------------------------------

    def add_session(self, session: Session, created_at: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO auth_sessions (token_hash, production, person, csrf_token, "
                "created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    session.token_hash,
                    session.production,
                    session.person,
                    session.csrf_token,
                    created_at,
                    session.expires_at,
                ),
            )

    def session(self, token_hash: bytes) -> Session | None:
        with self._use() as conn:
            row = conn.execute(
                "SELECT production, person, csrf_token, expires_at FROM auth_sessions "
                "WHERE token_hash = %s",
                (token_hash,),
            ).fetchone()
        if row is None:
            return None
        return session_from_row(token_hash, row, row[3])

    def end_session(self, token_hash: bytes) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM auth_sessions WHERE token_hash = %s", (token_hash,))
