"""The studio's storage on PostgreSQL (15 or newer, psycopg 3)."""

from showclear.adapters.postgres.store import (
    PostgresEventStore,
    StoreBusyError,
    StoreClosedError,
    StoreUnavailableError,
)

__all__ = [
    "PostgresEventStore",
    "StoreBusyError",
    "StoreClosedError",
    "StoreUnavailableError",
]
