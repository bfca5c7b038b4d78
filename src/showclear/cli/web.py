"""`showclear serve` and `showclear pin set`: registered on the main Typer app by `register`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from showclear.app.demo import DEMO, ensure_demo
from showclear.app.signin import pin_problem
from showclear.bootstrap import open_node, open_sync_endpoint, start_sync
from showclear.cli.options import console, err, read_pin, shown

pin_app = typer.Typer(help="PINs for signing in to the web app (stored as argon2id hashes).")


def serve(
    db: Annotated[
        Path | None,
        typer.Option("--db", help="SQLite store file (created if missing; default showclear.db)."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Serve the studio from this PostgreSQL database instead (postgresql://...): "
            "every production, the studio dashboard at /studio/, the same screens and API.",
        ),
    ] = None,
    keys: Annotated[
        Path | None,
        typer.Option(
            "--keys",
            help="Folder of the node's signing keys (default: <db>.keys/; with --store, "
            "$SHOWCLEAR_KEYS).",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Load the demo production `demo` and its documented PINs."),
    ] = False,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Always mark cookies Secure (behind an https proxy). Without it they are "
            "Secure only on https requests, so plain http on loopback works.",
        ),
    ] = False,
    studio: Annotated[
        str | None,
        typer.Option(
            "--studio",
            help="Sync to this studio (http://HOST:PORT) in the background, retrying with "
            "backoff while it cannot be reached.",
        ),
    ] = None,
    studio_key: Annotated[
        Path | None,
        typer.Option("--studio-key", help="The studio's verifier key file (first sync only)."),
    ] = None,
) -> None:
    """Run the tablet web app and REST API (FastAPI on uvicorn).

    Example: [bold]showclear serve --db demo.db --demo[/bold], then open http://127.0.0.1:8000;
    the studio: [bold]showclear serve --store postgresql://studio@db/showclear --keys DIR[/bold]
    """
    import uvicorn

    from showclear.web.app import create_app  # the web stack loads only for this command

    if store is not None and db is not None:
        err.print("[red]Give either --db (a set node) or --store (the studio), not both.[/red]")
        raise typer.Exit(2)
    where = studio_store(store) if store is not None else db or Path("showclear.db")
    witness = open_sync_endpoint(where, keys) if store is not None else None
    app = create_app(
        open_node(where, threaded=True, keys=keys), secure_cookies=secure_cookies, witness=witness
    )
    ctx = app.state.ctx
    url = f"http://{host}:{port}"
    if demo:
        rows = ensure_demo(ctx.app, ctx.auth)
        t = Table(title=f"Demo production '{DEMO}': sign in with a person and their PIN")
        for col in ("Person", "Name", "Roles", "PIN"):
            t.add_column(col)
        for row in rows:
            t.add_row(*row)
        console.print(t)
        console.print(
            f"Open [bold]{url}/p/{DEMO}/[/bold] and sign in as [bold]arm[/bold] (PIN 2002) "
            "for the armorer's cart screen; witnesses confirm a handover with their own PIN."
        )
    else:
        console.print(f"ShowClear on [bold]{shown(url)}[/bold] (store {shown(where)})")
    if store is not None and app.state.witness is None:
        err.print("[yellow]No co-signing key in the studio's key folder: the sync endpoint is "
                  "off. Create it with `showclear studio init`.[/yellow]")  # fmt: skip
    loop = start_sync(where, studio, studio_key) if studio is not None else None
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
    finally:
        if loop is not None:
            loop.stop()


@pin_app.command("set")
def pin_set(
    db: Annotated[Path, typer.Option("--db", help="SQLite store file.")],
    production: Annotated[str, typer.Option("--production", "-p", help="Production ID.")],
    person: Annotated[str, typer.Option("--person", help="Person ID on that production.")],
) -> None:
    """Set a person's PIN (asked twice, hidden). Only its argon2id hash is stored; the change
    is recorded in the ledger (`pin_set` or `pin_reset`, never the PIN) and a replaced PIN ends
    every session of that person, also on a server running on the same store."""
    if not db.exists():
        err.print(f"[red]No store at {shown(db)}.[/red]")
        raise typer.Exit(2)
    with open_node(db) as node:
        state = node.app.service.state(production)
        if state.production is None:
            err.print(f"[red]No production {shown(repr(production))} in {shown(db)}.[/red]")
            raise typer.Exit(2)
        if person not in state.people:
            err.print(f"[red]No person {shown(repr(person))} on {shown(production)}.[/red]")
            raise typer.Exit(2)
        pin = read_pin()
        problem = pin_problem(pin)
        if problem:
            err.print(f"[red]{problem}[/red]")
            raise typer.Exit(2)
        assert node.auth is not None
        node.auth.set_pin(production, person, pin, set_by="cli")
    console.print(f"PIN set for {shown(person)} on {shown(production)}.")


def studio_store(store: str) -> str:
    """A --store value: a PostgreSQL URL (a set node's file is given with --db)."""
    if not store.lower().startswith(("postgresql://", "postgres://")):
        err.print(
            f"[red]--store takes a PostgreSQL URL (postgresql://...), not {shown(store)}.[/red] "
            "A set node's SQLite file is given with --db."
        )
        raise typer.Exit(2)
    return store


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(pin_app, name="pin")
