"""`showclear init`, `events` and `status`: a node's store, its record and its board."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from showclear.app.new_production import open_new_production, policy_option
from showclear.bootstrap import kept_cosignatures, open_node
from showclear.cli.board import print_board
from showclear.cli.options import (
    DbOption,
    JsonFlag,
    ProductionOption,
    console,
    err,
    node_at,
    pick_production,
    shown,
)
from showclear.domain import Malformed
from showclear.domain.state import State
from showclear.views.board import board


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
    try:
        changes = policy_option(policy or [])
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    node = open_node(db, signin=False)
    ledger = node.ledger
    assert ledger is not None
    try:
        if production is not None:
            open_new_production(node.app, production, title or production, producer, name,
                                changes, datetime.now().astimezone())  # fmt: skip
            policy_now = node.app.state(production).policy.as_dict()
    except (Malformed, ValueError) as exc:
        err.print(f"[red]Production not opened:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        node.close()
    console.print(f"Store ready at [bold]{shown(db)}[/bold].")
    console.print(f"Ledger origin: {ledger.origin}")
    console.print(f"Signing key fingerprint: [bold]{ledger.key_fingerprint}[/bold]")
    console.print(f"Verifier key: {ledger.verifier.vkey()}", soft_wrap=True)
    if production is not None:
        console.print(f"Production [bold]{production}[/bold] opened by {producer}; policy: "
                      + ", ".join(f"{k}={json.dumps(v)}" for k, v in policy_now.items()),
                      soft_wrap=True)  # fmt: skip
        console.print(f"Next: showclear pin set --db {db} -p {production} --person {producer}")


def events(
    db: DbOption,
    json_out: JsonFlag = False,
    production: ProductionOption = None,
) -> None:
    """List stored events in order (refusals and alerts included).

    Example: [bold]showclear events --db set.db --json[/bold]
    """
    with node_at(db, ledger=False) as node:
        store = node.backend
        assert store is not None
        source = store.read(production) if production else store.read_all()
        for e in source:
            env = json.loads(e.payload)
            if json_out:
                env.update(
                    position=e.position, recorded_at=e.recorded_at, leaf_hash=e.leaf_hash.hex()
                )
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


def _state_and_ledger(db: Path, production: str | None) -> tuple[State, dict[str, Any]]:
    with node_at(db) as node:
        assert node.ledger is not None
        name = pick_production([p for p, _ in node.app.productions()], production)
        kept = kept_cosignatures(node.backend)
        cosigned = kept.cosignatures(name) if kept is not None else []
        # The largest tree the studio co-signed (null: never synced, or not accepted yet).
        size = cosigned[-1].tree_size if cosigned else None
        return node.app.state(name), {**node.ledger.status(name), "cosigned_tree_size": size}


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
            f"Signing key: {ledger['key_fingerprint']}\n"
            f"Co-signed by the studio up to: {ledger['cosigned_tree_size'] or 'none yet'}",
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(events)
    app.command()(status)
