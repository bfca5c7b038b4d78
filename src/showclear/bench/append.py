"""`showclear bench append`: decide + durable append, against baselines run alongside it.

Each round runs three measurements back to back, each on a fresh SQLite file in a temporary
directory, each with WAL and ``synchronous=FULL`` (every commit is fsynced):

- ShowClear: `Service.execute` on a `SQLiteEventStore` for the handover mix of
  `showclear.bench.workload` (one command = one durable transaction). The production is set up
  first, untimed; commands are parsed before the clock starts. Per-command latency is the time
  of `execute` (validate, watchdogs, every rule, effects, canonical bytes, leaf hash, the
  transaction and its fsync, evolve).
- raw SQLite: single-row INSERT + COMMIT transactions (`baselines.raw_sqlite_commits_per_s`).
- eventsourcing: the `eventsourcing` library on SQLite, one event per save
  (`baselines.eventsourcing_per_s`).

The order of the three rotates from round to round, and the reported figures are medians over
the rounds; the ratios are medians of the per-round ratios, so that each ratio compares runs
made within seconds of each other on the same (shared, noisy) machine.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from showclear.bench.baselines import eventsourcing_per_s, raw_sqlite_commits_per_s
from showclear.bench.stats import percentile
from showclear.bench.workload import PRODUCTION, workload_commands
from showclear.bootstrap import open_node
from showclear.domain import Command, parse_command

RESULT_KEYS = (
    "events_per_s",
    "p50_ms",
    "p99_ms",
    "sqlite_commits_per_s",
    "eventsourcing_per_s",
    "ratio_vs_sqlite",
    "ratio_vs_eventsourcing",
)
LEDGER_FIGURES = ("events_per_s", "p50_ms", "p99_ms")
LEDGER_KEYS = (
    *(f"ledger_{k}" for k in LEDGER_FIGURES),
    "ledger_ratio_vs_sqlite",
    "ledger_ratio_vs_eventsourcing",
)


def showclear_append(path: Path, n: int, *, ledger: bool = False) -> dict[str, Any]:
    """Execute `n` handover-mix commands durably; events/s, latency percentiles, refusals.

    With `ledger`, the service is wired as a set node runs it (`bootstrap.open_node`): after
    every commit the node's checkpointer signs the production's Merkle tree, and the clock stops
    only once the last commit is signed.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if path.exists():
        raise FileExistsError(f"{path} already exists; the benchmark needs a fresh path")
    setup, stream = workload_commands(n)
    commands: list[Command] = [parse_command(raw) for raw in stream]
    node = open_node(path, ledger=ledger, signin=False)
    service = node.service  # timed as before: the service, without answers or a writer
    store = node.backend
    assert store is not None
    try:
        refusals = 0
        for raw in setup:
            if service.execute(PRODUCTION, parse_command(raw)).verdict != "accepted":
                refusals += 1
        latencies: list[float] = []
        events = 0
        clock = time.perf_counter
        execute = service.execute
        start = clock()
        for cmd in commands:
            t0 = clock()
            outcome = execute(PRODUCTION, cmd)
            latencies.append(clock() - t0)
            events += len(outcome.events)
            if outcome.verdict != "accepted":
                refusals += 1
        if node.ledger is not None:
            node.ledger.flush()  # the clock stops once the last commit is signed too
        elapsed = clock() - start
        if store.head(PRODUCTION) != len(setup) + events:
            raise RuntimeError("the store does not hold every event the service reported")
    finally:
        node.close()
    return {
        "events": events,
        "commands": n,
        "refusals": refusals,
        "events_per_s": events / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


def run_append(
    events: int = 2000,
    rounds: int = 3,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    ledger: bool = True,
) -> dict[str, Any]:
    """Interleaved rounds of ShowClear and both baselines; medians, with per-round figures.

    The named figures are the service on the store alone; with `ledger`, each round also
    measures the service as a set node wires it (a signed checkpoint per append), reported
    under ``ledger_*`` keys.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    per_round: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="showclear-bench-", dir=directory) as tmp:
        base = Path(tmp)
        for r in range(rounds):
            steps: list[tuple[str, Callable[[], Any]]] = [
                ("showclear", partial(showclear_append, base / f"showclear-{r}.db", events)),
                ("sqlite", partial(raw_sqlite_commits_per_s, base / f"raw-{r}.db", events)),
                ("eventsourcing", partial(eventsourcing_per_s, base / f"es-{r}.db", events)),
            ]
            if ledger:
                path = base / f"ledger-{r}.db"
                signed = partial(showclear_append, path, events, ledger=True)
                steps.append(("showclear+ledger", signed))
            shift = r % len(steps)
            results: dict[str, Any] = {}
            for name, measure in steps[shift:] + steps[:shift]:
                if progress is not None:
                    progress(f"round {r + 1}/{rounds}: {name}")
                results[name] = measure()
            sc = results["showclear"]
            row = {
                **sc,
                "sqlite_commits_per_s": results["sqlite"],
                "eventsourcing_per_s": results["eventsourcing"],
                "ratio_vs_sqlite": sc["events_per_s"] / results["sqlite"],
                "ratio_vs_eventsourcing": sc["events_per_s"] / results["eventsourcing"],
            }
            if ledger:
                lg = results["showclear+ledger"]
                row.update({f"ledger_{k}": v for k, v in lg.items() if k in LEDGER_FIGURES})
                row["ledger_ratio_vs_sqlite"] = lg["events_per_s"] / results["sqlite"]
                row["ledger_ratio_vs_eventsourcing"] = lg["events_per_s"] / results["eventsourcing"]
                row["refusals"] += lg["refusals"]
            per_round.append(row)

    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in per_round)

    keys = RESULT_KEYS + (LEDGER_KEYS if ledger else ())
    result: dict[str, Any] = {key: median(key) for key in keys}
    result.update(
        events=events,
        rounds=rounds,
        refusals=sum(r["refusals"] for r in per_round),
        per_round=per_round,
    )
    return result


__all__ = ["LEDGER_KEYS", "RESULT_KEYS", "percentile", "run_append", "showclear_append"]
