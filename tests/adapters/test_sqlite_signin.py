"""The sign-in store contract on the store's SQLite file (the tables of migration 0004)."""

from __future__ import annotations

from pathlib import Path

from signin_contract import SignInContract

from showclear.adapters.sqlite.signin import SQLiteSignInStore
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.ports import SignInStore


class TestSQLiteSignInStore(SignInContract):
    def make(self, path: Path) -> SignInStore:
        SQLiteEventStore(path).close()  # the store's migrations create the tables
        return SQLiteSignInStore(path)
