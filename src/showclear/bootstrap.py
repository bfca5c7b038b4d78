"""The one place that wires a SQLite store, this node's ledger and the service together."""

from __future__ import annotations

from pathlib import Path

from showclear.ledger.node import LedgerNode
from showclear.service import Service
from showclear.store.sqlite import SQLiteEventStore


def open_service(db_path: str | Path) -> Service:
    """A Service on the store at `db_path` that signs a checkpoint in every append.

    Creates the store and its key pair (``<db>.keys/``) when missing. Close with
    ``service.store.close()``.
    """
    store = SQLiteEventStore(db_path)
    try:
        ledger = LedgerNode.open(db_path, store)
    except BaseException:
        store.close()
        raise
    return Service(store, ledger=ledger)
