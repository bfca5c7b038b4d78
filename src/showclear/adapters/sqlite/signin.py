"""Sign-in state in the store's SQLite file (tables of migration 0004_auth): PIN hashes,
failure counts and lockouts, sessions. Implements `showclear.ports.SignInStore`.

One connection shared by request threads, serialised by a lock of its own; argon2 runs in the
caller outside it, so sign-ins on several tablets do not queue behind each other. Every write
is one IMMEDIATE transaction (SQLite's write lock taken up front), so counting an attempt is
atomic across threads and processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from showclear.adapters.signin_common import next_attempt, session_from_row
from showclear.adapters.sqlite.shared import SharedConnection
from showclear.ports import Session


class SQLiteSignInStore(SharedConnection):
    """(`SharedConnection`: one connection, our own lock, IMMEDIATE write transactions.)"""

    # -- PINs -----------------------------------------------------------------------------------

    def pin_hash(self, production: str, person: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT pin_hash FROM auth_pins WHERE production = ? AND person = ?",
                (production, person),
            ).fetchone()
        return None if row is None else str(row[0])

    def people_with_pins(self, production: str) -> set[str]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT person FROM auth_pins WHERE production = ?", (production,)
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
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (production, person) DO UPDATE SET "
                "pin_hash = excluded.pin_hash, set_by = excluded.set_by, set_at = excluded.set_at",
                (production, person, pin_hash, set_by, at.isoformat()),
            )
            conn.execute(
                "DELETE FROM auth_failures WHERE production = ? AND person = ?",
                (production, person),
            )
            if end_sessions:
                conn.execute(
                    "DELETE FROM auth_sessions WHERE production = ? AND person = ?",
                    (production, person),
                )

    # -- failures and lockouts --------------------------------------------------------------------

    def failures(self, production: str, person: str) -> tuple[int, datetime | None]:
        with self._read() as conn:
            row = conn.execute(
                "SELECT failures, locked_until FROM auth_failures "
                "WHERE production = ? AND person = ?",
                (production, person),
            ).fetchone()
        if row is None:
            return 0, None
        return int(row[0]), datetime.fromisoformat(row[1]) if row[1] else None

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
            row = conn.execute(
                "SELECT failures, locked_until FROM auth_failures "
                "WHERE production = ? AND person = ?",
                (production, person),
            ).fetchone()
            failures, until = (0, None) if row is None else (int(row[0]), row[1])
            attempt, lock = next_attempt(
                failures,
                None if until is None else datetime.fromisoformat(until),
                now,
                max_failures=max_failures,
                lockout=lockout,
            )
            if attempt == 0:
                return attempt, lock
            conn.execute(
                "INSERT INTO auth_failures (production, person, failures, locked_until) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (production, person) DO UPDATE SET "
                "failures = excluded.failures, locked_until = excluded.locked_until",
                (production, person, attempt, lock.isoformat() if lock else None),
            )
        return attempt, lock

    def reset_failures(self, production: str, person: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM auth_failures WHERE production = ? AND person = ?",
                (production, person),
            )

    # -- sessions ---------------------------------------------------------------------------------

    def add_session(self, session: Session, created_at: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO auth_sessions (token_hash, production, person, csrf_token, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session.token_hash,
                    session.production,
                    session.person,
                    session.csrf_token,
                    created_at.isoformat(),
                    session.expires_at.isoformat(),
                ),
            )

    def session(self, token_hash: bytes) -> Session | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT production, person, csrf_token, expires_at FROM auth_sessions "
                "WHERE token_hash = ?",
                (token_hash,),
            ).fetchone()
        if row is None:
            return None
        return session_from_row(token_hash, row, datetime.fromisoformat(row[3]))

    def end_session(self, token_hash: bytes) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM auth_sessions WHERE token_hash = ?", (token_hash,))
