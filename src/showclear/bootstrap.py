"""The one place that wires a SQLite store, this node's ledger and the service together."""

from __future__ import annotations

from pathlib import Path

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.ledger import LedgerNode
from showclear.app.service import Service


def open_service(db_path: str | Path) -> Service:
    """A Service on the store at `db_path` whose ledger signs a checkpoint after every commit.

    Creates the store and its key pair (``<db>.keys/``) when missing, and signs any tail a crash
    left unsigned. Close with ``service.store.close()``, which waits for the last signature.
    """
    store = SQLiteEventStore(db_path)
    try:
        ledger = LedgerNode.open(db_path, store)
    except BaseException:
        store.close()
        raise
    return Service(store, ledger=ledger)
