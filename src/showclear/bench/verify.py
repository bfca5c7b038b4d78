"""`showclear bench verify`: what the tamper-evident ledger costs, against baselines in the run.

- verify_events_per_s: `showclear verify`'s check of a store of N events (read from SQLite,
  every leaf recomputed, every envelope's seq and production read, every checkpoint signature
  and root checked; `verify_log_parallel`, so on both cores), median of the rounds.
  Baseline, same run: raw_sha256_leaves_per_s, `hashlib.sha256(0x00 || payload)` over the same
  payload bytes already in memory.
- inclusion_proof_p99_ms / consistency_proof_p99_ms: `inclusion_proof` and
  `consistency_proof` at N leaves on a `MerkleTree` (levels kept in memory), random indices.
- pymerkle_inclusion_p50_ms: pymerkle's `InmemoryTree.prove_inclusion` at the same size, next to
  inclusion_proof_p50_ms, ours at the same size and in the same run.
- append_overhead: the slowdown of `bench append` with the ledger on, (events/s without /
  events/s with) - 1: the handover-mix commands through the whole service, each its own
  durable commit (WAL, synchronous=FULL), on fresh stores; with the ledger on, the clock stops
  only once the checkpointer has signed the last commit. OVERHEAD_ROUNDS pairs, which of off
  and on goes first alternating; the median. store_append_overhead: the same at the store
  alone (single-event appends, with and without telling the node's checkpointer).

The store is built with batched appends (BATCH events per transaction, each signed by the
ledger hook, so it holds N / BATCH checkpoints).
"""

from __future__ import annotations

import hashlib
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from showclear.ledger.hashing import LEAF_PREFIX
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.node import LedgerNode
from showclear.ledger.parallel import verify_log_parallel
from showclear.ledger.proof import consistency_proof, inclusion_proof
from showclear.store.base import NewEvent
from showclear.store.sqlite import SQLiteEventStore, SQLiteLogReader

PRODUCTION = "bench"
BATCH = 10_000
PROOF_SAMPLES = 1000
PYMERKLE_SAMPLES = 200

RESULT_KEYS = (
    "events",
    "verify_events_per_s",
    "raw_sha256_leaves_per_s",
    "inclusion_proof_p99_ms",
    "consistency_proof_p99_ms",
    "append_overhead",
    "pymerkle_inclusion_p50_ms",
)


def _event(i: int) -> NewEvent:
    kinds = ("issue", "return", "load", "unload", "secure", "retrieve")
    return NewEvent(
        f"firearm_{kinds[i % len(kinds)]}",
        f"person{i % 17}",
        f"2025-03-{1 + i // 50_000 % 28:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:"
        f"{i % 60:02d}+01:00",
        {"firearm": f"g{i % 40}", "to": f"actor{i % 23}", "rounds": i % 7, "note": "bench"},
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build_store(path: Path, n: int) -> LedgerNode:
    store = SQLiteEventStore(path)
    node = LedgerNode.open(path, store)
    done = 0
    while done < n:
        batch = [_event(i) for i in range(done, min(n, done + BATCH))]
        store.append(PRODUCTION, done, batch, checkpoint=node.checkpoint_hook)
        done += len(batch)
    return node


def _verify_once(node: LedgerNode) -> tuple[float, int]:
    """`showclear verify`'s own path: on two cores, each reading the store file itself."""
    store = node.store
    start = time.perf_counter()
    report = verify_log_parallel(
        SQLiteLogReader(store.path, PRODUCTION),
        store.count(PRODUCTION),
        node.verifier,
        origin=node.origin_for(PRODUCTION),
        production=PRODUCTION,
    )
    elapsed = time.perf_counter() - start
    if not report.ok:
        raise RuntimeError(f"bench store does not verify: {report.message}")
    return elapsed, report.tree_size


def _raw_sha256(payloads: list[bytes]) -> float:
    sha256 = hashlib.sha256
    prefix = LEAF_PREFIX
    start = time.perf_counter()
    for p in payloads:
        sha256(prefix + p).digest()
    return time.perf_counter() - start


def _proof_times(tree: MerkleTree, n: int, rng: random.Random) -> tuple[float, float, float]:
    """(inclusion p99, consistency p99, inclusion p50) in ms; the p50 pairs with pymerkle's."""
    inclusion: list[float] = []
    consistency: list[float] = []
    for _ in range(PROOF_SAMPLES):
        index = rng.randrange(n)
        t0 = time.perf_counter()
        inclusion_proof(tree, index, n)
        t1 = time.perf_counter()
        consistency_proof(tree, rng.randrange(1, n + 1), n)
        t2 = time.perf_counter()
        inclusion.append((t1 - t0) * 1000)
        consistency.append((t2 - t1) * 1000)
    return percentile(inclusion, 99), percentile(consistency, 99), percentile(inclusion, 50)


def _pymerkle_p50(payloads: list[bytes], rng: random.Random) -> float | None:
    try:
        from pymerkle import InmemoryTree
    except ImportError:  # pragma: no cover - a dev dependency
        return None
    tree = InmemoryTree(algorithm="sha256")
    for p in payloads:
        tree.append_entry(p)
    n = len(payloads)
    times: list[float] = []
    for _ in range(PYMERKLE_SAMPLES):
        index = rng.randrange(1, n + 1)  # pymerkle counts leaves from 1
        t0 = time.perf_counter()
        tree.prove_inclusion(index, n)
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


OVERHEAD_ROUNDS = 7  # the slowdown is a few per cent on a noisy machine: take more pairs


def _paired_slowdown(cost: Callable[[int, bool], float]) -> float:
    """Median over OVERHEAD_ROUNDS of cost(round, ledger on) / cost(round, off) - 1.

    Which of the pair runs first alternates, so a machine slowing down mid-run favours neither.
    """
    slowdowns = []
    for r in range(OVERHEAD_ROUNDS):
        if r % 2:
            on, off = cost(r, True), cost(r, False)
        else:
            off, on = cost(r, False), cost(r, True)
        slowdowns.append(on / off - 1)
    return statistics.median(slowdowns)


def _service_append_overhead(directory: Path, commands: int) -> float:
    from showclear.bench.append import showclear_append

    def seconds_per_event(r: int, ledger: bool) -> float:
        path = directory / f"service-{'on' if ledger else 'off'}-{r}.db"
        return 1 / float(showclear_append(path, commands, ledger=ledger)["events_per_s"])

    return _paired_slowdown(seconds_per_event)


def _store_appends(path: Path, commits: int, ledger: bool) -> float:
    """Seconds for `commits` single-event durable appends (with the ledger: until all signed)."""
    store = SQLiteEventStore(path)
    node = LedgerNode.open(path, store) if ledger else None
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
        store.close()


def _append_overhead(directory: Path, commits: int) -> float:
    return _paired_slowdown(
        lambda r, ledger: _store_appends(
            directory / f"append-{'on' if ledger else 'off'}-{r}.db", commits, ledger
        )
    )


def run_verify(
    n: int = 100_000,
    rounds: int = 3,
    commits: int = 1000,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every measurement once (verification and hashing `rounds` times; medians)."""
    say = progress or (lambda _: None)
    work = Path(tempfile.mkdtemp(prefix="showclear-bench-verify-", dir=directory))
    rng = random.Random(9162)
    try:
        t0 = time.perf_counter()
        node = build_store(work / "verify.db", n)
        say(f"built a store of {n:,} events in {time.perf_counter() - t0:.1f} s")
        try:
            rows = list(node.store.read(PRODUCTION))
            payloads = [e.payload for e in rows]
            leaves = [e.leaf_hash for e in rows]
            del rows
            verify_s: list[float] = []
            sha_s: list[float] = []
            for r in range(rounds):
                elapsed, size = _verify_once(node)
                verify_s.append(elapsed)
                sha_s.append(_raw_sha256(payloads))
                say(f"round {r + 1}: verified {size:,} events in {elapsed:.2f} s")
        finally:
            node.store.close()
        tree = MerkleTree(leaves)
        inclusion_p99, consistency_p99, inclusion_p50 = _proof_times(tree, n, rng)
        say("proofs timed")
        overhead = _service_append_overhead(work, commits)
        say(f"append overhead over {commits} commands: {overhead:+.1%}")
        store_overhead = _append_overhead(work, commits)
        say(f"store append overhead over {commits} commits: {store_overhead:+.1%}")
        pymerkle_p50 = _pymerkle_p50(payloads, rng)
        say("pymerkle timed")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "events": n,
        "rounds": rounds,
        "verify_events_per_s": n / statistics.median(verify_s),
        "raw_sha256_leaves_per_s": n / statistics.median(sha_s),
        "inclusion_proof_p99_ms": inclusion_p99,
        "consistency_proof_p99_ms": consistency_p99,
        "append_commits": commits,
        "append_overhead": overhead,
        "store_append_overhead": store_overhead,
        "pymerkle_inclusion_p50_ms": pymerkle_p50,
        "inclusion_proof_p50_ms": inclusion_p50,  # like for like with pymerkle's p50
    }
