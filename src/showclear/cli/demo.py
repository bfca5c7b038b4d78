"""`showclear demo`: a demo production in SQLite, its board, and the Rust day replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from showclear.app.drills import DrillRun
from showclear.bootstrap import open_node
from showclear.cli.board import print_board
from showclear.cli.options import console

DEMO_DRILL = "action-day.jsonl"  # a well-run action day: production "demo"
RUST_DRILL = "rust-day.jsonl"


def load_demo(db: Path, drills: Path, console: Console) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if not (drills / DEMO_DRILL).exists():
        raise SystemExit(f"Demo drills not found in {drills}; run from a ShowClear checkout.")
    node = open_node(db, signin=False)
    try:
        day = list(DrillRun(node.app).run((drills / DEMO_DRILL).open(encoding="utf-8")))
        rust_run = DrillRun(node.app)
        rust = list(rust_run.run((drills / RUST_DRILL).open(encoding="utf-8")))
        console.rule("Demo production: a well-run action day")
        print_board(node.app.state("demo"))
        refused = sum(r.verdict == "refused" for r in day)
        console.print(f"{len(day)} commands replayed, {refused} refused.")
        console.rule('The "Rust" day, 21 October 2021: where ShowClear stops it')
        for r in rust:
            if r.verdict == "refused" or r.alerts:
                console.print(
                    f"[bold]line {r.line}[/bold] {r.type}: [red]{r.verdict.upper()}[/red] "
                    f"{' '.join(r.rules + r.alerts)}",
                    soft_wrap=True,
                )
                console.print(f"    {r.message}", soft_wrap=True, style="dim")
        console.print(f"\nStore: [bold]{db}[/bold]. Try: showclear status --db {db} -p demo")
    finally:
        node.close()


DRILLS_DIR = Path(__file__).resolve().parents[3] / "drills"


def demo(
    db: Annotated[Path, typer.Option("--db", help="Where to write the demo store.")] = Path(
        "demo.db"
    ),
) -> None:
    """Load a demo production from the drills into SQLite, show its board, and show where
    ShowClear stopped the "Rust" day and why."""
    load_demo(db, DRILLS_DIR, console)


def register(app: typer.Typer) -> None:
    app.command()(demo)
