"""Smoke test of `showclear bench verify` with a tiny N: it runs and reports every figure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from showclear.bench.cli import bench_app
from showclear.bench.verify import RESULT_KEYS


def test_bench_verify_reports_every_figure(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        bench_app,
        ["verify", "--events", "300", "--rounds", "1", "--commits", "5", "--json",
         "--dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for key in RESULT_KEYS:
        assert key in figures
    assert figures["events"] == 300
    assert list(tmp_path.iterdir()) == []  # the bench cleans up after itself
