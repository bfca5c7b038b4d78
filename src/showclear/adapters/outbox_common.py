"""What the SQLite and the PostgreSQL alert outboxes share beyond their SQL: the attempt rows
read back as `Attempts` under their delivery keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from showclear.ports import Attempts, DeliveryKey

__all__ = ["ATTEMPT_COLUMNS", "attempts_from_rows"]

ATTEMPT_COLUMNS = "alert, person, channel, attempts, in_flight, next_at, last_error"
"""The columns `attempts_from_rows` reads, in its order."""


def attempts_from_rows(rows: Iterable[Sequence[object]]) -> dict[DeliveryKey, Attempts]:
    return {
        (int(str(a)), str(p), str(c)): Attempts(
            int(str(n)), bool(f), None if nxt is None else str(nxt), None if e is None else str(e)
        )
        for a, p, c, n, f, nxt, e in rows
    }
