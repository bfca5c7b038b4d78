"""`showclear bench verify`: what `showclear verify` makes a person wait for, and what the ledger
costs a commit, each against a baseline doing the same work in the same run.

The stores hold the handover workload (`showclear.bench.workload`) run through the service as
a set node runs it (`bootstrap.open_node`: the real checkpointer), in two ways:

- set pace: each command is followed by the pause a set leaves between commands (the
  checkpointer gets to sign before the next one: `ledger.flush()`), so every command has its
  own signed checkpoint, as on a set where commands come seconds apart;
- burst: the same commands back to back (a drill replay, many tablets at once): the
  checkpointer groups the commits of each 10 ms into one checkpoint.

Both hold the same events byte for byte; only their checkpoints differ. They are built once
per N (a million commands at set pace take 15 to 30 minutes) and kept under
``$TMPDIR/showclear-bench/`` (``--no-cache``: a fresh pair in a temporary directory).

Each round (`--rounds`, at least 5 for figures worth quoting), in an order that rotates:

- verify_set_s, verify_burst_s: `showclear verify --db FILE --json` in a fresh process, wall
  clock from start to exit, as a person runs it (it must report the store intact);
- sha256_2core_s (the baseline): SHA-256(0x00 || payload) of the same stored payloads,
  already in memory, split between two processes: the hashing alone, on the two cores
  verification uses; sha256_1core_s: the same in one process.

The ratios are per round (hashing time / verification time, so 1.0 would mean verification
costs no more than hashing the events) and their medians; each figure comes with its median,
min and max over the rounds. Once per run: verify_set_deep_s, `--deep` (every signature).

append_overhead: the slowdown of `bench append` with the ledger on, (events/s without /
events/s with) - 1: the handover-mix commands through the whole service, each its own durable
commit, on fresh stores; with the ledger on, the clock stops only once the checkpointer has
signed the last commit. OVERHEAD_ROUNDS pairs, which of off and on goes first alternating; the
median and the spread. store_append_overhead: the same at the store alone.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any

from showclear.app.ledger import LedgerNode
from showclear.bench.stats import spread
from showclear.bench.workload import PRODUCTION, WORKLOAD_VERSION, HandoverWorkload
from showclear.bootstrap import ledger_for, open_node, open_store
from showclear.ledger.hashing import LEAF_PREFIX
from showclear.ports import NewEvent

BATCH = 10_000
# The stores carry the workload's version and how they are built (bump BUILD when that changes).
BUILD_VERSION = 1
PACES = ("set", "burst")

RESULT_KEYS = (
    "events",
    "verify_set_s",
    "verify_burst_s",
    "sha256_2core_s",
    "sha256_1core_s",
    "ratio_set_vs_sha256_2core",
    "ratio_burst_vs_sha256_2core",
    "verify_set_deep_s",
    "append_overhead",
    "store_append_overhead",
)


# -- stores ----------------------------------------------------------------------------------


def _event(i: int) -> NewEvent:
    kinds = ("issue", "return", "load", "unload", "secure", "retrieve")
    return NewEvent(
        f"firearm_{kinds[i % len(kinds)]}",
        f"person{i % 17}",
        f"2025-03-{1 + i // 50_000 % 28:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:"
        f"{i % 60:02d}+01:00",
        {"firearm": f"g{i % 40}", "to": f"actor{i % 23}", "rounds": i % 7, "note": "bench"},
    )


def build_store(path: Path, n: int) -> LedgerNode:
    """A bulk-loaded store of `n` synthetic events, BATCH per signed append (for tests)."""
    store = open_store(path)
    node = ledger_for(path, store)
    done = 0
    while done < n:
        batch = [_event(i) for i in range(done, min(n, done + BATCH))]
        store.append(PRODUCTION, done, batch, checkpoint=node.checkpoint_hook)
        done += len(batch)
    return node


def cache_path(pace: str, n: int, directory: Path | None = None) -> Path:
    base = directory if directory is not None else Path(tempfile.gettempdir())
    return base / "showclear-bench" / f"verify-{pace}-w{WORKLOAD_VERSION}b{BUILD_VERSION}-{n}.db"


def build_paced_store(
    path: Path, n: int, pace: str, progress: Callable[[int], None] | None = None
) -> int:
    """Run the workload through the service until the store holds at least `n` events."""
    from showclear.domain import parse_command

    if pace not in PACES:
        raise ValueError(f"pace must be one of {PACES}, got {pace!r}")
    node = open_node(path, signin=False)
    service, ledger = node.service, node.ledger
    assert ledger is not None
    w = HandoverWorkload()
    head = 0
    try:
        for raw in chain(w.setup(), w.handovers()):
            if head >= n:
                break
            outcome = service.execute(PRODUCTION, parse_command(raw))
            if outcome.verdict != "accepted":
                raise RuntimeError(f"the workload was refused: {outcome.message}")
            if pace == "set":
                ledger.flush()  # the seconds between two commands on a set
            before, head = head, head + len(outcome.events)
            if progress is not None and head // 10_000 != before // 10_000:
                progress(head)
    finally:
        node.close()  # waits for the last signature
    return head


def prepared_store(
    pace: str,
    n: int,
    *,
    directory: Path | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, bool]:
    """The store of `pace` holding the workload's first `n` events: (path, whether cached)."""
    path = cache_path(pace, n, directory)
    if use_cache and path.exists() and Path(f"{path}.keys").exists():
        return path, True
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    _remove(tmp)

    def building(done: int) -> None:
        if progress is not None:
            progress(f"building the {pace}-pace store: {done:,} of {n:,} events")

    build_paced_store(tmp, n, pace, building)
    _remove(path)
    os.replace(Path(f"{tmp}.keys"), Path(f"{path}.keys"))
    os.replace(tmp, path)
    return path, False


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(Path(f"{path}.keys"), ignore_errors=True)


# -- measurements ----------------------------------------------------------------------------


def _showclear() -> str:
    return str(Path(sys.executable).parent / "showclear")


def cli_verify(path: Path, *, deep: bool = False) -> float:
    """Seconds for `showclear verify --db PATH --json` in a fresh process, start to exit."""
    args = [_showclear(), "verify", "--db", str(path), "--json", *(["--deep"] if deep else [])]
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{path} does not verify: {done.stdout}{done.stderr}")
    for line in done.stdout.splitlines():
        if not json.loads(line)["ok"]:
            raise RuntimeError(f"{path} does not verify: {line}")
    return elapsed


def _hash_all(payloads: list[bytes]) -> None:
    sha256 = hashlib.sha256
    prefix = LEAF_PREFIX
    for p in payloads:
        sha256(prefix + p).digest()


def sha256_one_core(payloads: list[bytes]) -> float:
    t0 = time.perf_counter()
    _hash_all(payloads)
    return time.perf_counter() - t0


def sha256_two_cores(payloads: list[bytes]) -> float:
    """Seconds to hash the payloads in two processes, half each (a fork shares the list)."""
    half = len(payloads) // 2
    ctx = multiprocessing.get_context("fork")
    t0 = time.perf_counter()
    proc = ctx.Process(target=_hash_all, args=(payloads[half:],))
    proc.start()
    _hash_all(payloads[:half])
    proc.join()
    elapsed = time.perf_counter() - t0
    if proc.exitcode != 0:
        raise RuntimeError("the hashing baseline's second process failed")
    return elapsed


OVERHEAD_ROUNDS = 7  # the slowdown is a few per cent on a noisy machine: take more pairs


def _paired_slowdown(cost: Callable[[int, bool], float]) -> list[float]:
    """cost(round, ledger on) / cost(round, off) - 1 for OVERHEAD_ROUNDS pairs.

    Which of the pair runs first alternates, so a machine slowing down mid-run favours neither.
    """
    slowdowns = []
    for r in range(OVERHEAD_ROUNDS):
        if r % 2:
            on, off = cost(r, True), cost(r, False)
        else:
            off, on = cost(r, False), cost(r, True)
        slowdowns.append(on / off - 1)
    return slowdowns


def _service_append_overhead(directory: Path, commands: int) -> list[float]:
    from showclear.bench.append import showclear_append

    def seconds_per_event(r: int, ledger: bool) -> float:
        path = directory / f"service-{'on' if ledger else 'off'}-{r}.db"
        return 1 / float(showclear_append(path, commands, ledger=ledger)["events_per_s"])

    return _paired_slowdown(seconds_per_event)


def _store_appends(path: Path, commits: int, ledger: bool) -> float:
    """Seconds for `commits` single-event durable appends (with the ledger: until all signed)."""
    store = open_store(path)
    node = ledger_for(path, store) if ledger else None
    try:
        t0 = time.perf_counter()
        for i in range(commits):
            store.append(PRODUCTION, i, [_event(i)])
            if node is not None:
                node.committed(PRODUCTION, i + 1)
        if node is not None:
            node.flush()
        return time.perf_counter() - t0
    finally:
        if node is not None:
            node.close()
        store.close()


def _append_overhead(directory: Path, commits: int) -> list[float]:
    return _paired_slowdown(
        lambda r, ledger: _store_appends(
            directory / f"append-{'on' if ledger else 'off'}-{r}.db", commits, ledger
        )
    )


def run_verify(
    n: int = 100_000,
    rounds: int = 5,
    commits: int = 1000,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    use_cache: bool = True,
    deep: bool = True,
) -> dict[str, Any]:
    """Every measurement of the module doc; figures with their spread, and per round."""
    say = progress or (lambda _: None)
    work = Path(tempfile.mkdtemp(prefix="showclear-bench-verify-", dir=directory))
    try:
        where = directory if use_cache else work
        stores: dict[str, Path] = {}
        cached: dict[str, bool] = {}
        for pace in PACES:
            t0 = time.perf_counter()
            stores[pace], cached[pace] = prepared_store(
                pace, n, directory=where, use_cache=use_cache, progress=say
            )
            say(f"{pace}-pace store ready in {time.perf_counter() - t0:.1f} s")
        store = open_store(stores["set"])
        try:
            events = store.head(PRODUCTION)
            checkpoints = {p: _count_checkpoints(stores[p]) for p in PACES}
            payloads = [payload for _, payload in store.read_payloads(PRODUCTION)]
        finally:
            store.close()
        steps: list[tuple[str, Callable[[], float]]] = [
            ("verify_set_s", lambda: cli_verify(stores["set"])),
            ("verify_burst_s", lambda: cli_verify(stores["burst"])),
            ("sha256_2core_s", lambda: sha256_two_cores(payloads)),
            ("sha256_1core_s", lambda: sha256_one_core(payloads)),
        ]
        per_round: list[dict[str, float]] = []
        for r in range(rounds):
            shift = r % len(steps)
            row = {name: measure() for name, measure in steps[shift:] + steps[:shift]}
            row["ratio_set_vs_sha256_2core"] = row["sha256_2core_s"] / row["verify_set_s"]
            row["ratio_burst_vs_sha256_2core"] = row["sha256_2core_s"] / row["verify_burst_s"]
            per_round.append(row)
            say(f"round {r + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
        payloads.clear()  # the memory, before the append timings
        deep_s = cli_verify(stores["set"], deep=True) if deep else None
        say(f"--deep on the set-pace store: {deep_s} s")
        overhead = _service_append_overhead(work, commits)
        say(f"append overhead over {commits} commands: {statistics.median(overhead):+.1%}")
        store_overhead = _append_overhead(work, commits)
        say(f"store append overhead: {statistics.median(store_overhead):+.1%}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = {key: [row[key] for row in per_round] for key in per_round[0]}
    result: dict[str, Any] = {key: statistics.median(values) for key, values in figures.items()}
    result.update(
        events=events,
        rounds=rounds,
        checkpoints_set=checkpoints["set"],
        checkpoints_burst=checkpoints["burst"],
        stores_cached=cached,
        verify_set_deep_s=deep_s,
        spread={key: spread(values) for key, values in figures.items()},
        per_round=per_round,
        append_commits=commits,
        append_overhead=statistics.median(overhead),
        append_overhead_runs=overhead,
        store_append_overhead=statistics.median(store_overhead),
        store_append_overhead_runs=store_overhead,
        cpus=os.cpu_count(),
    )
    return result


def _count_checkpoints(path: Path) -> int:
    store = open_store(path)
    try:
        return len(store.checkpoints(PRODUCTION))
    finally:
        store.close()
