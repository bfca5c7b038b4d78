"""Smoke tests of `showclear bench verify` and `bench proof` with a tiny N: they run, report every
figure with its spread, and clean up. No timing assertions (see bench/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.bench.cli import bench_app
from showclear.bench.proof import RESULT_KEYS as PROOF_KEYS
from showclear.bench.verify import RESULT_KEYS


def test_bench_verify_reports_every_figure(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        bench_app,
        ["verify", "--events", "300", "--rounds", "2", "--commits", "5", "--json", "--no-cache",
         "--dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for key in RESULT_KEYS:
        assert figures[key] is not None, key
    assert figures["events"] >= 300
    # At a set's pace every command has its checkpoint; in a burst they are grouped.
    assert figures["checkpoints_set"] > figures["checkpoints_burst"]
    assert len(figures["per_round"]) == 2
    spread = figures["spread"]["verify_set_s"]
    assert spread["min"] <= spread["median"] <= spread["max"]
    assert list(tmp_path.iterdir()) == []  # the bench cleans up after itself


def test_bench_proof_reports_every_figure(tmp_path: Path) -> None:
    args = ["proof", "--events", "600", "--rounds", "1", "--json", "--dir", str(tmp_path)]
    result = CliRunner().invoke(bench_app, [*args, "--no-pymerkle"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for key in PROOF_KEYS:
        assert figures[key] is not None, key
    assert figures["events"] >= 600 and figures["pymerkle_inclusion_p50_ms"] is None
    # The store is kept for the next run, with its tiles stored beside the events.
    (cached,) = (tmp_path / "showclear-bench").glob("verify-set-*.db")
    store = SQLiteEventStore(cached)
    try:
        assert store.tile_counts("bench") == {1: store.head("bench") >> 8}
    finally:
        store.close()
    again = CliRunner().invoke(bench_app, [*args, "--no-pymerkle"])
    assert again.exit_code == 0 and json.loads(again.output)["store_cached"] is True
