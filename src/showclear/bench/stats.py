"""Small statistics shared by the benchmarks: nearest-rank percentiles and spreads."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["add_spread_rows", "percentile", "spread"]


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


def add_spread_rows(table: Any, result: dict[str, Any], rows: Sequence[tuple[str, str]]) -> None:
    """Add a row "median (min..max)" to a Rich table for each (key, label) of a bench result."""
    for key, label in rows:
        s = result["spread"][key]
        table.add_row(label, f"{s['median']:.3f} ({s['min']:.3f}..{s['max']:.3f})")


def rotating_rounds(
    steps: Sequence[tuple[str, Callable[[], float]]],
    rounds: int,
    say: Callable[[str], None],
    target: tuple[str, float],
) -> dict[str, Any]:
    """Run every step once a round, starting one step later each round (so no figure always
    runs first or last). The result: each step's median; `spread` and `per_round`; and
    whether the median, and every round, of the `target` step (name, seconds) was under it."""
    per_round: list[dict[str, float]] = []
    for r in range(rounds):
        shift = r % len(steps)
        row = {name: measure() for name, measure in [*steps[shift:], *steps[:shift]]}
        per_round.append(row)
        say(f"round {r + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    figures = {key: [row[key] for row in per_round] for key in per_round[0]}
    result: dict[str, Any] = {key: statistics.median(v) for key, v in figures.items()}
    key, seconds = target
    result.update(
        target_s=seconds,
        target_met=result[key] < seconds,
        target_met_every_round=max(figures[key]) < seconds,
        rounds=rounds,
        spread={k: spread(values) for k, values in figures.items()},
        per_round=per_round,
    )
    return result
