"""Fixtures of the store tests: the session's real PostgreSQL server (see tests/pg.py)."""

from pg import postgres_database, postgres_server

__all__ = ["postgres_database", "postgres_server"]
