"""A real PostgreSQL server for the tests, started from the installed binaries.

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
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

PG_ENV = "SHOWCLEAR_TEST_PG"  # this session's server, as an admin connection string
BINDIR_ENV = "SHOWCLEAR_PG_BINDIR"  # override the binaries' folder
MIN_VERSION = 15
OS_USER = "postgres"
SOCKET_PORT = 5432  # names the socket file only: the server has no TCP listener

# Appended to postgresql.conf. fsync and synchronous_commit are the defaults; they are written
# out so that nobody "speeds up the tests" by turning them off without seeing this line.
SETTINGS = {
    "listen_addresses": "''",
    "port": str(SOCKET_PORT),
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "max_connections": "120",
    "shared_buffers": "'64MB'",
    "log_min_messages": "warning",
    "log_line_prefix": "'%m [%p] '",
}


class PostgresUnavailable(RuntimeError):
    """The binaries are missing or the server would not start."""


def _has_tools(bindir: Path) -> bool:
    return (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()


def find_bindir() -> Path:
    """The newest installed PostgreSQL binaries (15 or newer)."""
    override = os.environ.get(BINDIR_ENV)
    if override:
        if _has_tools(Path(override)):
            return Path(override)
        raise PostgresUnavailable(f"{BINDIR_ENV}={override} has no initdb and pg_ctl")
    versions = sorted(
        (int(p.name), p / "bin") for p in Path("/usr/lib/postgresql").glob("*") if p.name.isdigit()
    )
    for version, bindir in reversed(versions):
        if version >= MIN_VERSION and _has_tools(bindir):
            return bindir
    found = ", ".join(str(v) for v, _ in versions) or "none"
    raise PostgresUnavailable(
        f"no PostgreSQL {MIN_VERSION}+ binaries (initdb, pg_ctl) under /usr/lib/postgresql "
        f"(versions found: {found}). Run `make system-deps` (scripts/install-system-deps.sh "
        f"installs Debian's postgresql) or point {BINDIR_ENV} at the bin folder."
    )


def server_os_user() -> str | None:
    """The user to run the server as: `postgres` under root (created if missing), else None."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", "/usr/sbin/nologin", OS_USER],
            check=True, capture_output=True,
        )  # fmt: skip
    return OS_USER


@dataclass
class PostgresServer:
    """A running throwaway server; `stop` removes everything it wrote."""

    bindir: Path
    root: Path  # holds data/, the socket and server.log
    os_user: str | None
    started_in_s: float = 0.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.root} port={SOCKET_PORT} user=postgres dbname={dbname}"

    @classmethod
    def start_new(cls, settings: dict[str, str] | None = None) -> PostgresServer:
        """initdb a fresh cluster, configure it (SETTINGS, then `settings`) and start it."""
        began = time.perf_counter()
        server = cls._empty()
        try:
            server._run(
                "initdb", "-D", str(server.data), "--auth=trust", "--username=postgres",
                "--encoding=UTF8", "--locale=C", "--no-instructions",
                # initdb's own final fsync of the template files only; the server keeps fsync on.
                "--no-sync",
            )  # fmt: skip
            server._configure({**SETTINGS, **(settings or {})})
            server.start()
        except BaseException:
            server.stop()
            raise
        server.started_in_s = time.perf_counter() - began
        return server

    @classmethod
    def _empty(cls) -> PostgresServer:
        bindir = find_bindir()
        os_user = server_os_user()
        # Not pytest's tmp_path: that is private to root, and the server user must reach it.
        # Short, too: a Unix socket path must fit in 107 bytes.
        root = Path(tempfile.mkdtemp(prefix="showclear-pg-", dir="/tmp"))
        server = cls(bindir, root, os_user)
        if os_user is not None:
            shutil.chown(root, user=os_user, group=os_user)
        return server

    def _configure(self, settings: dict[str, str]) -> None:
        # Later lines win: a standby's copied postgresql.conf gets its own socket folder here.
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# showclear test server\n")
            conf.write(f"unix_socket_directories = '{self.root}'\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def crash(self) -> None:
        """Stop at once, as a power cut would: no shutdown checkpoint, clients cut off."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def promote(self) -> None:
        """Make this standby a primary (returns once it accepts writes)."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")

    def standby(self, name: str) -> PostgresServer:
        """Start a streaming-replication standby of this server, called `name`.

        ``pg_basebackup -R`` copies the cluster through a replication slot of that name (so the
        primary keeps every WAL record the standby has not received yet) and writes
        standby.signal and primary_conninfo; the standby reports `name` as its
        application_name, which is what synchronous_standby_names lists.
        """
        self.sql(f"SELECT pg_create_physical_replication_slot('{name}')")
        standby = type(self)._empty()
        try:
            standby._run(
                "pg_basebackup", "-D", str(standby.data), "-h", str(self.root),
                "-p", str(SOCKET_PORT), "-U", "postgres", "-X", "stream", "-S", name, "-R",
                "-c", "fast", "-d", f"application_name={name}",
            )  # fmt: skip
            standby._configure({})
            standby.start()
        except BaseException:
            standby.stop()
            raise
        return standby

    def sql(self, statement: str, dbname: str = "postgres") -> list[tuple[object, ...]]:
        """Run one statement as the admin user; its rows (none for a command)."""
        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            cur = conn.execute(statement.encode())
            return cur.fetchall() if cur.description is not None else []

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        try:
            done = subprocess.run(
                command,
                cwd=self.root,
                user=self.os_user,
                group=self.os_user,
                extra_groups=[] if self.os_user else None,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError) as e:
            raise PostgresUnavailable(f"{tool} could not run: {e}") from e
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{tool} failed (exit {done.returncode}) as user {self.os_user or 'current'}:\n"
                f"{done.stdout}{done.stderr}{self.log_tail()}"
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n--- server log ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (if running) and remove its folder; `mode` as ``pg_ctl stop -m``."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        return create_database(self.conninfo(), name)

    def drop_database(self, name: str) -> None:
        drop_database(self.conninfo(), name)


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


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")


def create_database(admin: str, name: str) -> str:
    """Create database `name` unless it exists; return its connection string."""
    _check_name(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            # Another process may make it first (either error, by timing): the same thing.
            with suppress(pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
                conn.execute(f'CREATE DATABASE "{name}"'.encode())
    return make_conninfo(admin, dbname=name)


def drop_database(admin: str, name: str) -> None:
    _check_name(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


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


def store_url(conninfo: str) -> str:
    """A libpq connection string of the session's server as the `postgresql://` URL the
    composition root and the command line (`serve --store`) take."""
    parts = conninfo_to_dict(conninfo)
    query = urlencode({"host": parts["host"], "port": parts["port"]})
    return f"postgresql://{parts['user']}@/{parts['dbname']}?{query}"
