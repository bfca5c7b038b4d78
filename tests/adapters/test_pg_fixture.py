"""The test PostgreSQL server: tests that need it fail, never skip, when it cannot start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from pg import BINDIR_ENV, PostgresServer

TESTS = Path(__file__).resolve().parents[1]


def test_server_is_durable_and_private(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'full_page_writes', 'listen_addresses')"
            ).fetchall()
        )
        version = conn.execute("SHOW server_version_num").fetchone()
    assert settings == {
        "fsync": "on",
        "synchronous_commit": "on",
        "full_page_writes": "on",
        "listen_addresses": "",  # Unix socket only
    }
    assert version is not None and int(version[0]) >= 150000
    if os.geteuid() == 0:
        assert postgres_server.os_user == "postgres"  # PostgreSQL refuses to run as root


def test_missing_binaries_fail_the_tests_with_a_clear_message(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from pg import postgres_server\n\n"
        "def test_needs_postgres(postgres_server):\n"
        "    assert False, 'must not run'\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        cwd=tmp_path,
        env={**os.environ, BINDIR_ENV: str(tmp_path / "no-such-bin"), "PYTHONPATH": str(TESTS)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout and "skipped" not in done.stdout, done.stdout
    assert "cannot start the test PostgreSQL server" in done.stdout
    assert f"{BINDIR_ENV}={tmp_path / 'no-such-bin'} has no initdb and pg_ctl" in done.stdout
