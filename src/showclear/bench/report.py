"""`showclear bench report`: the daily firearms log PDF of a busy day.

One production is set up, then one shooting day of about N events of the handover mix
(`showclear.bench.workload`, with ``commands_per_day`` large enough that the N events fall on
one day) is decided in memory and appended to a fresh SQLite store with this node's ledger
(one signed checkpoint per batch), so the report's footer is a real checkpoint.

Each round times, on the same file:

- reads (the baseline): the production's events read from the store and parsed
  (`read_payloads` + JSON), nothing else;
- report: the daily log PDF end to end, as `showclear report daily` makes it: read the events
  up to the latest checkpoint, fold them into the state, build the rows, render the Jinja2
  template, lay it out and write the PDF with WeasyPrint.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from showclear.bench.workload import PRODUCTION, HandoverWorkload
from showclear.domain import State, evolve, handle, parse_command
from showclear.ledger.node import LedgerNode
from showclear.reports import document
from showclear.reports.pdf import render_pdf_counted
from showclear.reports.source import load_source
from showclear.store.base import NewEvent
from showclear.store.sqlite import SQLiteEventStore

BATCH = 500
TARGET_SECONDS = 3.0
RESULT_KEYS = ("events", "day_events", "rows", "pages", "read_s", "report_s", "ratio_vs_read")


def build_day_store(path: Path, n: int) -> tuple[str, int]:
    """Write the production's set-up and one day of about `n` events; (day, events that day)."""
    w = HandoverWorkload(commands_per_day=max(n + 200, 600))
    store = SQLiteEventStore(path)
    try:
        node = LedgerNode.open(path, store)
        state = State()
        batch: list[NewEvent] = []
        head = 0

        def flush() -> None:
            nonlocal head, batch
            if batch:
                store.append(PRODUCTION, head, batch, checkpoint=node.checkpoint_hook)
                head += len(batch)
                batch = []

        setup = w.setup()
        stream = w.handovers()
        day_events = 0
        day = ""
        for raw in setup:
            for e in handle(state, parse_command(raw)).events:
                state = evolve(state, e)
                batch.append(NewEvent(e.type, e.actor, e.at, e.data))
        flush()
        while day_events < n:
            raw = next(stream)
            for e in handle(state, parse_command(raw)).events:
                state = evolve(state, e)
                batch.append(NewEvent(e.type, e.actor, e.at, e.data))
                day_events += 1
                day = day or e.at[:10]
            if len(batch) >= BATCH:
                flush()
        flush()
        return day, day_events
    finally:
        store.close()


def _read(path: Path) -> float:
    t0 = time.perf_counter()
    store = SQLiteEventStore(path)
    try:
        for _seq, payload in store.read_payloads(PRODUCTION, 0):
            json.loads(payload)
    finally:
        store.close()
    return time.perf_counter() - t0


def _report(path: Path, day: str, out: Path) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    store = SQLiteEventStore(path)
    try:
        node = LedgerNode.open(path, store)
        source = load_source(store, PRODUCTION, node.key_fingerprint)
    finally:
        store.close()
    doc = document.daily(source, day)
    pdf, pages = render_pdf_counted(doc)
    out.write_bytes(pdf)
    elapsed = time.perf_counter() - t0
    return elapsed, len(doc.rows), pages


def run(n: int = 2000, rounds: int = 3, directory: Path | None = None) -> dict[str, Any]:
    """Median seconds of `rounds` runs of reads and of the daily log PDF, on one fresh store."""
    base = Path(tempfile.mkdtemp(prefix="showclear-bench-report-", dir=directory))
    path = base / "report.db"
    day, day_events = build_day_store(path, n)
    store = SQLiteEventStore(path)
    try:
        events = store.head(PRODUCTION)
    finally:
        store.close()
    reads: list[float] = []
    reports: list[float] = []
    rows = pages = 0
    for _ in range(rounds):
        reads.append(_read(path))
        seconds, rows, pages = _report(path, day, base / "daily.pdf")
        reports.append(seconds)
    read_s = statistics.median(reads)
    report_s = statistics.median(reports)
    return {
        "events": events,
        "day": day,
        "day_events": day_events,
        "rows": rows,
        "pages": pages,
        "read_s": round(read_s, 4),
        "report_s": round(report_s, 3),
        "ratio_vs_read": round(report_s / read_s, 1) if read_s > 0 else None,
        "target_s": TARGET_SECONDS,
        "target_met": report_s < TARGET_SECONDS,
        "rounds": rounds,
        "pdf": str(base / "daily.pdf"),
    }


def register(bench_app: typer.Typer) -> None:
    """Add `showclear bench report` to the bench app."""

    @bench_app.command("report")
    def report_cmd(
        events: Annotated[
            int, typer.Option("--events", min=1, help="Events on the day of the log.")
        ] = 2000,
        rounds: Annotated[
            int, typer.Option("--rounds", min=1, help="Runs; medians are reported.")
        ] = 3,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print one JSON object and nothing else.")
        ] = False,
        directory: Annotated[
            Path | None,
            typer.Option("--dir", help="Where the store and the PDF go.", file_okay=False),
        ] = None,
    ) -> None:
        """Daily firearms log PDF of a day of EVENTS events, next to reading those events.

        Example: [bold]showclear bench report --events 2000 --json[/bold]
        """
        result = run(events, rounds, directory)
        if json_out:
            print(json.dumps(result))
            return
        console = Console(highlight=False)
        table = Table(title=f"bench report: daily log of {result['day_events']:,} events "
                            f"(medians of {rounds})")  # fmt: skip
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_row("read events from the store", f"{result['read_s']:.4f} s")
        table.add_row("daily log PDF (end to end)", f"{result['report_s']:.2f} s")
        table.add_row("ratio report / read", f"{result['ratio_vs_read']}x")
        table.add_row("rows / pages", f"{result['rows']} / {result['pages']}")
        met = "[green]met[/green]" if result["target_met"] else "[red]missed[/red]"
        table.add_row(f"target < {TARGET_SECONDS:.0f} s", met)
        console.print(table)
