"""A real PostgreSQL server for the tests, started from the installed binaries
(`showclear.adapters.postgres.local_server`, which the studio benchmarks use too).

One server per test session (per xdist worker), in a fresh temporary directory: initdb, then
``pg_ctl start`` with fsync and synchronous_commit on (the durability the store promises is the
durability the tests get). It listens only on a Unix socket inside that directory, so parallel
sessions never collide on a port and nothing listens on the network. PostgreSQL refuses to run
as root, so under root (CI) the server runs as the ``postgres`` system user, created if missing,
and owns the directory; the tests connect over the socket as the ``postgres`` database user.

Tests that need the server fail, never skip, when it cannot start: the message says what is
missing (``make system-deps`` installs Debian's ``postgresql``) and shows the server log.

`database_for(key)` gives each test (or test class) a database of its own, created on first
use; it works in spawned child processes too, which find the server through PG_ENV.

`ReplicatedPair.start_new()` starts a primary and a streaming-replication standby of it (made
with ``pg_basebackup -R`` through a replication slot), the standby named in the primary's
``synchronous_standby_names`` so that a commit is acknowledged only once the standby has it on
disk: what docs/postgres-store.md tells an operator to set up, for the failover tests.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# The server itself is the application's (the studio benchmarks start one too); these names
# stay importable from here for the tests.
from showclear.adapters.postgres.local_server import (
    BINDIR_ENV,
    MIN_VERSION,
    OS_USER,
    SETTINGS,
    SOCKET_PORT,
    PostgresServer,
    PostgresUnavailable,
    create_database,
    drop_database,
    find_bindir,
    server_os_user,
    store_url,
)

__all__ = [
    "BINDIR_ENV",
    "MIN_VERSION",
    "OS_USER",
    "PG_ENV",
    "SETTINGS",
    "SOCKET_PORT",
    "PostgresServer",
    "PostgresUnavailable",
    "ReplicatedPair",
    "admin_conninfo",
    "create_database",
    "database_for",
    "database_name",
    "drop_database",
    "find_bindir",
    "postgres_database",
    "postgres_server",
    "server_os_user",
    "store_url",
]

PG_ENV = "SHOWCLEAR_TEST_PG"  # this session's server, as an admin connection string


@dataclass
class ReplicatedPair:
    """A primary and its synchronous streaming-replication standby."""

    primary: PostgresServer
    standby: PostgresServer
    standby_name: str

    @classmethod
    def start_new(cls, standby_name: str = "standby_a") -> ReplicatedPair:
        # Replication needs no setting beyond the defaults (wal_level replica, wal senders,
        # slots, "local replication all trust" in pg_hba.conf under initdb --auth=trust); they
        # are written out so that the test shows what the standby relies on.
        primary = PostgresServer.start_new(
            {"wal_level": "replica", "max_wal_senders": "4", "max_replication_slots": "4"}
        )
        try:
            standby = primary.standby(standby_name)
        except BaseException:
            primary.stop()
            raise
        pair = cls(primary, standby, standby_name)
        try:
            # Named only after the base backup, so the standby's own copy of the configuration
            # does not wait for a standby of its own once it is promoted.
            primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({standby_name})'")
            primary.sql("SELECT pg_reload_conf()")
            pair.wait_until_synchronous()
        except BaseException:
            pair.stop()
            raise
        return pair

    def wait_until_synchronous(self, timeout_s: float = 60) -> None:
        """Until the primary reports the standby streaming as its synchronous standby."""
        deadline = time.monotonic() + timeout_s
        query = (
            "SELECT sync_state FROM pg_stat_replication "
            f"WHERE application_name = '{self.standby_name}' AND state = 'streaming'"
        )
        while self.primary.sql(query) != [("sync",)]:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(
                    f"standby {self.standby_name} did not become synchronous within "
                    f"{timeout_s:g} s{self.primary.log_tail()}{self.standby.log_tail()}"
                )
            time.sleep(0.05)

    def conninfo(self, dbname: str) -> str:
        """Both servers, the writable one wanted: what a studio server is given."""
        hosts = ",".join(str(s.root) for s in (self.primary, self.standby))
        return (
            f"host={hosts} port={SOCKET_PORT},{SOCKET_PORT} user=postgres dbname={dbname} "
            "target_session_attrs=read-write connect_timeout=5"
        )

    def stop(self) -> None:
        # Both folders are thrown away: no shutdown checkpoint (seconds on a standby) is needed.
        try:
            self.standby.stop("immediate")
        finally:
            self.primary.stop("immediate")


def database_name(key: str | os.PathLike[str]) -> str:
    """A database name derived from `key` (a test's path, say): the same key, the same name."""
    return "t_" + hashlib.sha256(os.fspath(key).encode("utf-8")).hexdigest()[:24]


def admin_conninfo() -> str:
    """The session server's admin connection string, also in spawned child processes."""
    conninfo = os.environ.get(PG_ENV)
    if not conninfo:
        raise RuntimeError(f"{PG_ENV} is not set: request the postgres_server fixture first")
    return conninfo


def database_for(key: str | os.PathLike[str]) -> str:
    """Connection string of the database for `key` on the session's server (made if missing)."""
    return create_database(admin_conninfo(), database_name(key))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; tests using it fail (not skip) if it cannot start."""
    try:
        server = PostgresServer.start_new()
    except PostgresUnavailable as e:
        pytest.fail(f"cannot start the test PostgreSQL server: {e}", pytrace=False)
    previous = os.environ.get(PG_ENV)
    os.environ[PG_ENV] = server.conninfo()
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop(PG_ENV, None)
        else:
            os.environ[PG_ENV] = previous
        server.stop()


@pytest.fixture
def postgres_database(
    postgres_server: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh, empty database for one test (dropped after it); yields its connection string."""
    name = database_name(request.node.nodeid)
    postgres_server.drop_database(name)
    conninfo = postgres_server.create_database(name)
    yield conninfo
    postgres_server.drop_database(name)
