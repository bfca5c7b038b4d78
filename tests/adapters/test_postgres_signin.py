"""The sign-in store contract on a real PostgreSQL server (the tables of migration 0005_auth)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from signin_contract import NOW, SignInContract

from pg import PostgresServer, database_for, database_name
from showclear.adapters.postgres.signin import PostgresSignInStore
from showclear.ports import Session, SignInStore


class TestPostgresSignInStore(SignInContract):
    @pytest.fixture(autouse=True)
    def _server(self, tmp_path: Path, postgres_server: PostgresServer) -> Iterator[None]:
        yield
        for name in ("signin.db", "shared.db"):
            postgres_server.drop_database(database_name(tmp_path / name))

    def make(self, path: Path) -> SignInStore:
        return PostgresSignInStore(database_for(path))


def test_times_come_back_as_the_same_instants(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    # timestamptz keeps the instant, not the offset it was written with: the session's expiry
    # and a lock's end compare equal to what was stored, whatever the server's time zone.
    from datetime import timedelta, timezone

    store = PostgresSignInStore(database_for(tmp_path / "tz.db"))
    try:
        with store._write() as conn:  # the server's session time zone, far from UTC
            conn.execute("SET TIME ZONE 'Pacific/Kiritimati'")
        east = timezone(timedelta(hours=-6))
        s = Session(b"t" * 32, "p", "arm", "csrf", NOW.astimezone(east))
        store.add_session(s, NOW)
        back = store.session(s.token_hash)
        assert back == s and back is not None and back.expires_at.utcoffset() is not None
    finally:
        store.close()
        postgres_server.drop_database(database_name(tmp_path / "tz.db"))
