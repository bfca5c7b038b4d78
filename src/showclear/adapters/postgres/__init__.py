"""The studio's storage on PostgreSQL (15 or newer, psycopg 3)."""

from showclear.adapters.postgres.store import (
    AppendOutcomeUnknownError,
    PostgresEventStore,
    PostgresLogReader,
    StoreBusyError,
    StoreClosedError,
    StoreUnavailableError,
)

__all__ = [
    "AppendOutcomeUnknownError",
    "PostgresEventStore",
    "PostgresLogReader",
    "StoreBusyError",
    "StoreClosedError",
    "StoreUnavailableError",
]
