"""The armory board on a terminal (Rich tables): `showclear status` and `showclear demo`."""

from __future__ import annotations

from rich.panel import Panel
from rich.table import Table

from showclear.cli.options import console, shown_all
from showclear.domain.state import State
from showclear.views.board import board


def print_board(state: State) -> None:
    b = shown_all(board(state))
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
