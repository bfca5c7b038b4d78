"""Fixtures shared by every test folder: the session's real PostgreSQL server (see tests/pg.py).

Defined once here, so a session that runs the store, ledger and witness tests starts one server.
"""

from pg import postgres_database, postgres_server

__all__ = ["postgres_database", "postgres_server"]
