"""Alert delivery's side tables on the studio's PostgreSQL (migration 0008_alert_outbox):
contact addresses under their fingerprints, and send attempts. Implements
`showclear.ports.AlertOutbox` with the same behaviour as the set node's SQLite tables (one
contract suite runs on both).

What must be sent is the record itself (every committed `alert_raised`, see app/delivery.py),
so nothing here is written in the append's transaction. Every write here is a transaction of
its own, committed (durable, as the server is configured: `synchronous_commit`) before it
returns: an attempt is on record before its send begins.

Several studio server processes may run on one database, each with its own delivery worker
that sees the same outbox. Only one may send a given message: `claim` takes the delivery's
advisory lock (``pg_try_advisory_lock``, a session lock held by this object's connection, not
waited for: another holder means "skip it, someone is sending"), held until `release` while
the worker re-reads the record, counts its attempt, sends and records the outcome. A row lock
(``SELECT ... FOR UPDATE SKIP LOCKED``) would do the same only inside one open transaction, and
the attempt must be committed before the send; the session lock needs none. When the process
dies, or its connection is lost, the server drops the lock: the attempt left in flight then
tells the next holder to send again (after_interrupted_attempt), as after a restart.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from showclear.adapters.outbox_common import ATTEMPT_COLUMNS, attempts_from_rows
from showclear.adapters.postgres.schema import DELIVERY_LOCK_NAMESPACE
from showclear.adapters.postgres.shared import SharedConnection
from showclear.adapters.postgres.store import Connection
from showclear.ports import Attempts, DeliveryKey, StoreUnavailableError

__all__ = ["PostgresAlertOutbox", "delivery_lock_key"]

_KEY = "production = %s AND alert = %s AND person = %s AND channel = %s"


def delivery_lock_key(production: str, key: DeliveryKey) -> int:
    """The second advisory-lock key of a delivery: 32 bits of SHA-256, as a signed int4. Two
    deliveries that share it only wait for each other's send; neither is sent twice."""
    text = "\0".join((production, str(key[0]), key[1], key[2])).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:4], signed=True)


class PostgresAlertOutbox(SharedConnection):
    def __init__(self, conninfo: str) -> None:
        super().__init__(conninfo, "showclear-alerts")
        # The claims this object holds, each with the connection that holds its lock: after a
        # reconnect the lock is gone, and the claim with it.
        self._held: dict[tuple[str, DeliveryKey], Connection] = {}

    # -- addresses ------------------------------------------------------------------------------

    def put_address(self, production: str, fingerprint: str, address: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO contact_addresses (production, fingerprint, address, stored_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (production, fingerprint) DO NOTHING",
                (production, fingerprint, address, datetime.now(UTC)),
            )

    def address(self, production: str, fingerprint: str) -> str | None:
        with self._use() as conn:
            row = conn.execute(
                "SELECT address FROM contact_addresses WHERE production = %s AND fingerprint = %s",
                (production, fingerprint),
            ).fetchone()
        return None if row is None else str(row[0])

    def drop_address(self, production: str, fingerprint: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM contact_addresses WHERE production = %s AND fingerprint = %s",
                (production, fingerprint),
            )

    # -- attempts -------------------------------------------------------------------------------

    def attempts(self, production: str) -> dict[DeliveryKey, Attempts]:
        with self._use() as conn:
            rows = conn.execute(
                f"SELECT {ATTEMPT_COLUMNS} FROM delivery_attempts WHERE production = %s",
                (production,),
            ).fetchall()
        return attempts_from_rows(rows)

    def begin_attempt(self, production: str, key: DeliveryKey, at: str) -> Attempts:
        with self._write() as conn:
            holder = self._held.get((production, key))
            if holder is not None and holder is not conn:
                raise StoreUnavailableError(
                    f"{self._label}: the connection holding the claim on alert {key[0]} for "
                    f"{key[1]} ({key[2]}) was lost; nothing was sent, the next turn claims it again"
                )
            row = conn.execute(
                "INSERT INTO delivery_attempts (production, alert, person, channel, attempts, "
                "in_flight, next_at, last_error, updated_at) VALUES (%s, %s, %s, %s, 1, true, "
                "NULL, NULL, clock_timestamp()) ON CONFLICT (production, alert, person, channel) "
                "DO UPDATE SET attempts = delivery_attempts.attempts + 1, in_flight = true, "
                "updated_at = excluded.updated_at RETURNING attempts, next_at, last_error",
                (production, *key),
            ).fetchone()
        assert row is not None
        return Attempts(int(row[0]), True, row[1], row[2])

    def end_attempt(
        self, production: str, key: DeliveryKey, *, next_at: str | None, error: str | None
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE delivery_attempts SET in_flight = false, next_at = %s, last_error = %s, "
                f"updated_at = clock_timestamp() WHERE {_KEY}",
                (next_at, error, production, *key),
            )

    def forget(self, production: str, key: DeliveryKey) -> None:
        with self._write() as conn:
            conn.execute(f"DELETE FROM delivery_attempts WHERE {_KEY}", (production, *key))

    # -- claims ---------------------------------------------------------------------------------

    def claim(self, production: str, key: DeliveryKey) -> bool:
        with self._use() as conn:
            holder = self._held.get((production, key))
            if holder is conn:
                return False  # held already by this worker (a lock taken twice stacks)
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s, %s)",
                (DELIVERY_LOCK_NAMESPACE, delivery_lock_key(production, key)),
            ).fetchone()
            if row is None or not row[0]:
                return False
            self._held[(production, key)] = conn
            return True

    def release(self, production: str, key: DeliveryKey) -> None:
        with self._use() as conn:
            if self._held.pop((production, key), None) is conn:
                conn.execute(
                    "SELECT pg_advisory_unlock(%s, %s)",
                    (DELIVERY_LOCK_NAMESPACE, delivery_lock_key(production, key)),
                )
