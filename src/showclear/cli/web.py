"""`showclear serve` and `showclear pin set`: registered on the main Typer app by `register`."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from showclear.app.delivery import RetryPolicy
from showclear.app.demo import DEMO, ensure_demo
from showclear.app.signin import pin_problem
from showclear.bootstrap import AlertSettings, Security, open_node, open_sync_endpoint, start_sync
from showclear.cli.options import console, err, read_pin, shown


class AlertMode(StrEnum):
    send = "send"
    log = "log"
    off = "off"


class SmtpSecurity(StrEnum):
    none = "none"
    starttls = "starttls"
    ssl = "ssl"


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
    alerts: Annotated[
        AlertMode,
        typer.Option(
            "--alerts",
            envvar="SHOWCLEAR_ALERTS",
            help="send: e-mail (with --smtp-host) and Apprise URLs; log: write each alert "
            "delivery to the server log instead; off: no delivery sent or recorded (alerts are "
            "still raised and shown, and wait in the outbox).",
            case_sensitive=False,
        ),
    ] = AlertMode.send,
    smtp_host: Annotated[
        str | None,
        typer.Option(
            "--smtp-host",
            envvar="SHOWCLEAR_SMTP_HOST",
            help="SMTP server for alert e-mails (none: e-mail deliveries fail, recorded as such).",
        ),
    ] = None,
    smtp_port: Annotated[
        int | None,
        typer.Option(
            "--smtp-port",
            envvar="SHOWCLEAR_SMTP_PORT",
            min=1,
            max=65535,
            help="SMTP port (by default 465 with ssl, 587 with starttls, else 25).",
        ),
    ] = None,
    smtp_security: Annotated[
        SmtpSecurity,
        typer.Option(
            "--smtp-security",
            envvar="SHOWCLEAR_SMTP_SECURITY",
            case_sensitive=False,
            help="none, starttls or ssl (implicit TLS).",
        ),
    ] = SmtpSecurity.none,
    smtp_from: Annotated[
        str,
        typer.Option(
            "--smtp-from", envvar="SHOWCLEAR_SMTP_FROM", help="The From: address of alert e-mails."
        ),
    ] = "showclear@localhost",
    smtp_user: Annotated[
        str | None,
        typer.Option(
            "--smtp-user",
            envvar="SHOWCLEAR_SMTP_USER",
            help="SMTP login; the password is read from SHOWCLEAR_SMTP_PASSWORD only "
            "(never a flag: flags show in the process list).",
        ),
    ] = None,
    alert_attempts: Annotated[
        int,
        typer.Option(
            "--alert-attempts",
            envvar="SHOWCLEAR_ALERT_ATTEMPTS",
            min=1,
            max=20,
            help="Tries per delivery before it is recorded as failed.",
        ),
    ] = 5,
    alert_backoff: Annotated[
        float,
        typer.Option(
            "--alert-backoff",
            envvar="SHOWCLEAR_ALERT_BACKOFF",
            min=0.1,
            max=3600,
            help="Seconds before the first retry; doubled after each failure.",
        ),
    ] = 30.0,
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
    """Run the tablet web app and REST API (FastAPI on uvicorn), the watchdogs' timer (deadlines
    such as SC-C07's fall due every 10 s with nobody at a screen) and alert delivery to the
    addresses set on the People screen.

    Example: [bold]showclear serve --db demo.db --demo[/bold], then open http://127.0.0.1:8000;
    the studio: [bold]showclear serve --store postgresql://studio@db/showclear --keys DIR[/bold]

    Alerts by e-mail: [bold]showclear serve --db set.db --smtp-host mail.example.org
    --smtp-security starttls --smtp-from showclear@example.org --smtp-user showclear[/bold]
    with SHOWCLEAR_SMTP_PASSWORD in the environment.
    """
    from showclear.web.app import create_app  # the web stack loads only for this command
    from showclear.web.background import serve

    if store is not None and db is not None:
        err.print("[red]Give either --db (a set node) or --store (the studio), not both.[/red]")
        raise typer.Exit(2)
    where = studio_store(store) if store is not None else db or Path("showclear.db")
    security: Security = smtp_security.value
    port_default = {"ssl": 465, "starttls": 587}.get(security, 25)
    settings = AlertSettings(
        mode=alerts.value,
        smtp_host=smtp_host or None,
        smtp_port=smtp_port or port_default,
        smtp_from=smtp_from,
        smtp_security=security,
        smtp_user=smtp_user or None,
        smtp_password=os.environ.get("SHOWCLEAR_SMTP_PASSWORD") or None,
        retry=RetryPolicy(max_attempts=alert_attempts, first_backoff=alert_backoff),
    )
    witness = open_sync_endpoint(where, keys) if store is not None else None
    app = create_app(
        open_node(where, threaded=True, keys=keys),
        secure_cookies=secure_cookies,
        alerts=settings,
        witness=witness,
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
    sent_by = f"e-mail via {shown(smtp_host)}" if smtp_host else "no e-mail (no --smtp-host)"
    console.print(
        f"Alerts: {alerts.value}" + (f", {sent_by}, Apprise URLs" if alerts.value == "send" else "")
    )
    if store is not None and app.state.witness is None:
        err.print("[yellow]No co-signing key in the studio's key folder: the sync endpoint is "
                  "off. Create it with `showclear studio init`.[/yellow]")  # fmt: skip
    loop = start_sync(where, studio, studio_key) if studio is not None else None
    try:
        serve(app, host, port)
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
