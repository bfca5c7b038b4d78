"""`showclear studio ...`: the studio's side of sync (PostgreSQL): init, enroll, move-writer,
alerts, and serve-sync (the sync endpoint alone)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from showclear.app.studio import WriterMoveError
from showclear.bootstrap import close_studio, load_key_file, open_studio, studio_init
from showclear.cli.options import JsonFlag, console, err, shown

studio_app = typer.Typer(
    help="The studio server's sync: its key, who writes each production, alerts.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    str, typer.Option("--store", help="The studio's PostgreSQL store, postgresql://...")
]
KeysOption = Annotated[
    Path | None,
    typer.Option(
        "--keys",
        help="The studio's key folder, where its co-signing key is kept beside its ledger key "
        "pair (default: $SHOWCLEAR_KEYS).",
    ),
]
ProductionArg = Annotated[str, typer.Option("--production", "-p", help="Production ID.")]


@studio_app.command("init")
def init(store: StoreOption, keys: KeysOption = None) -> None:
    """Create the studio's schema and its co-signing key; print its verifier key.

    Give the verifier key to every set node once (`showclear sync --studio-key FILE`).

    Example: [bold]showclear studio init --store postgresql://showclear@db/showclear --keys K[/bold]
    """
    done = studio_init(store, keys)
    state = "created" if done.created else "already there"
    console.print(f"Studio schema at version {done.schema_version}; co-signing key {state} in "
                  f"[bold]{shown(done.keys)}[/bold]", soft_wrap=True)  # fmt: skip
    console.print(f"Studio verifier key: {done.verifier.vkey()}", soft_wrap=True)
    console.print(f"(also in {shown(done.keys / 'witness_ed25519.vkey')})", soft_wrap=True)


@studio_app.command("enroll")
def enroll(
    store: StoreOption,
    production: ProductionArg,
    key: Annotated[
        Path, typer.Option("--key", help="The set node's ledger verifier key (NODE.vkey).")
    ],
    keys: KeysOption = None,
) -> None:
    """Let the node holding that ledger key write the production (its first writer).

    Example: [bold]showclear studio enroll --store URL --production harbor --key set.db.keys/ledger_ed25519.vkey[/bold]
    """  # noqa: E501
    node_key = load_key_file(key)
    witness = open_studio(store, keys)
    try:
        record = witness.enroll(production, node_key)
    except WriterMoveError as e:
        err.print(f"[red]Not enrolled: {shown(e)}[/red]")
        raise typer.Exit(2) from None
    finally:
        close_studio(witness)
    console.print(f"Production [bold]{shown(production)}[/bold] is written by node "
                  f"{shown(node_key.name)} (writer version {record.version}).")  # fmt: skip


@studio_app.command("move-writer")
def move_writer(
    store: StoreOption,
    production: ProductionArg,
    key: Annotated[Path, typer.Option("--key", help="The new node's ledger verifier key.")],
    admin: Annotated[str, typer.Option("--admin", help="The studio administrator moving it.")],
    armorer: Annotated[
        str, typer.Option("--armorer", help="Person ID of the production's armorer agreeing.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (the old node is lost, ...).")],
    keys: KeysOption = None,
) -> None:
    """Move a production's writer when the old node is lost: a studio administrator together
    with the production's armorer. When the old node still works, sign the move there instead
    (`showclear writer move`)."""
    node_key = load_key_file(key)
    witness = open_studio(store, keys)
    try:
        record = witness.move_writer_by_studio(production, node_key, admin, armorer, reason)
    except WriterMoveError as e:
        err.print(f"[red]Writer not moved: {shown(e)}[/red]")
        raise typer.Exit(2) from None
    finally:
        close_studio(witness)
    console.print(f"Production [bold]{shown(production)}[/bold] is now written by node "
                  f"{shown(node_key.name)} (writer version {record.version}).")  # fmt: skip


@studio_app.command("alerts")
def alerts(store: StoreOption, json_out: JsonFlag = False, keys: KeysOption = None) -> None:
    """Refused pushes studio safety must see (forks, rewrites, forgeries, foreign nodes)."""
    witness = open_studio(store, keys)
    try:
        found = witness.records.sync_alerts()
    finally:
        close_studio(witness)
    for alert in found:
        if json_out:
            row = {
                "production": alert.production,
                "reason": alert.reason,
                "first_diverging": alert.first_diverging,
                "node": alert.node_key,
                "message": alert.message,
                "recorded_at": alert.recorded_at,
            }
            sys.stdout.write(json.dumps(row) + "\n")
        else:
            line = f"{alert.recorded_at} {alert.production} {alert.reason}: {alert.message}"
            console.print(shown(line), soft_wrap=True)


@studio_app.command("serve-sync")
def serve_sync(
    store: StoreOption,
    keys: KeysOption = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8100,
) -> None:
    """Serve the sync endpoint alone (no screens): set nodes push here with `showclear sync`.
    `showclear serve --store URL` serves it together with the studio's screens."""
    import uvicorn

    from showclear.web.app import create_witness_app

    witness = open_studio(store, keys)
    app = create_witness_app(witness, on_close=lambda: close_studio(witness))
    console.print(f"Studio sync on [bold]http://{shown(host)}:{port}/sync/v1[/bold]")
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)


def register(app: typer.Typer) -> None:
    app.add_typer(studio_app, name="studio")
