"""Small statistics shared by the benchmarks: nearest-rank percentiles and spreads."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["percentile", "spread"]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by the nearest-rank method: the smallest value with at
    least q % of the values at or below it (the p99 of 50 values is the 50th, not the 49th)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of a figure over the rounds."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
