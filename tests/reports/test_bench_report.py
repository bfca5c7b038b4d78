"""Smoke test of `showclear bench report` with a small day (no timing assertions): the CLI,
the web app and the in-process figures are all measured, each with its spread."""

from __future__ import annotations

import json
from pathlib import Path

from reports.conftest import showclear


def test_bench_report_smoke(tmp_path: Path) -> None:
    r = showclear("bench", "report", "--events", "40", "--rounds", "1", "--json",
                  "--dir", tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["day_events"] >= 40 and result["rows"] >= 40 and result["pages"] >= 1
    for key in ("report_cli_s", "csv_cli_s", "report_web_s", "csv_web_s", "report_inprocess_s",
                "read_s"):  # fmt: skip
        assert result[key] > 0, key
        assert result["spread"][key]["min"] <= result[key] <= result["spread"][key]["max"]
    assert Path(result["pdf"]).read_bytes().startswith(b"%PDF")
