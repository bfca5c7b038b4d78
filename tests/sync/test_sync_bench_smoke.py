"""The studio's sync benchmarks run end to end at smoke size on a real PostgreSQL database and
print every figure they promise (the coordinator measures at full size on a quiet machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pg import BINDIR_ENV
from showclear.bench.studio_sync import STORE_ENV
from sync.support import cli, store_url


def test_studio_ingest_and_sync_latency_smoke(postgres_database: str) -> None:
    url = store_url(postgres_database)
    result = cli(
        "bench", "studio-ingest", "--store", url, "--events", "300", "--push", "100",
        "--rounds", "2", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ingest = json.loads(result.stdout)
    assert ingest["studio_events_per_s"] > 0 and ingest["copy_events_per_s"] > 0
    assert ingest["ratio_vs_copy"] > 0 and ingest["postgresql"]["fsync"] == "on"
    result = cli("bench", "sync-latency", "--store", url, "--events", "20", "--json")
    assert result.exit_code == 0, result.output
    latency = json.loads(result.stdout)
    assert 0 < latency["p50_ms"] <= latency["p99_ms"]
    assert latency["http_round_trip_p99_ms"] > 0


def test_studio_ingest_without_a_store_runs_on_a_throwaway_server_and_removes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's interface: `showclear bench studio-ingest --json`, no database given."""
    monkeypatch.delenv(STORE_ENV, raising=False)
    result = cli(
        "bench", "studio-ingest", "--events", "200", "--push", "50", "--rounds", "1", "--json"
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ingest = json.loads(result.stdout)
    assert set(ingest) >= {
        "events", "push_events", "rounds", "studio_events_per_s", "copy_events_per_s",
        "ratio_vs_copy", "target_ratio", "postgresql", "spread",
    }  # fmt: skip
    assert (ingest["events"], ingest["push_events"], ingest["rounds"]) == (200, 50, 1)
    assert ingest["studio_events_per_s"] > 0 and ingest["copy_events_per_s"] > 0
    settings = ingest["postgresql"]
    assert settings["fsync"] == "on" and settings["synchronous_commit"] == "on"
    assert settings["server_version"] and settings["shared_buffers"]
    assert settings["server"].startswith("throwaway")
    folder = Path(settings["folder"])
    assert folder.name.startswith("showclear-pg-")
    assert not folder.exists()  # stopped and removed
    assert not _processes_naming(str(folder))


def _processes_naming(text: str) -> list[int]:
    """Processes whose command line mentions `text` (a server's data folder)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue  # gone meanwhile
    return found


def test_the_studio_benches_say_which_package_is_missing(tmp_path: Path) -> None:
    """No database and no PostgreSQL binaries: a clear message, exit status 2, no traceback."""
    env = {k: v for k, v in os.environ.items() if k != STORE_ENV}
    env[BINDIR_ENV] = str(tmp_path / "no-such-bin")
    for bench in ("studio-ingest", "sync-latency", "studio-board"):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "showclear"), "bench", bench, "--json"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stdout == ""
        assert "Traceback" not in done.stderr
        message = " ".join(done.stderr.split())
        assert "no throwaway PostgreSQL server could be started" in message
        assert "apt-get install postgresql" in message and "--store" in message
