"""Alert delivery's side tables in the store's SQLite file (migration 0006_alert_outbox):
contact addresses under their fingerprints, and send attempts. Implements
`showclear.ports.AlertOutbox`.

One connection shared by the threads that use it (the writer stores addresses, the delivery
worker counts attempts; `SharedConnection`). Every write is one IMMEDIATE transaction, fsynced
(`synchronous=FULL`): an attempt is on disk before its send begins.

A set node is one server process, so a delivery's claim (`claim`, `release`) is kept in this
process, by file: two workers on one file in one process never send the same message. (The
studio's PostgreSQL outbox claims in the server, for several processes on one database.)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from showclear.adapters.outbox_common import ATTEMPT_COLUMNS, attempts_from_rows
from showclear.adapters.sqlite.shared import SharedConnection
from showclear.ports import Attempts, DeliveryKey

_KEY = "production = ? AND alert = ? AND person = ? AND channel = ?"


# (file, production, delivery) held by a worker of this process.
_claims: set[tuple[str, str, DeliveryKey]] = set()
_claims_lock = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class SQLiteAlertOutbox(SharedConnection):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._file = str(Path(path).resolve())
        self._mine: set[tuple[str, str, DeliveryKey]] = set()

    def close(self) -> None:
        """Close the connection and drop this object's claims (as a lost session would)."""
        with _claims_lock:
            _claims.difference_update(self._mine)
            self._mine.clear()
        super().close()

    # -- addresses ------------------------------------------------------------------------------

    def put_address(self, production: str, fingerprint: str, address: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO contact_addresses (production, fingerprint, address, stored_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (production, fingerprint) DO NOTHING",
                (production, fingerprint, address, _now()),
            )

    def address(self, production: str, fingerprint: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT address FROM contact_addresses WHERE production = ? AND fingerprint = ?",
                (production, fingerprint),
            ).fetchone()
        return None if row is None else str(row[0])

    def drop_address(self, production: str, fingerprint: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM contact_addresses WHERE production = ? AND fingerprint = ?",
                (production, fingerprint),
            )

    # -- attempts -------------------------------------------------------------------------------

    def attempts(self, production: str) -> dict[DeliveryKey, Attempts]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {ATTEMPT_COLUMNS} FROM delivery_attempts WHERE production = ?",
                (production,),
            ).fetchall()
        return attempts_from_rows(rows)

    def begin_attempt(self, production: str, key: DeliveryKey, at: str) -> Attempts:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO delivery_attempts (production, alert, person, channel, attempts, "
                "in_flight, next_at, last_error, updated_at) VALUES (?, ?, ?, ?, 1, 1, NULL, "
                "NULL, ?) ON CONFLICT (production, alert, person, channel) DO UPDATE SET "
                "attempts = attempts + 1, in_flight = 1, updated_at = excluded.updated_at",
                (production, *key, at),
            )
            row = conn.execute(
                f"SELECT attempts, next_at, last_error FROM delivery_attempts WHERE {_KEY}",
                (production, *key),
            ).fetchone()
        return Attempts(int(row[0]), True, row[1], row[2])

    def end_attempt(
        self, production: str, key: DeliveryKey, *, next_at: str | None, error: str | None
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE delivery_attempts SET in_flight = 0, next_at = ?, last_error = ?, "
                f"updated_at = ? WHERE {_KEY}",
                (next_at, error, _now(), production, *key),
            )

    def forget(self, production: str, key: DeliveryKey) -> None:
        with self._write() as conn:
            conn.execute(f"DELETE FROM delivery_attempts WHERE {_KEY}", (production, *key))

    # -- claims ---------------------------------------------------------------------------------

    def claim(self, production: str, key: DeliveryKey) -> bool:
        with _claims_lock:
            held = (self._file, production, key)
            if held in _claims:
                return False
            _claims.add(held)
            self._mine.add(held)
            return True

    def release(self, production: str, key: DeliveryKey) -> None:
        with _claims_lock:
            if (held := (self._file, production, key)) in self._mine:
                self._mine.discard(held)
                _claims.discard(held)
