"""`showclear bench proof`: how long a proof takes to answer, from the stored tree.

The store is `bench verify`'s set-pace store (a checkpoint per command, cached per N). Each round
(at least 5 for figures; the order rotates), each in a fresh Python process whose imports are
done before its clock starts, so the figure is the first call after start-up, nothing cached:

- inclusion_cold_ms: open the store and `ledger.proofs.prove_inclusion` of a random event
  (the function `showclear proof` and the studio's sync call);
- consistency_cold_ms: open the store and `prove_consistency` from a random earlier size;
- read_event_cold_ms (the baseline): open the store and read that event's bytes and the
  newest checkpoint: the reads any answer about one event needs, with no tree at all;
- proof_cli_s: `showclear proof --db FILE --event SEQ` start to exit, next to cli_help_s,
  `showclear --help`: the interpreter and the CLI's own start-up;
- rebuild_proof_ms: the old way, for comparison: read every leaf hash, build the tree in
  memory, then the proof (what `showclear proof` did before the tiles).

Once per run, warm, in this process: inclusion_p50_ms / inclusion_p99_ms over PROOF_SAMPLES
random events from the stored tiles (a new `StoredTree` per proof: no tile kept between two),
next to memory_inclusion_p50_ms / p99 from a `MerkleTree` already built in memory and
pymerkle_inclusion_p50_ms (pymerkle's in-memory tree); percentiles are nearest-rank.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from showclear.bench.stats import percentile, spread
from showclear.bench.verify import prepared_store
from showclear.bench.workload import PRODUCTION
from showclear.bootstrap import open_store
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.proof import inclusion_proof
from showclear.ledger.tiles import StoredTree

PROOF_SAMPLES = 1000
PYMERKLE_SAMPLES = 200
TARGET_MS = 10.0

RESULT_KEYS = (
    "events",
    "inclusion_cold_ms",
    "consistency_cold_ms",
    "read_event_cold_ms",
    "proof_cli_s",
    "cli_help_s",
    "rebuild_proof_ms",
    "inclusion_p50_ms",
    "inclusion_p99_ms",
    "memory_inclusion_p50_ms",
    "memory_inclusion_p99_ms",
)

# Run in a fresh interpreter: imports first, then the clock around the first call.
_COLD = r"""
import sys, time
from showclear.ledger.proofs import prove_consistency, prove_inclusion
from showclear.bootstrap import open_store

path, production, what, number = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
store = open_store(path)
if what == "inclusion":
    answer = prove_inclusion(store, production, number)
    assert answer.seq == number
elif what == "consistency":
    answer = prove_consistency(store, production, number)
    assert answer.old_size == number
else:
    payload = store.event_payload(production, number)
    latest = store.latest_checkpoint(production)
    assert payload is not None and latest is not None
elapsed = time.perf_counter() - t0
store.close()
print(elapsed * 1000)
"""


def cold_ms(path: Path, what: str, number: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _COLD, str(path), PRODUCTION, what, str(number)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold {what} failed: {done.stderr}")
    return float(done.stdout.strip())


def _wall(args: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr}")
    return elapsed


def _showclear() -> str:
    return str(Path(sys.executable).parent / "showclear")


def rebuild_proof_ms(path: Path, seq: int) -> float:
    """The old `showclear proof`: every leaf read and the tree built, then the proof."""
    t0 = time.perf_counter()
    store = open_store(path)
    try:
        latest = store.latest_checkpoint(PRODUCTION)
        assert latest is not None
        leaves = [leaf for _, leaf, _ in store.read_leaf_hashes(PRODUCTION)][: latest.tree_size]
        inclusion_proof(MerkleTree(leaves), seq - 1, latest.tree_size)
    finally:
        store.close()
    return (time.perf_counter() - t0) * 1000


def _warm(path: Path, size: int, rng: random.Random, pymerkle: bool) -> dict[str, float | None]:
    store = open_store(path)
    try:
        leaves = store.leaf_hashes(PRODUCTION, 0, size)
        stored: list[float] = []
        for _ in range(PROOF_SAMPLES):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            inclusion_proof(StoredTree(store, PRODUCTION, size), index, size)
            stored.append((time.perf_counter() - t0) * 1000)
        payloads = [p for _, p in store.read_payloads(PRODUCTION)][:size]
    finally:
        store.close()
    tree = MerkleTree(leaves)
    memory: list[float] = []
    for _ in range(PROOF_SAMPLES):
        index = rng.randrange(size)
        t0 = time.perf_counter()
        inclusion_proof(tree, index, size)
        memory.append((time.perf_counter() - t0) * 1000)
    return {
        "inclusion_p50_ms": percentile(stored, 50),
        "inclusion_p99_ms": percentile(stored, 99),
        "memory_inclusion_p50_ms": percentile(memory, 50),
        "memory_inclusion_p99_ms": percentile(memory, 99),
        "pymerkle_inclusion_p50_ms": _pymerkle_p50(payloads, rng) if pymerkle else None,
    }


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


def run_proof(
    n: int = 100_000,
    rounds: int = 5,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    use_cache: bool = True,
    pymerkle: bool = True,
) -> dict[str, Any]:
    say = progress or (lambda _: None)
    path, cached = prepared_store("set", n, directory=directory, use_cache=use_cache, progress=say)
    store = open_store(path)
    try:
        latest = store.latest_checkpoint(PRODUCTION)
        assert latest is not None
        size = latest.tree_size
    finally:
        store.close()
    rng = random.Random(9162)
    per_round: list[dict[str, float]] = []
    for r in range(rounds):
        seq, old = rng.randrange(1, size + 1), rng.randrange(1, size + 1)
        cli = [_showclear(), "proof", "--db", str(path), "--event", str(seq)]
        steps: list[tuple[str, Callable[[], float]]] = [
            ("inclusion_cold_ms", partial(cold_ms, path, "inclusion", seq)),
            ("consistency_cold_ms", partial(cold_ms, path, "consistency", old)),
            ("read_event_cold_ms", partial(cold_ms, path, "read", seq)),
            ("proof_cli_s", partial(_wall, cli)),
            ("cli_help_s", partial(_wall, [_showclear(), "--help"])),
            ("rebuild_proof_ms", partial(rebuild_proof_ms, path, seq)),
        ]
        shift = r % len(steps)
        row = {name: measure() for name, measure in steps[shift:] + steps[:shift]}
        row["ratio_inclusion_vs_read"] = row["inclusion_cold_ms"] / row["read_event_cold_ms"]
        per_round.append(row)
        say(f"round {r + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    warm = _warm(path, size, rng, pymerkle)
    figures = {key: [row[key] for row in per_round] for key in per_round[0]}
    result: dict[str, Any] = {key: statistics.median(v) for key, v in figures.items()}
    result.update(warm)
    result.update(
        events=size,
        rounds=rounds,
        store_cached=cached,
        target_ms=TARGET_MS,
        target_met=max(figures["inclusion_cold_ms"] + figures["consistency_cold_ms"]) < TARGET_MS,
        spread={key: spread(values) for key, values in figures.items()},
        per_round=per_round,
    )
    return result
