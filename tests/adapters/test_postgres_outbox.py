"""The alert outbox contract on a real PostgreSQL server (the tables of migration
0008_alert_outbox), and what only a server can do to a claim: lose its connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from outbox_contract import AT, KEY, OutboxContract

from pg import PostgresServer, database_for, database_name
from showclear.adapters.postgres.outbox import PostgresAlertOutbox
from showclear.ports import AlertOutbox, StoreUnavailableError


class TestPostgresAlertOutbox(OutboxContract):
    @pytest.fixture(autouse=True)
    def _server(self, tmp_path: Path, postgres_server: PostgresServer) -> Iterator[None]:
        yield
        for name in ("outbox.db", "shared.db", "closing.db", "race.db"):
            postgres_server.drop_database(database_name(tmp_path / name))

    def make(self, path: Path) -> AlertOutbox:
        return PostgresAlertOutbox(database_for(path))


def test_a_claim_whose_connection_was_lost_sends_nothing_and_frees_the_delivery(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """The server ends the holder's session (a network cut, an administrator, a failover): the
    lock is gone with it, so the holder must not go on to send what another may now claim."""
    conninfo = database_for(tmp_path / "lost")
    a, b = PostgresAlertOutbox(conninfo), PostgresAlertOutbox(conninfo)
    try:
        assert a.claim("p", KEY)
        assert not b.claim("p", KEY)
        with a._use() as conn:
            pid = conn.info.backend_pid
        postgres_server.sql(f"SELECT pg_terminate_backend({pid}, 60000)")  # waits for its end
        assert b.claim("p", KEY)  # the server dropped a's lock with its session
        with pytest.raises(StoreUnavailableError):
            a.begin_attempt("p", KEY, AT)  # meets the lost connection
        with pytest.raises(StoreUnavailableError, match=r"claim .* was lost"):
            a.begin_attempt("p", KEY, AT)  # reconnected, but the claim is not this session's
        assert a.attempts("p") == {}  # no attempt counted: nothing may be sent
        a.release("p", KEY)  # drops the stale claim without touching b's
        assert not a.claim("p", KEY)  # b still holds it
        b.release("p", KEY)
        assert a.claim("p", KEY)
    finally:
        a.close()
        b.close()
        postgres_server.drop_database(database_name(tmp_path / "lost"))
