"""The studio's sync benchmarks run end to end at smoke size on a real PostgreSQL database and
print every figure they promise (the coordinator measures at full size on a quiet machine)."""

from __future__ import annotations

import json

import pytest

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


def test_the_studio_benches_need_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOWCLEAR_BENCH_STORE", raising=False)
    result = cli("bench", "studio-ingest", "--json")
    assert result.exit_code != 0 and "--store postgresql://" in str(result.exception)
