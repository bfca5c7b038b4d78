"""A throwaway PostgreSQL server started from the installed binaries: for the tests, the
studio benchmarks run without a database of their own, and `make studio`.

`PostgresServer.start_new()` runs initdb in a fresh temporary folder under /tmp, then ``pg_ctl
start`` with fsync and synchronous_commit on (the durability the store promises is the
durability a test or a benchmark gets). The server listens only on a Unix socket inside that
folder, so parallel servers never collide on a port and nothing listens on the network.
PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` system
user, created if missing, which owns the folder; clients connect over the socket as the
``postgres`` database user. `stop()` stops the server and removes the folder.

When the binaries are missing or the server will not start, PostgresUnavailable says what is
missing (Debian's ``postgresql`` package; `make system-deps` installs it) and shows the server
log.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

__all__ = [
    "BINDIR_ENV",
    "SETTINGS",
    "PostgresServer",
    "PostgresUnavailable",
    "create_database",
    "drop_database",
    "find_bindir",
    "server_os_user",
    "store_url",
]

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
        raise PostgresUnavailable(
            f"{BINDIR_ENV}={override} has no initdb and pg_ctl; point it at the bin folder of "
            "PostgreSQL 15 or newer (Debian's postgresql package: `apt-get install postgresql`)"
        )
    versions = sorted(
        (int(p.name), p / "bin") for p in Path("/usr/lib/postgresql").glob("*") if p.name.isdigit()
    )
    for version, bindir in reversed(versions):
        if version >= MIN_VERSION and _has_tools(bindir):
            return bindir
    found = ", ".join(str(v) for v, _ in versions) or "none"
    raise PostgresUnavailable(
        f"no PostgreSQL {MIN_VERSION}+ binaries (initdb, pg_ctl) under /usr/lib/postgresql "
        f"(versions found: {found}). Install Debian's postgresql package (`apt-get install "
        f"postgresql`, or `make system-deps`, which runs scripts/install-system-deps.sh) or "
        f"point {BINDIR_ENV} at the bin folder."
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
            conf.write("\n# showclear throwaway server\n")
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


def store_url(conninfo: str) -> str:
    """A libpq connection string of a server here as the `postgresql://` URL the composition
    root and the command line (`serve --store`) take."""
    parts = conninfo_to_dict(conninfo)
    query = urlencode({"host": parts["host"], "port": parts["port"]})
    return f"postgresql://{parts['user']}@/{parts['dbname']}?{query}"
