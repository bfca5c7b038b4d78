"""The EventStore protocol shared by the embedded SQLite store and the studio PostgreSQL store.

Exception tree::

    StoreError                 anything the store could not do
     +-- ConcurrencyError      another writer appended first; re-read and re-decide
     +-- CorruptStoreError     stored bytes do not match what was written (see `showclear verify`)

Every event is stored as the exact canonical bytes (RFC 8785) that the ledger hashes, so
verification never re-serialises anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class StoreError(Exception):
    """The store could not complete the operation."""


class ConcurrencyError(StoreError):
    """Another command was appended after the head the caller decided on."""

    def __init__(self, production: str, expected: int, actual: int) -> None:
        super().__init__(
            f"production {production!r}: expected head {expected}, found {actual}; "
            "re-read and retry"
        )
        self.production = production
        self.expected = expected
        self.actual = actual


class CorruptStoreError(StoreError):
    """Stored bytes could not be read back as an event."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event decided by the core, not yet stored (the store assigns its sequence)."""

    type: str
    actor: str
    at: str  # ISO 8601 with offset: the command clock, not the wall clock
    data: Mapping[str, Any]
    version: int = 1


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event, exactly as it was hashed."""

    position: int  # global order in this store, 1-based
    production: str
    seq: int  # order within the production, 1-based, no gaps
    type: str
    version: int
    actor: str
    at: str
    recorded_at: str  # wall-clock time of the commit (ISO 8601, UTC)
    payload: bytes  # RFC 8785 canonical JSON of the envelope (see ledger.canonical)
    leaf_hash: bytes  # SHA-256(0x00 || payload), RFC 9162 leaf


class EventStore(Protocol):
    """Append-only, per-production sequenced event storage."""

    def append(
        self, production: str, expected_seq: int, events: Sequence[NewEvent]
    ) -> list[StoredEvent]:
        """Append events atomically after `expected_seq`; raise ConcurrencyError otherwise.

        When this returns, the events are durable (they survive power loss).
        """
        ...

    def read(self, production: str, after_seq: int = 0) -> Iterator[StoredEvent]:
        """The production's events with seq > after_seq, in order."""
        ...

    def read_all(self, after_position: int = 0) -> Iterator[StoredEvent]:
        """Every event with position > after_position, in global order."""
        ...

    def head(self, production: str) -> int:
        """The last seq of the production (0 when it has none)."""
        ...

    def productions(self) -> list[str]:
        """Every production with at least one event, in order of first event."""
        ...

    def close(self) -> None: ...
