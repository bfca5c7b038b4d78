"""The `showclear` command line (Typer + Rich). Thin: every command calls the service layer."""

from __future__ import annotations

import inspect
import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from showclear import __version__
from showclear.app.drills import DrillRun, LineResult, summary
from showclear.app.service import Service
from showclear.bench.cli import bench_app
from showclear.domain.state import State
from showclear.views.board import board


class _Showclear(typer.Typer):
    """The `showclear` command, with one error boundary around every subcommand."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if _debug["on"]:
                raise
            status, text = failure(exc)
            sys.stderr.write(f"showclear: {text}\n")
            sys.stderr.flush()
            raise SystemExit(status) from None


_debug = {"on": False}  # set by --debug, before any subcommand runs


def failure(exc: BaseException) -> tuple[int, str]:
    """An expected failure as (exit status, one line for a person): 2 when the input or the
    usage is wrong, 1 when the command could not do its work (the store, a file, the disk)."""
    from showclear.domain.limits import printable
    from showclear.domain.parsing import Malformed
    from showclear.ports import StoreError

    status, text = 1, f"{type(exc).__name__}: {exc}"
    if isinstance(exc, StoreError):  # busy, corrupt, not a store, read-only ...
        text = str(exc)
    elif isinstance(exc, sqlite3.Error):
        busy = "locked" in str(exc) or "busy" in str(exc)
        text = (
            f"the store is busy: another process is writing to it; try again ({exc})"
            if busy
            else f"the store cannot be used: {exc}"
        )
    elif isinstance(exc, IsADirectoryError):
        status, text = 2, f"{exc.filename}: is a directory; give a file"
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror or exc}"
    elif isinstance(exc, UnicodeDecodeError):
        status, text = 2, f"not UTF-8 text (a byte 0x{exc.object[exc.start]:02x} at {exc.start})"
    elif isinstance(exc, RecursionError):
        status, text = 2, "the input is nested too deeply to read"
    elif isinstance(exc, Malformed | ValueError):
        status, text = 2, str(exc)
    else:
        text += " (an unexpected error; run again with --debug to see where)"
    return status, printable(" ".join(text.split()), 2000)


app = _Showclear(
    name="showclear",
    help=(
        "ShowClear keeps the chain of custody of every firearm and round on a film set, and "
        "refuses what breaks the safety rules (see RULES.md).\n\n"
        "Start with [bold]showclear demo[/bold], or replay a day with "
        "[bold]showclear drill run drills/rust-day.jsonl[/bold]."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)
drill_app = typer.Typer(help="Replay drills: shooting days written as JSON Lines (DRILLS.md).")
app.add_typer(drill_app, name="drill")
app.add_typer(bench_app, name="bench", help="Benchmarks: append and rebuild, against baselines.")

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


def shown(value: object) -> str:
    """Recorded data as it may be printed: Rich would read `[...]` in it as markup, and a
    terminal would obey control characters in it; neither may happen."""
    from rich.markup import escape

    from showclear.domain.limits import printable

    return escape(printable(str(value), 100_000))


def _shown_all(value: Any) -> Any:
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {k: _shown_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown_all(v) for v in value]
    return value


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


def _open_store(db: Path, must_exist: bool = True) -> Any:
    from showclear.adapters.sqlite.store import SQLiteEventStore

    if must_exist and not db.exists():
        err.print(
            f"[red]No store at {shown(db)}.[/red] Create one with: showclear init --db {shown(db)}"
        )
        raise typer.Exit(2)
    return SQLiteEventStore(db)


def _pick_production(store: Any, production: str | None) -> str:
    known: list[str] = store.productions()
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


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="On an error, show the full Python traceback instead of one line.",
        ),
    ] = False,
) -> None:
    """Every command prints an error as one line on stderr and exits 1 (the command could not
    do its work) or 2 (the input or the usage is wrong); --debug shows the traceback too."""
    _debug["on"] = debug
    if version:
        console.print(f"showclear {__version__}")
        raise typer.Exit()


@app.command()
def init(
    db: DbOption = Path("showclear.db"),
    production: Annotated[
        str | None,
        typer.Option("--production", help="Also open a production with this ID in the store."),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="The production's title.")] = "",
    producer: Annotated[
        str, typer.Option("--producer", help="Person ID of the producer opening it.")
    ] = "producer",
    name: Annotated[str, typer.Option("--name", help="The producer's name.")] = "Producer",
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            help="KEY=VALUE: change a policy setting at creation (repeatable), e.g. "
            "daily_check=false or police_notice_minutes=null.",
        ),
    ] = None,
) -> None:
    """Create a store (and this node's signing key) for a production's set node, and optionally
    open a production in it.

    A production opened here starts with the safety switches of rules V and F on (approved
    vendors only, a police notice 30 minutes ahead, PPE and a medic and a written risk
    assessment for blank fire, the daily barrel check) unless --policy turns some off. Its
    producer is its first person; give them a PIN with `showclear pin set`.

    Examples: [bold]showclear init --db set.db[/bold]

      showclear init --db set.db --production north-light --title "North Light" --producer h.grant --name "Helen Grant"
    """  # noqa: E501
    from showclear.app.new_production import open_new_production, policy_option
    from showclear.bootstrap import open_service
    from showclear.domain import Malformed

    try:
        changes = policy_option(policy or [])
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    service = open_service(db)
    ledger = service.ledger
    assert service.store is not None and ledger is not None
    try:
        if production is not None:
            open_new_production(service, production, title or production, producer, name,
                                changes, datetime.now().astimezone())  # fmt: skip
    except (Malformed, ValueError) as exc:
        err.print(f"[red]Production not opened:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        service.store.close()
    console.print(f"Store ready at [bold]{shown(db)}[/bold].")
    console.print(f"Ledger origin: {ledger.origin}")
    console.print(f"Signing key fingerprint: [bold]{ledger.key_fingerprint}[/bold]")
    console.print(f"Verifier key: {ledger.verifier.vkey()}", soft_wrap=True)
    if production is not None:
        policy_now = service.state(production).policy.as_dict()
        console.print(f"Production [bold]{production}[/bold] opened by {producer}; policy: "
                      + ", ".join(f"{k}={json.dumps(v)}" for k, v in policy_now.items()),
                      soft_wrap=True)  # fmt: skip
        console.print(f"Next: showclear pin set --db {db} -p {production} --person {producer}")


# -- drills ------------------------------------------------------------------------------------


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
    from showclear.bootstrap import open_service

    lines = read_text_lines(file)  # all of it, before anything is recorded
    service = open_service(db) if db is not None else Service()
    store = service.store
    run = DrillRun(service)
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
        if store is not None:
            store.close()
    passed, failed = summary(results)
    print(f"{passed} passed, {failed} failed", flush=True)
    raise typer.Exit(0 if failed == 0 else 1)


# -- reading the record ------------------------------------------------------------------------


@app.command()
def events(
    db: DbOption,
    json_out: JsonFlag = False,
    production: ProductionOption = None,
) -> None:
    """List stored events in order (refusals and alerts included).

    Example: [bold]showclear events --db set.db --json[/bold]
    """
    store = _open_store(db)
    source = store.read(production) if production else store.read_all()
    for e in source:
        env = json.loads(e.payload)
        if json_out:
            env.update(position=e.position, recorded_at=e.recorded_at, leaf_hash=e.leaf_hash.hex())
            sys.stdout.write(json.dumps(env) + "\n")
        else:
            data = env["data"]
            gist = data.get("message") or " ".join(
                f"{k}={v}" for k, v in data.items() if v not in (None, [], {})
            )
            console.print(
                f"{shown(e.production)}#{e.seq:<5} {shown(e.at)}  {shown(e.actor):<10} "
                f"{shown(e.type):<22} {shown(gist)}",
                soft_wrap=True,
            )
    store.close()


def _state_for(db: Path, production: str | None) -> State:
    return _state_and_ledger(db, production)[0]


def _state_and_ledger(db: Path, production: str | None) -> tuple[State, dict[str, Any]]:
    from showclear.bootstrap import open_service

    _open_store(db).close()  # refuse a missing store before creating anything
    service = open_service(db)
    store = service.store
    assert store is not None and service.ledger is not None
    try:
        name = _pick_production(store, production)
        return service.state(name), service.ledger.status(name)
    finally:
        store.close()


def print_board(state: State) -> None:
    b = _shown_all(board(state))
    day = b["day"]
    head = f"[bold]{b['title']}[/bold] ({b['production']})   "
    head += f"day {day['day']}, armorer on duty {day['armorer']}" if day else "no day running"
    console.print(head)
    if b["stop"]:
        s = b["stop"]
        console.print(
            Panel(
                f"WORK STOPPED by {s['by']} at {s['at']}: {s['reason']}\n"
                f"Causes: {', '.join(s['causes'])}.  Sign-offs still needed: "
                f"{', '.join(s['missing_signoffs']) or 'none'}"
                + (
                    "\nAn incident with its cause must be filed first."
                    if s["incident_needed"]
                    else ""
                ),
                style="bold white on red",
            )
        )
    t = Table(title="Firearms", expand=False)
    for col in ("ID", "Kind", "Caliber", "Custodian", "Loaded", "Service"):
        t.add_column(col)
    for f in b["firearms"]:
        loaded = (
            ", ".join(f"{x['rounds']}×{f['loaded_kind']} ({x['lot']})" for x in f["loaded"])
            or "empty"
        )
        service = (
            "[green]in service[/green]"
            if f["in_service"]
            else f"[red]OUT: {f['out_of_service']}[/red]"
        )
        t.add_row(f["id"], f["kind"], f["caliber"], f["custodian_text"], loaded, service)
    console.print(t)
    t = Table(title="Ammunition lots", expand=False)
    for col in ("Lot", "Kind", "Caliber", "Received", "On hand", "In firearms", "Expended",
                "Location", "Status"):  # fmt: skip
        t.add_column(col)
    for lot in b["lots"]:
        status = (
            f"[red]QUARANTINED: {lot['quarantined']}[/red]"
            if lot["quarantined"]
            else ("usable" if lot["usable"] else "[yellow]not inspected[/yellow]")
        )
        t.add_row(lot["id"], lot["kind"], lot["caliber"], str(lot["received"]),
                  str(lot["on_hand"]), str(lot["in_firearms"]), str(lot["expended"]),
                  lot["custodian_text"], status)  # fmt: skip
    console.print(t)
    open_concerns = [c for c in b["concerns"] if not c["acknowledged_by"]]
    if open_concerns:
        console.print(f"[yellow]Unacknowledged concerns: {len(open_concerns)}[/yellow]")
        for c in open_concerns:
            console.print(f"  {c['id']} ({c['raised_by']}): {c['text']}")
    if b["incidents"]:
        console.print("Incidents: " + "; ".join(f"{i['id']}: {i['cause']}" for i in b["incidents"]))
    console.print(
        f"{b['head']} events, {b['refusal_count']} refusals, {b['alert_count']} alerts recorded."
    )


@app.command()
def status(db: DbOption, json_out: JsonFlag = False, production: ProductionOption = None) -> None:
    """The armory board: every firearm, its custodian and load; every lot; stop-work.

    Example: [bold]showclear status --db set.db[/bold]
    """
    state, ledger = _state_and_ledger(db, production)
    if json_out:
        sys.stdout.write(json.dumps({**board(state), **ledger}) + "\n")
    else:
        print_board(state)
        console.print(
            f"Ledger: {ledger['tree_size']} events, root {ledger['root_hash']}\n"
            f"Signing key: {ledger['key_fingerprint']}",
            soft_wrap=True,
        )


# -- demo --------------------------------------------------------------------------------------

DRILLS_DIR = Path(__file__).resolve().parents[3] / "drills"


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="Where to write the demo store.")] = Path(
        "demo.db"
    ),
) -> None:
    """Load a demo production from the drills into SQLite, show its board, and show where
    ShowClear stopped the "Rust" day and why."""
    from showclear.cli.demo import load_demo

    load_demo(db, DRILLS_DIR, console)


from showclear.cli.web import register as _register_web  # noqa: E402  (serve, pin)

_register_web(app)

from showclear.cli.ledger import register as _register_ledger  # noqa: E402  (verify, export, proof)

_register_ledger(app)

from showclear.cli.reports import register as _register_reports  # noqa: E402  (report, labels)

_register_reports(app)


def _reflow(text: str) -> str:
    """Docstrings are wrapped at 100 columns for the source; --help wraps to the terminal.

    In Rich markup mode Typer keeps single line breaks, which left ragged lines, so prose
    paragraphs are joined into one line each. Indented paragraphs (examples) stay as written.
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if any(line.startswith((" ", "\t")) for line in p.split("\n")) else " ".join(p.split())
        for p in paragraphs
    )


def _reflow_help(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        text = command.help or (command.callback.__doc__ if command.callback else None)
        if text:
            command.help = _reflow(text)
    for group in typer_app.registered_groups:
        if group.help:
            group.help = _reflow(group.help)
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


_reflow_help(app)
