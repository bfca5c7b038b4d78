"""`showclear bench rebuild`: fold a long stored history back into the projection.

The store holds N events of the handover mix (`showclear.bench.workload`): the commands run
through the pure domain in memory (`handle`, then `evolve`), and the events they cause are
appended to a `SQLiteEventStore` in large batches, so they are exactly the events a live
production would have stored (canonical bytes, leaf hashes, sequences). Building a million
takes about a minute; the file is kept under the system temporary directory, keyed by N and
the workload version, and reused by later runs (``use_cache=False`` builds a fresh one).

Each round times, on the same file:

- rebuild: `Service(store).state(production)` on a new service: read every payload
  (`read_payloads`), parse it, `evolve` it into the state;
- reads (the baseline): the same `read_payloads` query and the same parser the rebuild uses
  (`ledger.canonical.decode_payload`: orjson) on each payload, and nothing else; the ratio
  rebuild/reads is what the domain adds on top of reading the log.

Rounds alternate which goes first; figures are medians with their min and max.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from showclear.app.service import Service
from showclear.bench.stats import spread
from showclear.bench.workload import PRODUCTION, WORKLOAD_VERSION, HandoverWorkload
from showclear.bootstrap import open_store
from showclear.domain import State, evolve, handle, parse_command
from showclear.ledger.canonical import decode_payload
from showclear.ports import NewEvent

BATCH = 20_000  # events per append transaction while building the store

RESULT_KEYS = ("events", "rebuild_events_per_s", "reads_per_s", "ratio_vs_reads")


def cache_path(n: int, directory: Path | None = None) -> Path:
    base = directory if directory is not None else Path(tempfile.gettempdir())
    return base / "showclear-bench" / f"rebuild-w{WORKLOAD_VERSION}-{n}.db"


def build_store(
    path: Path, n: int, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int, State]:
    """Write about `n` workload events to a new store at `path`.

    Returns (events stored, refusals, the state the domain reached), cutting at the first
    command boundary at or after `n` events (one event per command in this workload).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    w = HandoverWorkload()
    state = State()
    refusals = 0
    batch: list[NewEvent] = []
    stored = 0
    store = open_store(path)
    try:

        def flush() -> None:
            nonlocal stored, batch
            if batch:
                store.append(PRODUCTION, stored, batch)
                stored += len(batch)
                batch = []
                if progress is not None:
                    progress(stored, n)

        for raw in w.commands():
            outcome = handle(state, parse_command(raw))
            if outcome.verdict != "accepted":
                refusals += 1
            for e in outcome.events:
                state = evolve(state, e)
                batch.append(NewEvent(e.type, e.actor, e.at, e.data))
            if stored + len(batch) >= n:
                break
            if len(batch) >= BATCH:
                flush()
        flush()
    except BaseException:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    store.close()
    return stored, refusals, state


def prepared_store(
    n: int,
    *,
    use_cache: bool = True,
    directory: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, bool]:
    """A store file holding the workload's first `n` events; (path, whether it was cached)."""
    path = cache_path(n, directory)
    if use_cache and path.exists():
        return path, True
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    _, refusals, _ = build_store(tmp, n, progress)
    if refusals:
        raise RuntimeError(f"the workload was refused {refusals} times while building the store")
    # The store was closed cleanly, so its WAL is checkpointed into the main file.
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, path)
    return path, False


def time_rebuild(path: Path) -> tuple[float, State]:
    """Seconds for a fresh service to rebuild the production's state from the store."""
    store = open_store(path)
    try:
        start = time.perf_counter()
        state = Service(store).state(PRODUCTION)
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    return elapsed, state


def time_reads(path: Path) -> tuple[float, int]:
    """Seconds to read every payload of the production and parse it (the baseline), with the
    parser the rebuild itself uses."""
    store = open_store(path)
    try:
        loads = decode_payload
        count = 0
        start = time.perf_counter()
        for _, payload in store.read_payloads(PRODUCTION, 0):
            loads(payload)
            count += 1
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    return elapsed, count


def run_rebuild(
    events: int = 1_000_000,
    rounds: int = 3,
    *,
    use_cache: bool = True,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Rebuild and read rounds over one prepared store; medians, with per-round figures."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")

    def building(done: int, total: int) -> None:
        if progress is not None:
            progress(f"building the store: {done:,} of {total:,} events")

    with tempfile.TemporaryDirectory(prefix="showclear-bench-", dir=directory) as tmp:
        # Without the cache, the store lives in a temporary directory and goes with it.
        where = directory if use_cache else Path(tmp)
        build_start = time.perf_counter()
        path, cached = prepared_store(
            events, use_cache=use_cache, directory=where, progress=building
        )
        build_s = time.perf_counter() - build_start
        per_round = _rounds(path, rounds, progress)

    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in per_round)

    return {
        "events": per_round[0]["events"],
        "rebuild_events_per_s": median("rebuild_events_per_s"),
        "reads_per_s": median("reads_per_s"),
        "ratio_vs_reads": median("ratio_vs_reads"),
        "rebuild_s": median("rebuild_s"),
        "baseline": "read_payloads + decode_payload (orjson), as the rebuild parses",
        "spread": {
            key: spread([float(r[key]) for r in per_round])
            for key in ("rebuild_events_per_s", "reads_per_s", "ratio_vs_reads")
        },
        "rounds": rounds,
        "store_cached": cached,
        "store_build_s": build_s,
        "store_path": str(path) if use_cache else None,
        "per_round": per_round,
    }


def _rounds(
    path: Path, rounds: int, progress: Callable[[str], None] | None
) -> list[dict[str, Any]]:
    per_round: list[dict[str, Any]] = []
    for r in range(rounds):
        if progress is not None:
            progress(f"round {r + 1}/{rounds}")
        # Alternate the order so that neither always runs on a warmer page cache.
        if r % 2:
            rebuild_s, state = time_rebuild(path)
            reads_s, count = time_reads(path)
        else:
            reads_s, count = time_reads(path)
            rebuild_s, state = time_rebuild(path)
        if state.version != count or state.refusal_count:
            raise RuntimeError(
                f"rebuilt {state.version} events with {state.refusal_count} refusals; "
                f"the store holds {count}"
            )
        per_round.append(
            {
                "events": count,
                "rebuild_s": rebuild_s,
                "reads_s": reads_s,
                "rebuild_events_per_s": count / rebuild_s,
                "reads_per_s": count / reads_s,
                "ratio_vs_reads": reads_s / rebuild_s,
            }
        )
    return per_round


__all__ = ["RESULT_KEYS", "build_store", "cache_path", "prepared_store", "run_rebuild"]
