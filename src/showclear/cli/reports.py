"""`showclear report daily|reconciliation|incident|firearm|inventory|prep` and `showclear labels`.

Registered on the main app by showclear.cli (``register(app)``). The output format follows the
file's extension: ``.pdf`` or ``.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from showclear.cli.options import (
    DayOption,
    DbOption,
    OutOption,
    ProductionOption,
    console,
    err,
    node_at,
    pick_production,
    shown,
)
from showclear.errors import NoCheckpoint
from showclear.views.source import Source, signed_source

report_app = typer.Typer(
    help="PDF and CSV reports, matched to the ledger: every page footer carries the signed "
    "checkpoint (tree size, root hash, signing key) it was produced from.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _source(db: Path, production: str | None) -> Source:
    """The report source: the events up to the latest signed checkpoint, and its seal."""
    with node_at(db) as node:
        assert node.backend is not None
        name = pick_production(node.backend.productions(), production)
        try:
            return signed_source(node.backend, node.ledger, name)
        except NoCheckpoint as e:
            err.print(f"[red]{shown(e)}[/red]")
            raise typer.Exit(2) from e


def _write(kind: str, db: Path, production: str | None, out: Path, **params: Any) -> None:
    from showclear.reports.csv_out import to_csv_bytes
    from showclear.reports.render import render_pdf
    from showclear.views import documents as document
    from showclear.views.report_tables import ReportError

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        err.print(f"[red]{shown(out)}: the output file must end in .pdf or .csv.[/red]")
        raise typer.Exit(2)
    source = _source(db, production)
    try:
        doc = document.build(kind, source, **params)
    except ReportError as e:
        err.print(f"[red]{shown(e)}[/red]")
        raise typer.Exit(2) from e
    data = render_pdf(doc) if suffix == ".pdf" else to_csv_bytes(doc)
    out.write_bytes(data)
    seal = doc.seal
    console.print(f"Wrote {shown(out)}: {shown(doc.title)}, {len(doc.rows)} rows.")
    console.print(
        f"From checkpoint: tree size {seal.tree_size}, root {seal.root_hash}, "
        f"key {seal.key_fingerprint}",
        soft_wrap=True,
    )


@report_app.command("daily")
def daily_cmd(db: DbOption, output: OutOption, day: DayOption = None,
              production: ProductionOption = None) -> None:  # fmt: skip
    """Daily firearms log: every receipt, inspection, verification, load, handover (with
    witnesses), return, discharge, misfire, refusal and override of the day, in time order.

    Example: [bold]showclear report daily --db set.db --day 2025-03-14 -o log.pdf[/bold]
    """
    _write("daily", db, production, output, day=day)


@report_app.command("reconciliation")
def reconciliation_cmd(db: DbOption, output: OutOption, day: DayOption = None,
                       production: ProductionOption = None) -> None:  # fmt: skip
    """Ammunition reconciliation per lot: received, expended, in firearms, on hand, reported,
    difference (from the day's wrap; live counts before it).

    Example: [bold]showclear report reconciliation --db set.db -o ammo.csv[/bold]
    """
    _write("reconciliation", db, production, output, day=day)


@report_app.command("incident")
def incident_cmd(
    db: DbOption,
    output: OutOption,
    incident: Annotated[str, typer.Option("--incident", help="The incident ID.")],
    window: Annotated[
        int,
        typer.Option(
            "--window", min=0, max=7 * 24 * 60, help="Minutes either side of the incident."
        ),
    ] = 60,
    production: ProductionOption = None,
) -> None:
    """Incident report: the incident, its cause, and every event around it, with refusals and
    alerts.

    Example: [bold]showclear report incident --db set.db --incident inc-1 -o inc-1.pdf[/bold]
    """
    _write("incident", db, production, output, incident=incident, window=window)


@report_app.command("firearm")
def firearm_cmd(
    db: DbOption,
    output: OutOption,
    firearm: Annotated[str, typer.Option("--firearm", help="The firearm ID.")],
    production: ProductionOption = None,
) -> None:
    """Custody history of one firearm across the whole production.

    Example: [bold]showclear report firearm --db set.db --firearm colt45 -o colt45.pdf[/bold]
    """
    _write("firearm", db, production, output, firearm=firearm)


@report_app.command("inventory")
def inventory_cmd(db: DbOption, output: OutOption,
                  production: ProductionOption = None) -> None:  # fmt: skip
    """Acquisition and disposition record, in the order of a bound book: for every firearm and
    lot, when it came in, from whom (with the vendor's licence), the invoice and what it is;
    when it left, how, to whom (or destroyed before whom) and the reference.

    Example: [bold]showclear report inventory --db set.db -o inventory.pdf[/bold]
    """
    _write("inventory", db, production, output)


@report_app.command("prep")
def prep_cmd(db: DbOption, output: OutOption, day: DayOption = None,
             production: ProductionOption = None) -> None:  # fmt: skip
    """The armorer's prep sheet for a day: firearms to pull by setup, lots to verify, performers
    missing training, missing notices, setups without PPE, medic or risk assessment, firearms
    without the day's barrel check, rentals due back.

    Example: [bold]showclear report prep --db set.db --day 2025-03-14 -o prep.pdf[/bold]
    """
    _write("prep", db, production, output, day=day)


def labels_cmd(
    db: DbOption,
    output: OutOption,
    paper: Annotated[str, typer.Option("--paper", help="a4 (3x7) or letter (3x10).")] = "a4",
    kind: Annotated[
        str, typer.Option("--kind", help="firearm, lot, container, person or all.")
    ] = "all",
    production: ProductionOption = None,
) -> None:
    """Printable QR label sheets (PDF) for firearms, lots, containers and badges.

    Each QR says ``<kind>:<id>``; scanning it into a screen's scan field selects that item.
    Example: [bold]showclear labels --db set.db --paper letter -o labels.pdf[/bold]
    """
    from showclear.reports.labels import LABEL_KINDS, LAYOUTS, labels_for, render_labels

    if paper not in LAYOUTS:
        err.print(f"[red]--paper must be one of: {', '.join(LAYOUTS)}.[/red]")
        raise typer.Exit(2)
    if kind != "all" and kind not in LABEL_KINDS:
        err.print(f"[red]--kind must be one of: {', '.join(LABEL_KINDS)}, all.[/red]")
        raise typer.Exit(2)
    if output.suffix.lower() != ".pdf":
        err.print(f"[red]{shown(output)}: label sheets are PDF files (.pdf).[/red]")
        raise typer.Exit(2)
    kinds = LABEL_KINDS if kind == "all" else (kind,)
    source = _source(db, production)
    output.write_bytes(render_labels(source.state, source.seal, paper, kinds))
    n = len(labels_for(source.state, kinds))
    console.print(f"Wrote {shown(output)}: {n} labels on {paper} ({LAYOUTS[paper].name}).")


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report", help="PDF and CSV reports matched to the ledger.")
    app.command("labels")(labels_cmd)
