"""`showclear bench studio-ingest` and `showclear bench sync-latency`: the studio's side of sync.

studio-ingest. A set node (a SQLite file in a temporary folder) holds one production per round
(plus a warm-up), EVENTS events each, signed every PUSH events. Each round, untimed, the pushes
are encoded as a node sends them (`sync_wire.encode_push`: the events, the node's checkpoint,
the consistency proof from the previous push). Then, interleaved (the order alternates from
round to round):

- ShowClear: the studio's witness (`app.studio.StudioWitness.push`, what the sync endpoint
  calls) takes every push: parse, check every event against the node's signed checkpoint and
  the consistency proof, co-sign, store the events with the co-signed checkpoint and the tile
  hashes they complete in one durable transaction. HTTP is not included (see sync-latency).
- raw COPY: the same rows (the columns of `events`, payload and leaf hash included) written
  with COPY into a table shaped like `events`, one durable transaction per push
  (`pg_baselines.RawCopy`).

Reported: events/s of each (medians over the rounds) and the median of the per-round ratios.
Target: the studio at least 0.3x raw COPY.

sync-latency. A node appends EVENTS events one at a time (each a durable commit with its signed
checkpoint), and after each one syncs it to the studio's sync endpoint served by uvicorn on a
loopback port (real HTTP): the time from the start of the push to the co-signature checked and
stored on the node. Reported: p50 and p99, and, as the baseline measured alongside (alternating
with the pushes), the round trip of a bare GET to the same server. Target: p99 under 1 s.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from showclear.app.sync_wire import encode_push
from showclear.bench.pg_baselines import RawCopy, server_settings
from showclear.bench.stats import percentile, spread
from showclear.bootstrap import (
    LocalPostgresError,
    close_studio,
    ledger_for,
    load_studio_key_file,
    open_store,
    open_studio,
    open_syncer,
    parse_store_url,
    studio_init,
    throwaway_postgres,
)
from showclear.ledger.proof import consistency_proof
from showclear.ledger.tiles import StoredTree
from showclear.ledger.witness import Push
from showclear.ports import NewEvent

__all__ = ["STORE_ENV", "bench_database", "run_studio_ingest", "run_sync_latency"]

STORE_ENV = "SHOWCLEAR_BENCH_STORE"
AT = "2025-03-01T09:00:00+01:00"
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help=f"The PostgreSQL database to write to (default: ${STORE_ENV}; without either, a "
        "throwaway server started from the installed PostgreSQL binaries, removed afterwards).",
    ),
]


@contextmanager
def bench_database(
    store: str | None, progress: Callable[[str], None] = lambda _: None
) -> Iterator[tuple[str, dict[str, str]]]:
    """The database a studio bench writes to (it adds productions and a scratch table):
    `store`, else $SHOWCLEAR_BENCH_STORE, else a throwaway local server, stopped and removed
    when the block ends. Also where that is, for the report. LocalPostgresError when no
    server can be started."""
    url = store or os.environ.get(STORE_ENV)
    if url:
        yield url, {"server": "given (--store or $" + STORE_ENV + ")"}
        return
    progress("no --store: starting a throwaway PostgreSQL server from the installed binaries")
    with throwaway_postgres("showclear_bench") as (url, folder):
        yield url, {"server": "throwaway (initdb, Unix socket; removed after the run)",
                    "folder": folder}  # fmt: skip


def postgres_report(url: str, durability: dict[str, str], where: dict[str, str]) -> dict[str, str]:
    """The PostgreSQL settings a run was measured under (the store's durability settings,
    the server's memory and version settings) and which server it was."""
    conninfo = parse_store_url(url).conninfo
    settings = server_settings(conninfo) if conninfo is not None else {}
    return {**settings, **durability, **where}


def cannot_start(command: str, error: LocalPostgresError) -> typer.Exit:
    """What a studio bench says when it has no database and cannot start one: exit status 2."""
    Console(stderr=True, highlight=False).print(
        f"showclear bench {command}: no database given (--store or ${STORE_ENV}) and no "
        f"throwaway PostgreSQL server could be started: {error}",
        markup=False,
    )
    return typer.Exit(2)


def _event(i: int) -> NewEvent:
    return NewEvent(
        "command_refused",
        f"person{i % 17}",
        AT,
        {"command": "issue", "firearm": f"g{i % 40}", "rules": ["SC-C01"], "n": i},
    )


def _fill(store: Any, ledger: Any, production: str, events: int, push: int) -> None:
    for start in range(0, events, push):
        batch = [_event(i) for i in range(start, min(events, start + push))]
        store.append(production, start, batch, checkpoint=ledger.checkpoint_hook)


def _pushes(store: Any, production: str, events: int, push: int) -> list[bytes]:
    notes = {c.tree_size: c.note for c in store.checkpoints(production)}
    payloads = list(store.read_payloads(production))
    bodies = []
    for start in range(0, events, push):
        end = min(events, start + push)
        proof = consistency_proof(StoredTree(store, production, end), start)
        bodies.append(encode_push(Push(production, payloads[start:end], notes[end], proof)))
    return bodies


def _rows(store: Any, production: str, events: int, push: int) -> list[list[tuple[Any, ...]]]:
    rows = [
        (e.production, e.seq, e.type, e.version, e.actor, e.at, e.recorded_at, e.payload,
         e.leaf_hash)
        for e in store.read(production)
    ]  # fmt: skip
    return [rows[start : start + push] for start in range(0, events, push)]


def run_studio_ingest(
    store: str | None,
    events: int = 10_000,
    push: int = 1_000,
    rounds: int = 5,
    directory: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    with bench_database(store, progress) as (url, where):
        return _studio_ingest(url, where, events, push, rounds, directory, progress)


def _studio_ingest(
    url: str,
    where: dict[str, str],
    events: int,
    push: int,
    rounds: int,
    directory: Path | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        keys = Path(tmp) / "studio.keys"
        studio_init(url, keys)
        node_path = Path(tmp) / "set.db"
        node_store = open_store(node_path)
        ledger = ledger_for(node_path, node_store)
        witness = open_studio(url, keys)
        raw = RawCopy(url)
        tag = uuid.uuid4().hex[:8]
        try:
            studio_rates: list[float] = []
            copy_rates: list[float] = []
            ratios: list[float] = []
            for r in range(rounds + 1):  # round 0 warms both up and is not reported
                production = f"bench-ingest-{tag}-{r}"
                progress(f"round {r}: building {events:,} events of {production}")
                _fill(node_store, ledger, production, events, push)
                bodies = _pushes(node_store, production, events, push)
                rows = _rows(node_store, production, events, push)
                witness.enroll(production, ledger.verifier)

                def studio(bodies: list[bytes] = bodies) -> float:
                    start = time.perf_counter()
                    for body in bodies:
                        status, answer = witness.push(body)
                        if status != 200:
                            raise RuntimeError(f"the studio refused a bench push: {answer}")
                    return time.perf_counter() - start

                def copy(rows: list[list[tuple[Any, ...]]] = rows) -> float:
                    return raw.run(rows)

                order = (studio, copy) if r % 2 else (copy, studio)
                timed = {f: f() for f in order}
                if r == 0:
                    continue
                studio_rate = events / timed[studio]
                copy_rate = events / timed[copy]
                studio_rates.append(studio_rate)
                copy_rates.append(copy_rate)
                ratios.append(studio_rate / copy_rate)
                progress(f"round {r}: studio {studio_rate:,.0f}/s, COPY {copy_rate:,.0f}/s")
            durability = witness.store.durability()  # type: ignore[attr-defined]
            postgresql = postgres_report(url, durability, where)
        finally:
            raw.close()
            close_studio(witness)
            ledger.close()
            node_store.close()
    return {
        "events": events,
        "push_events": push,
        "rounds": rounds,
        "studio_events_per_s": statistics.median(studio_rates),
        "copy_events_per_s": statistics.median(copy_rates),
        "ratio_vs_copy": statistics.median(ratios),
        "target_ratio": 0.3,
        "postgresql": postgresql,
        "spread": {
            "studio_events_per_s": spread(studio_rates),
            "copy_events_per_s": spread(copy_rates),
            "ratio_vs_copy": spread(ratios),
        },
    }


def run_sync_latency(
    store: str | None,
    events: int = 1_000,
    directory: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    with bench_database(store, progress) as (url, where):
        return _sync_latency(url, where, events, directory, progress)


def _sync_latency(
    url: str,
    where: dict[str, str],
    events: int,
    directory: Path | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    from showclear.web.app import create_witness_app
    from showclear.web.background import BackgroundServer

    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        keys = Path(tmp) / "studio.keys"
        studio_init(url, keys)
        production = f"bench-latency-{uuid.uuid4().hex[:8]}"
        node_path = Path(tmp) / "set.db"
        open_store(node_path).close()  # a new set node's file
        witness = open_studio(url, keys)
        app = create_witness_app(witness, on_close=lambda: close_studio(witness))
        with BackgroundServer(app) as base:
            syncer, close = open_syncer(node_path, base, load_studio_key_file(keys))
            try:
                store_, ledger = syncer.store, syncer.ledger
                store_.append(production, 0, [_event(0)], checkpoint=ledger.checkpoint_hook)
                witness.enroll(production, ledger.verifier)
                latencies: list[float] = []
                round_trips: list[float] = []
                for i in range(1, events + 1):
                    store_.append(production, i, [_event(i)], checkpoint=ledger.checkpoint_hook)
                    start = time.perf_counter()
                    result = syncer.sync_production(production)
                    latencies.append(time.perf_counter() - start)
                    if result.error is not None or not result.cosigned:
                        raise RuntimeError(f"the bench sync failed: {result.error}")
                    start = time.perf_counter()
                    syncer.link.get("/sync/v1")
                    round_trips.append(time.perf_counter() - start)
                    if i % 100 == 0:
                        progress(f"{i:,} of {events:,} events synced")
            finally:
                close()
        # The server's settings (the studio's store sets synchronous_commit = on itself).
        postgresql = postgres_report(url, {}, where)
    p99 = percentile(latencies, 99) * 1000
    base_p99 = percentile(round_trips, 99) * 1000
    return {
        "events": events,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": p99,
        "http_round_trip_p50_ms": percentile(round_trips, 50) * 1000,
        "http_round_trip_p99_ms": base_p99,
        "ratio_p99_vs_round_trip": p99 / base_p99,
        "target_p99_ms": 1000.0,
        "postgresql": postgresql,
    }


def register(bench_app: typer.Typer) -> None:
    """`bench studio-ingest` and `bench sync-latency` on the bench command group."""

    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)

    def say(quiet: bool) -> Callable[[str], None]:
        return (lambda _: None) if quiet else (lambda m: err.print(f"[dim]{m}[/dim]"))

    @bench_app.command("studio-ingest")
    def studio_ingest_cmd(
        store: StoreOption = None,
        events: Annotated[int, typer.Option("--events", min=1, help="Events per round.")] = 10_000,
        push: Annotated[int, typer.Option("--push", min=1, help="Events per push.")] = 1_000,
        rounds: Annotated[int, typer.Option("--rounds", min=1, help="Interleaved rounds.")] = 5,
        json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    ) -> None:
        """Events/s the studio accepts from pushes (verification and co-signing included),
        against raw COPY of the same rows, interleaved; target >= 0.3x."""
        try:
            result = run_studio_ingest(store, events, push, rounds, progress=say(json_out))
        except LocalPostgresError as e:
            raise cannot_start("studio-ingest", e) from None
        if json_out:
            print(json.dumps(result))
            return
        ratio = result["ratio_vs_copy"]
        console.print(
            f"studio {result['studio_events_per_s']:,.0f} events/s, raw COPY "
            f"{result['copy_events_per_s']:,.0f} events/s: {ratio:.2f}x (target >= 0.3x: "
            f"{'met' if ratio >= 0.3 else 'missed'})"
        )

    @bench_app.command("sync-latency")
    def sync_latency_cmd(
        store: StoreOption = None,
        events: Annotated[int, typer.Option("--events", min=1, help="Events pushed.")] = 1_000,
        json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    ) -> None:
        """A node pushes EVENTS events one by one over HTTP: p99 from push to co-signature
        (target < 1 s), next to a bare HTTP round trip to the same server."""
        try:
            result = run_sync_latency(store, events, progress=say(json_out))
        except LocalPostgresError as e:
            raise cannot_start("sync-latency", e) from None
        if json_out:
            print(json.dumps(result))
            return
        p99 = result["p99_ms"]
        console.print(
            f"push to co-signature p50 {result['p50_ms']:.1f} ms, p99 {p99:.1f} ms (target < "
            f"1000 ms: {'met' if p99 < 1000 else 'missed'}); bare HTTP round trip p99 "
            f"{result['http_round_trip_p99_ms']:.1f} ms"
        )
