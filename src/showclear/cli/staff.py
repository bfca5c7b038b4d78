"""`showclear staff`: the studio's own staff, who sign in to the studio dashboard."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from showclear.app.signin import pin_problem
from showclear.app.studio_board import STUDIO_SIGNIN
from showclear.bootstrap import open_node
from showclear.cli.options import console, err, read_pin, shown
from showclear.domain.limits import id_problem, text_problem
from showclear.ports import STUDIO_ROLES, StudioMember

staff_app = typer.Typer(
    help="The studio's staff (studio_admin, studio_safety): who may sign in to the studio "
    "dashboard of `showclear serve --store`."
)

StoreOption = Annotated[
    str, typer.Option("--store", help="The studio's PostgreSQL database (postgresql://...).")
]


def _studio(store: str) -> str:
    if not store.lower().startswith(("postgresql://", "postgres://")):
        err.print(f"[red]--store takes the studio's PostgreSQL URL, not {shown(store)}.[/red]")
        raise typer.Exit(2)
    return store


@staff_app.command("add")
def add(
    store: StoreOption,
    person: Annotated[str, typer.Option("--person", help="Their person ID (on their badge).")],
    name: Annotated[str, typer.Option("--name", help="Their name, as the dashboard shows it.")],
    role: Annotated[
        str, typer.Option("--role", help="studio_admin (administrator) or studio_safety.")
    ],
    pin: Annotated[
        bool, typer.Option("--pin/--no-pin", help="Set their PIN now (asked twice, hidden).")
    ] = True,
) -> None:
    """Add a person to the studio's staff (or change their name or role) and set their PIN.

    Example: [bold]showclear staff add --store postgresql://studio@db/showclear --person
    s.okafor --name "Sam Okafor" --role studio_safety[/bold]
    """
    store = _studio(store)
    for field, problem in (("--person", id_problem(person)), ("--name", text_problem(name))):
        if problem:
            err.print(f"[red]{field}: {shown(problem)}[/red]")
            raise typer.Exit(2)
    if not name.strip():
        err.print("[red]--name: give the person's name.[/red]")
        raise typer.Exit(2)
    if role not in STUDIO_ROLES:
        err.print(f"[red]--role: one of {', '.join(STUDIO_ROLES)}, not {shown(role)}.[/red]")
        raise typer.Exit(2)
    new_pin = read_pin() if pin else None
    if new_pin is not None and (problem := pin_problem(new_pin)):
        err.print(f"[red]{problem}[/red]")
        raise typer.Exit(2)
    with open_node(store, ledger=False) as node:
        assert node.studio is not None and node.auth is not None
        node.studio.reads.add_member(StudioMember(person, name.strip(), role), by="cli")
        if new_pin is not None:
            node.auth.set_pin(STUDIO_SIGNIN, person, new_pin, set_by="cli")
    console.print(f"{shown(person)} is on the studio's staff as {role}.")


@staff_app.command("list")
def list_staff(
    store: StoreOption,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The studio's staff and whether each has a PIN."""
    with open_node(_studio(store), ledger=False) as node:
        assert node.studio is not None and node.auth is not None
        members = node.studio.reads.members()
        with_pins = node.auth.people_with_pins(STUDIO_SIGNIN)
    for m in members:
        row = {"person": m.person, "name": m.name, "role": m.role, "has_pin": m.person in with_pins}
        if json_out:
            print(json.dumps(row))
        else:
            console.print(f"{shown(m.person)}  {shown(m.name)}  {m.role}  "
                          f"{'PIN set' if row['has_pin'] else 'no PIN'}")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(staff_app, name="staff")


__all__ = ["register"]
