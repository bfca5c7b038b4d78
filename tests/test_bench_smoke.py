"""Smoke tests of the benchmarks with tiny N: they run and report every figure. No timing
assertions: figures are only meaningful as ratios in a real run (see bench/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.service import Service
from showclear.bench.append import LEDGER_KEYS, percentile, run_append
from showclear.bench.append import RESULT_KEYS as APPEND_KEYS
from showclear.bench.cli import bench_app
from showclear.bench.rebuild import RESULT_KEYS as REBUILD_KEYS
from showclear.bench.rebuild import build_store, run_rebuild
from showclear.bench.workload import PRODUCTION, HandoverWorkload, workload_commands
from showclear.domain import State, evolve_all, handle, parse_command


def test_workload_is_accepted_and_deterministic() -> None:
    setup, stream = workload_commands(3000, return_every_days=2)
    assert (setup, stream) == workload_commands(3000, return_every_days=2)
    types = {raw["type"] for raw in stream}
    assert {"issue", "return", "load", "unload", "secure", "retrieve", "verify_rounds"} <= types
    assert "wrap_day" in types  # days roll over inside the stream
    # rules V and F in the mix: vendors, rentals going back, the police notice, barrel checks
    assert {"dispose", "register_firearm", "record_notification", "inspect_firearm"} <= types
    assert "approve_vendor" in {raw["type"] for raw in setup}
    assert {raw.get("call") for raw in stream if raw["type"] == "issue"} == {"cold", "dummies"}
    state = State()
    previous = ""
    for raw in setup + stream:
        assert raw["at"] > previous
        previous = raw["at"]
        outcome = handle(state, parse_command(raw))
        assert outcome.verdict == "accepted", (raw, outcome.message)
        assert not outcome.alerts, (raw, outcome.message)
        assert len(outcome.events) == 1, raw  # the rebuild bench counts on one event a command
        state = evolve_all(state, outcome.events)
    policy = state.policy
    assert policy.require_approved_vendors and policy.daily_check and policy.require_fire_readiness


def test_setup_runs_once() -> None:
    w = HandoverWorkload()
    w.setup()
    try:
        w.setup()
    except RuntimeError:
        pass
    else:
        raise AssertionError("a second setup() must be refused")


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    # For small samples the p99 is the largest value, not the one below it.
    assert percentile([float(v) for v in range(1, 51)], 99) == 50.0
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0


def test_append_reports_every_figure(tmp_path: Path) -> None:
    result = run_append(50, rounds=1, directory=tmp_path)
    for key in APPEND_KEYS + LEDGER_KEYS:
        assert result[key] > 0, key
    assert result["refusals"] == 0
    assert len(result["per_round"]) == 1
    assert list(tmp_path.iterdir()) == []  # the temporary files are gone


def test_rebuild_reports_every_figure(tmp_path: Path) -> None:
    result = run_rebuild(2000, rounds=1, use_cache=False, directory=tmp_path)
    for key in REBUILD_KEYS:
        assert result[key] > 0, key
    assert result["events"] == 2000
    assert list(tmp_path.iterdir()) == []


def test_rebuild_with_cache_reuses_the_store(tmp_path: Path) -> None:
    first = run_rebuild(500, rounds=1, directory=tmp_path)
    second = run_rebuild(500, rounds=1, directory=tmp_path)
    assert not first["store_cached"]
    assert second["store_cached"]
    assert first["store_path"] == second["store_path"]


def test_rebuilt_state_equals_the_state_the_domain_reached(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    stored, refusals, live = build_store(path, 3000)
    assert (stored, refusals) == (3000, 0)
    store = SQLiteEventStore(path)
    try:
        rebuilt = Service(store).state(PRODUCTION)
    finally:
        store.close()
    assert rebuilt == live


def test_cli_json_output(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        bench_app, ["append", "--events", "20", "--rounds", "1", "--json", "--dir", str(tmp_path)]
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert set(APPEND_KEYS) <= set(result)
    args = ["rebuild", "--events", "300", "--rounds", "1", "--json", "--no-cache"]
    out = runner.invoke(bench_app, [*args, "--dir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert set(REBUILD_KEYS) <= set(json.loads(out.stdout))


def test_http_runs_both_sides_interleaved_and_without_errors() -> None:
    from showclear.bench.http import run

    result = run(clients=3, seconds=0.5, rate=None, rounds=2)
    assert len(result["per_round"]) == 2
    for side in ("http", "inprocess"):
        assert result[f"{side}_requests"] > 0
        assert result[f"{side}_errors"] == 0  # every issue and return accepted on both sides
        assert result[f"{side}_p50_ms"] <= result[f"{side}_p99_ms"]
    assert result["requests_per_s"] == result["http_requests_per_s"]
    spread = result["spread"]["ratio_requests_per_s"]
    assert spread["min"] <= result["ratio_requests_per_s"] <= spread["max"]
