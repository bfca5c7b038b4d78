"""`showclear drill run`: replay a drill file (JSON Lines) and print a verdict per line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from showclear.app.drills import DrillRun, LineResult, summary
from showclear.bootstrap import open_node
from showclear.cli.options import JsonFlag, console, err, shown

drill_app = typer.Typer(help="Replay drills: shooting days written as JSON Lines (docs/drills.md).")


def read_text_lines(path: Path) -> list[str]:
    """A text file's lines, refused as a whole (one line, exit 2) if it is not UTF-8 text."""
    if not path.exists():
        err.print(f"[red]{shown(path)}: no such file.[/red]")
        raise typer.Exit(2)
    if path.is_dir():
        err.print(f"[red]{shown(path)} is a directory; give a drill file (.jsonl).[/red]")
        raise typer.Exit(2)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        err.print(
            f"[red]{shown(path)}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save it as UTF-8.[/red]"
        )
        raise typer.Exit(2) from None
    if "\x00" in text:
        err.print(f"[red]{shown(path)}: holds NUL bytes; a drill is a text file.[/red]")
        raise typer.Exit(2)
    return text.splitlines()


def _print_line(r: LineResult) -> None:
    colour = {"accepted": "green", "refused": "red", "error": "magenta"}[r.verdict]
    mark = "" if r.passed is None else (" [green]ok[/green]" if r.passed else " [red]FAIL[/red]")
    rules = shown(" ".join(r.rules))
    alerts = shown(" ".join(f"alert:{a}" for a in r.alerts))
    console.print(
        f"line {r.line:>4}  {shown(r.type or '?'):<20} [{colour}]{r.verdict.upper():<8}[/{colour}] "
        f"{rules} {alerts}{mark}".rstrip(),
        soft_wrap=True,
    )
    if r.verdict != "accepted" or r.alerts:
        console.print(f"           {shown(r.message)}", soft_wrap=True, style="dim")
    if r.passed is False and r.mismatch and r.verdict != "error":
        console.print(
            f"           [red]expectation failed: {shown(r.mismatch)}[/red]", soft_wrap=True
        )


@drill_app.command("run")
def drill_run(
    file: Annotated[Path, typer.Argument(help="The drill file (.jsonl).")],
    json_out: JsonFlag = False,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Persist into this SQLite store; each verdict is printed "
            "only once its events are durable.",
        ),
    ] = None,
) -> None:
    """Run a drill, line by line, and print each verdict; exit 0 only when nothing failed.

    The last line printed is [bold]N passed, M failed[/bold] (lines with an `expect`, plus
    every malformed line).

    Examples:

      showclear drill run drills/rust-day.jsonl

      showclear drill run drills/action-day.jsonl --json --db day.db
    """
    lines = read_text_lines(file)  # all of it, before anything is recorded
    node = open_node(db, signin=False)
    run = DrillRun(node.app)
    results: list[LineResult] = []
    try:
        for r in run.run(lines):
            results.append(r)
            if json_out:
                sys.stdout.write(json.dumps(r.as_json()) + "\n")
                sys.stdout.flush()
            else:
                _print_line(r)
    finally:
        node.close()
    passed, failed = summary(results)
    print(f"{passed} passed, {failed} failed", flush=True)
    raise typer.Exit(0 if failed == 0 else 1)
