"""The `showclear` command line (Typer + Rich). Thin: every command calls the application.

One module per command group, registered here in the order --help lists them:

    store.py    init, events, status          web.py      serve, pin set
    demo.py     demo                          ledger.py   verify, export, proof, verify-proof
    reports.py  report ..., labels            drill.py    drill run
    sync.py     sync, writer move             studio.py   studio init, enroll, ...
    staff.py    staff add, staff list
    showclear.bench.cli                       bench ...

Shared options, the consoles and the one error boundary live in options.py.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from showclear import __version__
from showclear.bench.cli import bench_app
from showclear.cli import demo, drill, ledger, reports, staff, store, studio, sync, web
from showclear.cli.help import _reflow, reflow_help
from showclear.cli.options import console, debug, exit_on_failure

__all__ = ["_reflow", "app"]


class _Showclear(typer.Typer):
    """The `showclear` command, with one error boundary around every subcommand."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            exit_on_failure(exc)


app = _Showclear(
    name="showclear",
    help=(
        "ShowClear keeps the chain of custody of every firearm and round on a film set, and "
        "refuses what breaks the safety rules (docs/rules.md).\n\n"
        "Start with [bold]showclear demo[/bold], or replay a day with "
        "[bold]showclear drill run drills/rust-day.jsonl[/bold]."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    debug_flag: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="On an error, show the full Python traceback instead of one line.",
        ),
    ] = False,
) -> None:
    """Every command prints an error as one line on stderr and exits 1 (the command could not
    do its work) or 2 (the input or the usage is wrong); --debug shows the traceback too."""
    debug["on"] = debug_flag
    if version:
        console.print(f"showclear {__version__}")
        raise typer.Exit()


app.add_typer(drill.drill_app, name="drill")
app.add_typer(bench_app, name="bench", help="Benchmarks: append and rebuild, against baselines.")
store.register(app)  # init, events, status
demo.register(app)  # demo
web.register(app)  # serve, pin
ledger.register(app)  # verify, export, proof, verify-proof
reports.register(app)  # report, labels
sync.register(app)  # sync, writer move
studio.register(app)  # studio init, enroll, move-writer, alerts, serve-sync
staff.register(app)  # staff add, staff list (the studio dashboard's staff)
reflow_help(app)
