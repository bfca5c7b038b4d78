"""Event stores: the only place ShowClear's events are written and read back."""

from showclear.store.base import ConcurrencyError, EventStore, NewEvent, StoredEvent, StoreError

__all__ = ["ConcurrencyError", "EventStore", "NewEvent", "StoreError", "StoredEvent"]
