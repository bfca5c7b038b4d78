"""`showclear bench ...`: the benchmarks, each printed as ratios to a baseline run alongside.

Registered on the main app in showclear.cli as ``app.add_typer(bench_app, name="bench")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from showclear.bench.stats import add_spread_rows

bench_app = typer.Typer(
    help="Benchmarks, measured against baselines in the same run (see bench/README.md).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object and nothing else.")]
RoundsOption = Annotated[
    int,
    typer.Option("--rounds", min=1, help="Interleaved rounds; medians are reported."),
]
DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="Where the benchmark's files go (default: the system temporary directory).",
        file_okay=False,
    ),
]

FigureRounds = Annotated[
    int, typer.Option("--rounds", min=1, help="Interleaved rounds (5 or more for figures).")
]
NoCacheFlag = Annotated[
    bool, typer.Option("--no-cache", help="Build fresh stores instead of the cached ones.")
]

# Targets from the issue: a bench prints whether each one is met.
APPEND_MIN_RATIO_SQLITE = 0.5
APPEND_MIN_RATIO_EVENTSOURCING = 1.0
APPEND_MAX_P99_MS = 5.0
REBUILD_MIN_EVENTS_PER_S = 100_000


def _mark(ok: bool) -> str:
    return "[green]met[/green]" if ok else "[red]missed[/red]"


def _table(title: str, *, target: bool = True) -> Table:
    """A bench's table: measure, value and (with `target`) whether the issue's target is met."""
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    if target:
        table.add_column("target", justify="right")
    return table


def _progress(enabled: bool) -> Any:
    def report(message: str) -> None:
        if enabled:
            err.print(f"[dim]{message}[/dim]")

    return report


@bench_app.command("append")
def append_cmd(
    events: Annotated[
        int, typer.Option("--events", min=1, help="Events appended per measurement.")
    ] = 2000,
    rounds: RoundsOption = 5,
    json_out: JsonFlag = False,
    directory: DirOption = None,
    ledger: Annotated[
        bool,
        typer.Option(
            "--ledger/--no-ledger",
            help="Also measure the service as a set node runs it (a signed checkpoint per "
            "append), reported under ledger_* keys.",
        ),
    ] = True,
) -> None:
    """Decide + durable append (SQLite, WAL, synchronous=FULL) for the handover mix.

    Each round appends EVENTS events through the service, then runs the two baselines with
    the same number of events and the same durability: raw single-row SQLite commits, and
    the eventsourcing library. Example: [bold]showclear bench append --events 2000 --json[/bold]
    """
    from showclear.bench.append import run_append

    result = run_append(events, rounds, directory, progress=_progress(not json_out), ledger=ledger)
    if json_out:
        print(json.dumps(result))
        return
    table = _table(f"bench append: {events:,} events x {rounds} rounds (medians)")
    table.add_row("ShowClear events/s", f"{result['events_per_s']:,.0f}", "")
    table.add_row("latency p50", f"{result['p50_ms']:.3f} ms", "")
    table.add_row(
        "latency p99",
        f"{result['p99_ms']:.3f} ms",
        f"< {APPEND_MAX_P99_MS:g} ms {_mark(result['p99_ms'] < APPEND_MAX_P99_MS)}",
    )
    table.add_row("raw SQLite commits/s", f"{result['sqlite_commits_per_s']:,.0f}", "")
    table.add_row("eventsourcing events/s", f"{result['eventsourcing_per_s']:,.0f}", "")
    ratio_sqlite = result["ratio_vs_sqlite"]
    ratio_es = result["ratio_vs_eventsourcing"]
    table.add_row(
        "ShowClear / raw SQLite",
        f"{ratio_sqlite:.2f}x",
        f">= {APPEND_MIN_RATIO_SQLITE:g}x {_mark(ratio_sqlite >= APPEND_MIN_RATIO_SQLITE)}",
    )
    table.add_row(
        "ShowClear / eventsourcing",
        f"{ratio_es:.2f}x",
        f">= {APPEND_MIN_RATIO_EVENTSOURCING:g}x "
        f"{_mark(ratio_es >= APPEND_MIN_RATIO_EVENTSOURCING)}",
    )
    if ledger:
        p50, p99 = result["ledger_p50_ms"], result["ledger_p99_ms"]
        vs_sqlite, vs_es = result["ledger_ratio_vs_sqlite"], result["ledger_ratio_vs_eventsourcing"]
        table.add_row(
            "set node (+ signed checkpoint) events/s", f"{result['ledger_events_per_s']:,.0f}"
        )
        table.add_row("  latency p50 / p99", f"{p50:.3f} / {p99:.3f} ms")
        table.add_row("  / raw SQLite, / eventsourcing", f"{vs_sqlite:.2f}x, {vs_es:.2f}x")
    table.add_row("refused commands", str(result["refusals"]), "0")
    console.print(table)


@bench_app.command("rebuild")
def rebuild_cmd(
    events: Annotated[
        int, typer.Option("--events", min=1, help="Stored events to rebuild from.")
    ] = 1_000_000,
    rounds: RoundsOption = 5,
    json_out: JsonFlag = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Build a fresh store instead of reusing a cached one."),
    ] = False,
    directory: DirOption = None,
) -> None:
    """Rebuild a production's state from EVENTS stored events, against reading them alone.

    The store (the handover mix, about a minute per million events to build) is cached in
    the temporary directory, keyed by EVENTS. The baseline reads the same payloads and only
    parses them, with the same parser (orjson). Example:
    [bold]showclear bench rebuild --events 1000000[/bold]
    """
    from showclear.bench.rebuild import run_rebuild

    result = run_rebuild(
        events,
        rounds,
        use_cache=not no_cache,
        directory=directory,
        progress=_progress(not json_out),
    )
    if json_out:
        print(json.dumps(result))
        return
    rate = result["rebuild_events_per_s"]
    table = _table(f"bench rebuild: {result['events']:,} events x {rounds} rounds (medians)")
    table.add_row(
        "rebuild events/s",
        f"{rate:,.0f}",
        f">= {REBUILD_MIN_EVENTS_PER_S:,} {_mark(rate >= REBUILD_MIN_EVENTS_PER_S)}",
    )
    table.add_row("rebuild time", f"{result['rebuild_s']:.2f} s", "")
    table.add_row("read + orjson events/s (baseline)", f"{result['reads_per_s']:,.0f}", "")
    table.add_row("rebuild / reads", f"{result['ratio_vs_reads']:.2f}x", "")
    source = "cached" if result["store_cached"] else "built"
    table.add_row(f"store ({source})", f"{result['store_build_s']:.1f} s", "")
    console.print(table)


@bench_app.command("studio-board")
def studio_board_cmd(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="The studio's PostgreSQL database to fill and read (postgresql://...; an "
            "empty one, or one this bench filled before at the same size). Default: "
            "$SHOWCLEAR_BENCH_STORE, else a throwaway server started from the installed "
            "PostgreSQL binaries and removed afterwards.",
        ),
    ] = None,
    productions: Annotated[int, typer.Option("--productions", min=1, help="Productions.")] = 50,
    events: Annotated[
        int, typer.Option("--events", min=1, help="Events per production.")
    ] = 100_000,
    samples: Annotated[
        int, typer.Option("--samples", min=1, help="Dashboard timings (p99 over them).")
    ] = 200,
    rounds: RoundsOption = 5,
    json_out: JsonFlag = False,
) -> None:
    """The studio dashboard over PRODUCTIONS x EVENTS stored events: its query p99, and the
    rebuild of one production's state after a restart, against raw psycopg reads of the same
    rows. Example: [bold]showclear bench studio-board --store postgresql://... --json[/bold]
    (small: [bold]--productions 2 --events 1000[/bold])
    """
    from showclear.bench.studio_board import DASHBOARD_P99_MS, REBUILD_MAX_S, run_studio_board
    from showclear.bench.studio_sync import bench_database, cannot_start
    from showclear.bootstrap import LocalPostgresError

    say = _progress(not json_out)
    try:
        with bench_database(store, say) as (url, where):
            result = run_studio_board(url, productions, events, samples, rounds, progress=say)
    except LocalPostgresError as e:
        raise cannot_start("studio-board", e) from None
    result["postgres_settings"].update(where)
    if json_out:
        print(json.dumps(result))
        return
    table = _table(f"bench studio-board: {productions} x {events:,} events")
    p99 = result["dashboard_p99_ms"]
    table.add_row("dashboard p50", f"{result['dashboard_p50_ms']:.2f} ms", "")
    table.add_row(
        "dashboard p99",
        f"{p99:.2f} ms",
        f"< {DASHBOARD_P99_MS:g} ms {_mark(p99 < DASHBOARD_P99_MS)}",
    )
    table.add_row("raw heads query p99 (baseline)", f"{result['baseline_heads_p99_ms']:.2f} ms", "")
    rebuild = result["rebuild_s"]
    table.add_row(
        "rebuild one production",
        f"{rebuild:.2f} s",
        f"< {REBUILD_MAX_S:g} s {_mark(rebuild < REBUILD_MAX_S)}",
    )
    table.add_row("raw read + parse (baseline)", f"{result['baseline_raw_read_s']:.2f} s", "")
    table.add_row("PostgreSQL", result["postgres_settings"]["server_version"], "")
    console.print(table)


@bench_app.command("verify")
def verify_cmd(
    events: Annotated[
        int, typer.Option("--events", min=1, help="Events in the stores to verify.")
    ] = 100_000,
    rounds: FigureRounds = 5,
    commits: Annotated[
        int,
        typer.Option(
            "--commits", min=1, help="Commands (each its own durable commit) per append timing."
        ),
    ] = 1000,
    json_out: JsonFlag = False,
    directory: DirOption = None,
    no_cache: NoCacheFlag = False,
    deep: Annotated[
        bool, typer.Option("--deep/--no-deep", help="Also time `showclear verify --deep` once.")
    ] = True,
) -> None:
    """`showclear verify` as a person runs it, on a store signed at a set's pace (a checkpoint
    per command) and on one signed in bursts, against hashing the same events on two cores;
    and what the ledger adds to each commit.

    Example: [bold]showclear bench verify --events 1000000 --json[/bold]
    """
    from showclear.bench.verify import run_verify

    result = run_verify(
        events,
        rounds,
        commits,
        directory,
        progress=_progress(not json_out),
        use_cache=not no_cache,
        deep=deep,
    )
    if json_out:
        print(json.dumps(result))
        return
    table = _table(
        f"bench verify: {result['events']:,} events, {rounds} rounds (median, min..max)",
        target=False,
    )
    add_spread_rows(
        table,
        result,
        [
            ("verify_set_s", f"verify, set pace ({result['checkpoints_set']:,} checkpoints)"),
            ("verify_burst_s", f"verify, bursts ({result['checkpoints_burst']:,} checkpoints)"),
            ("sha256_2core_s", "baseline: SHA-256 of the events, 2 cores"),
            ("sha256_1core_s", "SHA-256 of the events, 1 core"),
            ("ratio_set_vs_sha256_2core", "hashing / verify, set pace"),
            ("ratio_burst_vs_sha256_2core", "hashing / verify, bursts"),
        ],
    )
    if result["verify_set_deep_s"] is not None:
        table.add_row("verify --deep, set pace (once)", f"{result['verify_set_deep_s']:.2f} s")
    table.add_row(f"append overhead ({commits:,} commands)", f"{result['append_overhead']:+.1%}")
    table.add_row("  at the store alone", f"{result['store_append_overhead']:+.1%}")
    console.print(table)


@bench_app.command("proof")
def proof_cmd(
    events: Annotated[int, typer.Option("--events", min=1, help="Events in the store.")] = 100_000,
    rounds: FigureRounds = 5,
    json_out: JsonFlag = False,
    directory: DirOption = None,
    no_cache: NoCacheFlag = False,
    pymerkle: Annotated[
        bool, typer.Option("--pymerkle/--no-pymerkle", help="Time pymerkle's tree too.")
    ] = True,
) -> None:
    """Inclusion and consistency proofs from the stored tree, first call of a fresh process,
    against reading the same event; `showclear proof` end to end; warm percentiles.

    Example: [bold]showclear bench proof --events 1000000 --json[/bold]
    """
    from showclear.bench.proof import TARGET_MS, run_proof

    result = run_proof(
        events,
        rounds,
        directory,
        progress=_progress(not json_out),
        use_cache=not no_cache,
        pymerkle=pymerkle,
    )
    if json_out:
        print(json.dumps(result))
        return
    table = _table(
        f"bench proof: {result['events']:,} events, {rounds} rounds (median, min..max)",
        target=False,
    )
    add_spread_rows(
        table,
        result,
        [
            ("inclusion_cold_ms", "inclusion proof, first call (ms)"),
            ("consistency_cold_ms", "consistency proof, first call (ms)"),
            ("read_event_cold_ms", "baseline: read the event and checkpoint (ms)"),
            ("ratio_inclusion_vs_read", "inclusion / read"),
            ("proof_cli_s", "showclear proof, end to end (s)"),
            ("cli_help_s", "showclear --help (s)"),
            ("rebuild_proof_ms", "before: rebuild the tree, then prove (ms)"),
        ],
    )
    table.add_row(f"target < {TARGET_MS:g} ms (every round)", _mark(result["target_met"]))
    for key in ("inclusion_p50_ms", "inclusion_p99_ms", "memory_inclusion_p50_ms",
                "memory_inclusion_p99_ms", "pymerkle_inclusion_p50_ms"):  # fmt: skip
        value = result[key]
        table.add_row(f"warm {key}", "n/a" if value is None else f"{value:.3f}")
    console.print(table)


__all__ = ["bench_app"]

from showclear.bench.http import register as _register_http  # noqa: E402  (bench http)

_register_http(bench_app)

from showclear.bench.report import register as _register_report  # noqa: E402  (bench report)

_register_report(bench_app)

from showclear.bench.studio_sync import register as _register_studio  # noqa: E402

_register_studio(bench_app)  # bench studio-ingest, bench sync-latency
