"""Smoke test of `showclear bench report` with a small day (no timing assertions)."""

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
    assert result["read_s"] > 0 and result["report_s"] > 0 and result["ratio_vs_read"] > 0
    assert Path(result["pdf"]).read_bytes().startswith(b"%PDF")
