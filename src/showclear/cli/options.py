"""What every command group shares: the consoles, the options, opening a node, naming a
production, printing recorded text safely, and the one error boundary (one line on stderr,
exit 1 or 2)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from showclear.bootstrap import Audit, Node, open_audit, open_node
from showclear.domain.limits import printable
from showclear.errors import classify

console = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error is one line

DbOption = Annotated[
    Path, typer.Option("--db", help="SQLite store file (created by `showclear init`).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
ProductionOption = Annotated[
    str | None,
    typer.Option("--production", "-p", help="Production ID (default: the only one in the store)."),
]
OutOption = Annotated[
    Path, typer.Option("--output", "-o", help="Where to write the report: FILE.pdf or FILE.csv.")
]
DayOption = Annotated[
    str | None,
    typer.Option("--day", help="The shooting day, YYYY-MM-DD (default: the latest day started)."),
]
KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Pin a trusted verifier key file (.vkey); default: the node's key in <db>.keys/ "
        "or the bundle's own key.",
    ),
]

debug = {"on": False}  # set by --debug, before any subcommand runs


def shown(value: object) -> str:
    """Recorded data as it may be printed: Rich would read `[...]` in it as markup, and a
    terminal would obey control characters in it; neither may happen."""
    return escape(printable(str(value), 100_000))


def shown_all(value: Any) -> Any:
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {k: shown_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shown_all(v) for v in value]
    return value


def no_store(db: Path, hint: bool = True) -> typer.Exit:
    tail = f" Create one with: showclear init --db {shown(db)}" if hint else ""
    err.print(f"[red]No store at {shown(db)}.[/red]{tail}")
    return typer.Exit(2)


def node_at(db: Path, *, ledger: bool = True) -> Node:
    """The node on an existing store (a missing one: one line, exit 2; nothing is created)."""
    if not db.exists():
        raise no_store(db)
    return open_node(db, ledger=ledger, signin=False)


def audit_at(db: Path) -> Audit:
    """The store at `db` opened for reading its ledger (a missing one: exit 2)."""
    if not db.exists():
        raise no_store(db, hint=False)
    return open_audit(db)


def read_pin() -> str:
    """Asked twice, hidden, on a terminal; from a script, the first line of stdin (and a
    second line, when given, must repeat it)."""
    if sys.stdin.isatty():
        return str(typer.prompt("New PIN", hide_input=True, confirmation_prompt=True))
    first, again = sys.stdin.readline().strip(), sys.stdin.readline().strip()
    if again and again != first:
        err.print("[red]The two PINs differ.[/red]")
        raise typer.Exit(2)
    return first


def pick_production(known: list[str], production: str | None) -> str:
    """The production asked for, or the only one; otherwise one line and exit 2."""
    if production is not None:
        if production not in known:
            err.print(f"[red]No production {shown(repr(production))} in this store.[/red] "
                      f"Known: {shown(', '.join(known) or 'none')}")  # fmt: skip
            raise typer.Exit(2)
        return production
    if len(known) != 1:
        err.print(
            "[red]Name the production with --production.[/red] In this store: "
            + shown(", ".join(known) or "none")
        )
        raise typer.Exit(2)
    return known[0]


def failure(exc: BaseException) -> tuple[int, str]:
    """An expected failure as (exit status, one line for a person): 2 when the input or the
    usage is wrong, 1 when the command could not do its work (the store, a file, the disk)."""
    status, text = 1, f"{type(exc).__name__}: {exc}"
    known = classify(exc)
    if known is not None:
        status, text = known.exit_code, str(exc)
    elif isinstance(exc, IsADirectoryError):
        status, text = 2, f"{exc.filename}: is a directory; give a file"
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror or exc}"
    elif isinstance(exc, UnicodeDecodeError):
        status, text = 2, f"not UTF-8 text (a byte 0x{exc.object[exc.start]:02x} at {exc.start})"
    elif isinstance(exc, RecursionError):
        status, text = 2, "the input is nested too deeply to read"
    elif isinstance(exc, ValueError):
        status, text = 2, str(exc)
    else:
        text += " (an unexpected error; run again with --debug to see where)"
    return status, printable(" ".join(text.split()), 2000)


def exit_on_failure(exc: Exception) -> None:
    """Print `exc` as one line on stderr and exit with its status (--debug: re-raise)."""
    if debug["on"]:
        raise exc
    status, text = failure(exc)
    sys.stderr.write(f"showclear: {text}\n")
    sys.stderr.flush()
    raise SystemExit(status) from None
