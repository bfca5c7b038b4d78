"""The benchmark baselines run and report a rate (speed itself is not asserted)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from showclear.bench.baselines import eventsourcing_per_s, raw_sqlite_commits_per_s


@pytest.mark.parametrize("baseline", [raw_sqlite_commits_per_s, eventsourcing_per_s])
def test_baseline_reports_a_positive_finite_rate(
    baseline: Callable[[Path, int], float], tmp_path: Path
) -> None:
    rate = baseline(tmp_path / "baseline.db", 50)
    assert isinstance(rate, float)
    assert rate > 0 and math.isfinite(rate)
    assert (tmp_path / "baseline.db").exists()


@pytest.mark.parametrize("baseline", [raw_sqlite_commits_per_s, eventsourcing_per_s])
def test_baseline_refuses_an_existing_file(
    baseline: Callable[[Path, int], float], tmp_path: Path
) -> None:
    (tmp_path / "store.db").write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        baseline(tmp_path / "store.db", 50)
    assert (tmp_path / "store.db").read_bytes() == b"precious"
