"""Smoke test of `showclear bench studio-board` at a tiny size on the session's PostgreSQL:
it fills, reuses its fill, and reports every figure with its baseline and the server's
settings. No timing assertions (figures mean something only in a quiet full-size run)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pg import PostgresServer, database_for, database_name, store_url
from showclear.bench.cli import bench_app
from showclear.bench.studio_board import run_studio_board
from showclear.bootstrap import open_backend


def test_studio_board_smoke(tmp_path: Path, postgres_server: PostgresServer) -> None:
    url = store_url(database_for(tmp_path / "bench"))
    try:
        args = ["studio-board", "--store", url, "--productions", "3", "--events", "400",
                "--samples", "6", "--rounds", "2", "--json"]  # fmt: skip
        done = CliRunner().invoke(bench_app, args)
        assert done.exit_code == 0, done.output
        result = json.loads(done.output)
        assert result["events"] == 1200 and not result["fill_reused"]
        for key in ("dashboard_p99_ms", "baseline_heads_p99_ms", "rebuild_s",
                    "baseline_raw_read_s", "rebuild_vs_raw_read"):  # fmt: skip
            assert result[key] > 0, key
        assert result["postgres_settings"]["fsync"] == "on"
        assert result["postgres_settings"]["server_version"].split(".")[0] >= "15"
        store = open_backend(url)
        try:
            heads = {p: store.head(p) for p in store.productions()}
        finally:
            store.close()
        assert heads == {"bench-000": 400, "bench-001": 400, "bench-002": 400}
        # A second run reuses the fill instead of appending it again.
        again = run_studio_board(url, 3, 400, samples=2, rounds=1)
        assert again["fill_reused"] and again["events"] == 1200
        table = CliRunner().invoke(bench_app, args[:-1])  # the table, for a person
        assert table.exit_code == 0, table.output
        assert "dashboard p99" in table.output and "rebuild one production" in table.output
    finally:
        postgres_server.drop_database(database_name(tmp_path / "bench"))
