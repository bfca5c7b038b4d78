"""`showclear bench report`: the daily firearms log PDF of a busy day, as people wait for it.

One production is set up, then one shooting day of about N events of the handover mix
(`showclear.bench.workload`, with ``commands_per_day`` large enough that the N events fall on
one day) is decided in memory and appended to a fresh SQLite store with this node's ledger
(one signed checkpoint per batch), so the report's footer is a real checkpoint.

Each round (at least 5 for figures; the order rotates), on the same file:

- report_cli_s: `showclear report daily --db FILE --day DAY -o log.pdf` in a fresh process,
  start to exit: what a person at the command line waits for (interpreter, imports, reading,
  folding, the document, drawing the PDF, writing the file). Its baseline,
  csv_cli_s: the same command writing the same log as CSV: everything but the PDF.
- report_web_s: the same PDF downloaded from the web app (`/p/{production}/reports/daily.pdf`,
  signed in, the server in its own process, started and warmed before the rounds). Its
  baseline, csv_web_s: the same download as CSV.
- report_inprocess_s: the PDF made in this (warm) process, and read_s: reading and parsing
  the production's events here (`read_payloads` + the rebuild's parser), for reference.

Figures are medians with min and max; the target is report_cli_s under 3 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from showclear.bench.stats import add_spread_rows, rotating_rounds
from showclear.bench.workload import PRODUCTION, HandoverWorkload

if TYPE_CHECKING:
    from collections.abc import Callable

BATCH = 500
TARGET_SECONDS = 3.0
PIN = "8642"
RESULT_KEYS = (
    "events",
    "day_events",
    "rows",
    "pages",
    "report_cli_s",
    "csv_cli_s",
    "report_web_s",
    "csv_web_s",
    "report_inprocess_s",
    "read_s",
)


def build_day_store(path: Path, n: int) -> tuple[str, int]:
    """Write the production's set-up and one day of about `n` events; (day, events that day)."""
    from showclear.bootstrap import ledger_for, open_store
    from showclear.domain import State, evolve, handle, parse_command
    from showclear.ports import NewEvent

    w = HandoverWorkload(commands_per_day=max(n + 200, 600))
    store = open_store(path)
    try:
        node = ledger_for(path, store)
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
        node.close()
        return day, day_events
    finally:
        store.close()


def _read(path: Path) -> float:
    from showclear.bootstrap import open_store
    from showclear.ledger.canonical import decode_payload

    t0 = time.perf_counter()
    store = open_store(path)
    try:
        for _seq, payload in store.read_payloads(PRODUCTION, 0):
            decode_payload(payload)
    finally:
        store.close()
    return time.perf_counter() - t0


def _report(path: Path, day: str, out: Path) -> tuple[float, int, int]:
    from showclear.bootstrap import open_node
    from showclear.reports.pdf import render_pdf_counted
    from showclear.views import documents as document
    from showclear.views.source import signed_source

    t0 = time.perf_counter()
    with open_node(path, signin=False) as node:  # as `showclear report` opens it
        assert node.backend is not None
        source = signed_source(node.backend, node.ledger, PRODUCTION)
    doc = document.daily(source, day)
    pdf, pages = render_pdf_counted(doc)
    out.write_bytes(pdf)
    elapsed = time.perf_counter() - t0
    return elapsed, len(doc.rows), pages


def _cli(path: Path, day: str, out: Path) -> float:
    """`showclear report daily` in a fresh process, start to exit."""
    showclear = str(Path(sys.executable).parent / "showclear")
    args = [showclear, "report", "daily", "--db", str(path), "--day", day, "-o", str(out)]
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"showclear report daily failed: {done.stdout}{done.stderr}")
    return elapsed


class _Web:
    """The web app in its own process, with a signed-in client (the reports need a session)."""

    def __init__(self, path: Path) -> None:
        import multiprocessing

        import httpx

        from showclear.bench.http import _serve, _wait_up
        from showclear.bootstrap import open_node
        from showclear.web.background import free_port

        with open_node(path) as node:
            assert node.auth is not None
            node.auth.set_pin(PRODUCTION, "arm", PIN, set_by="bench")
        port = free_port()
        self.proc = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(str(path), port), daemon=True
        )
        self.proc.start()
        url = f"http://127.0.0.1:{port}"
        _wait_up(url)
        self.client = httpx.Client(base_url=url, timeout=120)
        r = self.client.post(
            f"/api/productions/{PRODUCTION}/session", json={"person": "arm", "pin": PIN}
        )
        r.raise_for_status()

    def get(self, day: str, fmt: str) -> float:
        t0 = time.perf_counter()
        r = self.client.get(f"/p/{PRODUCTION}/reports/daily.{fmt}", params={"day": day})
        elapsed = time.perf_counter() - t0
        if r.status_code != 200 or not r.content:
            raise RuntimeError(f"daily.{fmt} from the web app: {r.status_code} {r.text[:200]}")
        return elapsed

    def close(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.join(10)


def run(
    n: int = 2000,
    rounds: int = 5,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every figure of the module doc, with its spread over the rounds, on one fresh store."""
    from showclear.bootstrap import open_store

    say = progress or (lambda _: None)
    base = Path(tempfile.mkdtemp(prefix="showclear-bench-report-", dir=directory))
    path = base / "report.db"
    day, day_events = build_day_store(path, n)
    store = open_store(path)
    try:
        events = store.head(PRODUCTION)
    finally:
        store.close()
    web = _Web(path)
    try:
        web.get(day, "pdf")  # warm: the server's first report loads its templates and fonts
        rows = pages = 0

        def inprocess() -> float:
            nonlocal rows, pages
            seconds, rows, pages = _report(path, day, base / "inprocess.pdf")
            return seconds

        steps: list[tuple[str, Callable[[], float]]] = [
            ("report_cli_s", partial(_cli, path, day, base / "cli.pdf")),
            ("csv_cli_s", partial(_cli, path, day, base / "cli.csv")),
            ("report_web_s", partial(web.get, day, "pdf")),
            ("csv_web_s", partial(web.get, day, "csv")),
            ("report_inprocess_s", inprocess),
            ("read_s", partial(_read, path)),
        ]
        result = rotating_rounds(steps, rounds, say, ("report_cli_s", TARGET_SECONDS))
    finally:
        web.close()
    result.update(
        events=events,
        day=day,
        day_events=day_events,
        rows=rows,
        pages=pages,
        pdf_over_csv_cli_s=result["report_cli_s"] - result["csv_cli_s"],
        pdf=str(base / "cli.pdf"),
    )
    return result


def register(bench_app: typer.Typer) -> None:
    """Add `showclear bench report` to the bench app."""

    @bench_app.command("report")
    def report_cmd(
        kind: Annotated[
            str,
            typer.Option("--kind", help="daily (the day's log) or inventory (the bound book)."),
        ] = "daily",
        firearms: Annotated[
            int, typer.Option("--firearms", min=1, help="--kind inventory: firearms.")
        ] = 2000,
        lots: Annotated[int, typer.Option("--lots", min=1, help="--kind inventory: lots.")] = 5000,
        events: Annotated[
            int, typer.Option("--events", min=1, help="Events on the day of the log.")
        ] = 2000,
        rounds: Annotated[
            int, typer.Option("--rounds", min=1, help="Rounds (5 or more for figures).")
        ] = 5,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print one JSON object and nothing else.")
        ] = False,
        directory: Annotated[
            Path | None,
            typer.Option("--dir", help="Where the store and the PDF go.", file_okay=False),
        ] = None,
    ) -> None:
        """Daily firearms log PDF of a day of EVENTS events: from the command line (a fresh
        process) and from the web app, each next to the same log as CSV. With --kind inventory:
        the acquisition and disposition record of FIREARMS firearms and LOTS lots, each
        acquired and disposed of, from the command line next to the same record as CSV.

        Example: [bold]showclear bench report --events 2000 --json[/bold]
        """
        import json

        from rich.console import Console
        from rich.table import Table

        err = Console(stderr=True, highlight=False)

        def say(message: str) -> None:
            if not json_out:
                err.print(f"[dim]{message}[/dim]")

        if kind not in ("daily", "inventory"):
            err.print("[red]--kind must be daily or inventory.[/red]")
            raise typer.Exit(2)
        if kind == "inventory":
            from showclear.bench import report_inventory

            found = report_inventory.run(firearms, lots, rounds, directory, progress=say)
            if json_out:
                print(json.dumps(found))
                return
            title = f"bench report --kind inventory: {found['rows']:,} rows, {found['pages']} "
            table = Table(title=title + f"pages ({rounds} rounds: median, min..max)")
            table.add_column("measure")
            table.add_column("seconds", justify="right")
            add_spread_rows(table, found, report_inventory.ROWS)
            met = "[green]met[/green]" if found["target_met"] else "[red]missed[/red]"
            table.add_row(f"target: CLI < {TARGET_SECONDS:.0f} s (median)", met)
            Console(highlight=False).print(table)
            return
        result = run(events, rounds, directory, progress=say)
        if json_out:
            print(json.dumps(result))
            return
        table = Table(title=f"bench report: daily log of {result['day_events']:,} events, "
                            f"{result['rows']} rows, {result['pages']} pages "
                            f"({rounds} rounds: median, min..max)")  # fmt: skip
        table.add_column("measure")
        table.add_column("seconds", justify="right")
        add_spread_rows(
            table,
            result,
            [
                ("report_cli_s", "showclear report daily -o log.pdf (fresh process)"),
                ("csv_cli_s", "  baseline: the same to log.csv"),
                ("report_web_s", "web app: daily.pdf"),
                ("csv_web_s", "  baseline: daily.csv"),
                ("report_inprocess_s", "in this process: the PDF"),
                ("read_s", "in this process: read the events"),
            ],
        )
        met = "[green]met[/green]" if result["target_met"] else "[red]missed[/red]"
        table.add_row(f"target: CLI < {TARGET_SECONDS:.0f} s (median)", met)
        Console(highlight=False).print(table)
