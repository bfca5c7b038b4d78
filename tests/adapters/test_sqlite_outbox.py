"""The alert outbox contract on the store's SQLite file (the tables of migration 0006)."""

from __future__ import annotations

from pathlib import Path

from outbox_contract import OutboxContract

from showclear.adapters.sqlite.outbox import SQLiteAlertOutbox
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.ports import AlertOutbox


class TestSQLiteAlertOutbox(OutboxContract):
    def make(self, path: Path) -> AlertOutbox:
        SQLiteEventStore(path).close()  # the store's migrations create the tables
        return SQLiteAlertOutbox(path)
