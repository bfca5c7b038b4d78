"""`showclear bench studio-board`: the studio dashboard over many big productions.

The studio's database (`--store postgresql://...`) is filled with P productions of N events
each (default 50 x 100,000: 5 million): the handover mix of `showclear.bench.workload`, decided
by the pure domain once and stored under each production's name (canonical bytes, leaf hashes
and sequences as a live production stores them), with a checkpoint of each production's tree.
A database already holding that fill (recorded in the store's meta) is reused.

Measured, each against a baseline in the same run, interleaved:

- the dashboard query (`views.studio.dashboard`: every production's head, caught up, each
  production's summary, the set nodes' sync status, refused pushes), once every production's
  state is loaded: SAMPLES timings, p50 and p99. Baseline: the bare heads query (the one
  round trip the dashboard cannot do without) through psycopg.
- the rebuild of one production's state after a studio restart: a fresh read model, one
  production folded from its N events (`StudioBoard.rebuild`). Baseline: the same rows read
  in one query through psycopg and parsed with the same parser (orjson), nothing else.

Targets (issue 13): dashboard p99 < 50 ms, rebuild < 2 s. The server's settings are recorded
in the output (`postgres_settings`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from showclear.bench.pg_baselines import RawConnection, server_settings
from showclear.bench.stats import percentile, spread
from showclear.bench.workload import WORKLOAD_VERSION, HandoverWorkload, decide_all
from showclear.bootstrap import open_store, open_studio_board, parse_store_url
from showclear.ledger.merkle import CompactTree
from showclear.ports import NewEvent
from showclear.views.studio import dashboard

__all__ = ["DASHBOARD_P99_MS", "REBUILD_MAX_S", "run_studio_board", "workload_events"]

DASHBOARD_P99_MS = 50.0
REBUILD_MAX_S = 2.0
BATCH = 20_000
FILL_META = "bench_studio_board"

Progress = Callable[[str], None]


def workload_events(n: int) -> list[NewEvent]:
    """The first `n` events of the handover mix, decided by the domain (no refusals)."""
    out: list[NewEvent] = []
    commands = HandoverWorkload().commands()
    for new in decide_all(commands, lambda _, message: f"the workload was refused: {message}"):
        out.extend(new)
        if len(out) >= n:
            return out[:n]
    return out


def production_name(i: int) -> str:
    return f"bench-{i:03d}"


def fill(store_url: str, productions: int, events: int, progress: Progress) -> tuple[bool, float]:
    """The database holding the fill; (reused, seconds spent filling)."""
    began = time.perf_counter()
    wanted = f"w{WORKLOAD_VERSION}:{productions}x{events}"
    store = open_store(store_url)
    try:
        if store.get_meta(FILL_META) == wanted:
            return True, 0.0
        names = [production_name(i) for i in range(productions)]
        if any(store.head(p) for p in names):
            raise RuntimeError(
                "the database already holds bench productions of another size; give an empty "
                "database (the store's events are append-only)"
            )
        progress(f"deciding {events:,} workload events")
        batch = workload_events(events)
        for i, production in enumerate(names):
            tree = CompactTree()
            for start in range(0, len(batch), BATCH):
                stored = store.append(production, start, batch[start : start + BATCH])
                tree.extend(e.leaf_hash for e in stored)
            note = f"bench.node/{i:03d}/{production}\n{tree.size}\n(unsigned: benchmark fill)\n"
            store.add_checkpoint(production, tree.size, tree.root(), note)
            progress(f"filled {i + 1} of {productions} productions")
        store.set_meta(FILL_META, wanted)
    finally:
        store.close()
    return False, time.perf_counter() - began


def run_studio_board(
    store_url: str,
    productions: int = 50,
    events: int = 100_000,
    samples: int = 200,
    rounds: int = 5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    if min(productions, events, samples, rounds) < 1:
        raise ValueError("productions, events, samples and rounds must be at least 1")
    say = progress or (lambda _: None)
    url = parse_store_url(store_url)
    if url.conninfo is None:
        raise ValueError("--store takes the studio's PostgreSQL URL (postgresql://...)")
    reused, fill_s = fill(store_url, productions, events, say)
    raw = RawConnection(url.conninfo)
    try:
        say("loading every production's state (a studio that has been up a while)")
        board = open_studio_board(store_url)
        try:
            board.load_inline = events + 1
            load_began = time.perf_counter()
            first = dashboard(board)
            load_s = time.perf_counter() - load_began
            if len(first["productions"]) < productions:
                raise RuntimeError(f"the dashboard shows {len(first['productions'])} productions")
            say(f"timing the dashboard ({samples} samples, interleaved with the raw heads query)")
            board_ms: list[float] = []
            raw_ms: list[float] = []
            for i in range(samples):
                if i % 2:
                    raw_ms.append(raw.heads_s()[0] * 1000)
                began = time.perf_counter()
                dashboard(board)
                board_ms.append((time.perf_counter() - began) * 1000)
                if not i % 2:
                    raw_ms.append(raw.heads_s()[0] * 1000)
        finally:
            board.close()
        say(f"timing the rebuild of one production after a restart ({rounds} rounds)")
        per_round = []
        target = production_name(productions - 1)
        for r in range(rounds):
            order = (_rebuild, _raw_read) if r % 2 else (_raw_read, _rebuild)
            got = {f.__name__: f(store_url, raw, target) for f in order}
            (rebuild_s, folded), (raw_s, count) = got["_rebuild"], got["_raw_read"]
            if folded != count:
                raise RuntimeError(f"rebuilt {folded} events, the store holds {count}")
            per_round.append({"rebuild_s": rebuild_s, "raw_read_s": raw_s,
                              "ratio_vs_raw": raw_s / rebuild_s})  # fmt: skip
        settings = server_settings(url.conninfo)
    finally:
        raw.close()
    p99, raw_p99 = percentile(board_ms, 99), percentile(raw_ms, 99)
    rebuild_s = statistics.median(r["rebuild_s"] for r in per_round)
    return {
        "productions": productions,
        "events_per_production": events,
        "events": productions * events,
        "dashboard_p50_ms": percentile(board_ms, 50),
        "dashboard_p99_ms": p99,
        "baseline_heads_p50_ms": percentile(raw_ms, 50),
        "baseline_heads_p99_ms": raw_p99,
        "dashboard_p99_vs_baseline": p99 / raw_p99,
        "dashboard_p99_target_ms": DASHBOARD_P99_MS,
        "dashboard_p99_met": p99 < DASHBOARD_P99_MS,
        "rebuild_s": rebuild_s,
        "baseline_raw_read_s": statistics.median(r["raw_read_s"] for r in per_round),
        "rebuild_vs_raw_read": statistics.median(r["ratio_vs_raw"] for r in per_round),
        "rebuild_target_s": REBUILD_MAX_S,
        "rebuild_met": rebuild_s < REBUILD_MAX_S,
        "spread": {
            "rebuild_s": spread([r["rebuild_s"] for r in per_round]),
            "dashboard_ms": spread(board_ms),
            "baseline_heads_ms": spread(raw_ms),
        },
        "first_load_s": load_s,
        "samples": samples,
        "rounds": rounds,
        "fill_reused": reused,
        "fill_s": fill_s,
        "baselines": {
            "dashboard": "the bare heads query (skip scan over events) through psycopg",
            "rebuild": "the production's payloads in one psycopg query, each parsed (orjson)",
        },
        "postgres_settings": settings,
        "per_round": per_round,
    }


def _rebuild(store_url: str, raw: RawConnection, production: str) -> tuple[float, int]:
    """A fresh read model (a restarted studio) folds one production: seconds, events."""
    board = open_studio_board(store_url)
    try:
        began = time.perf_counter()
        state = board.rebuild(production)
        return time.perf_counter() - began, state.version
    finally:
        board.close()


def _raw_read(store_url: str, raw: RawConnection, production: str) -> tuple[float, int]:
    return raw.payloads_s(production)
