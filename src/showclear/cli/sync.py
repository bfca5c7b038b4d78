"""`showclear sync` (push a set node's ledger to the studio once) and `showclear writer move`
(hand a production on to another node)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from showclear.app.sync import Syncer, SyncError
from showclear.bootstrap import load_key_file, load_studio_key_file, open_syncer
from showclear.cli.options import DbOption, JsonFlag, console, err, no_store, shown
from showclear.ledger.cosignature import CosignatureVerifier
from showclear.ports import StudioLinkError

ToOption = Annotated[str, typer.Option("--to", help="The studio, http://HOST:PORT.")]
StudioKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--studio-key",
        help="The studio's verifier key file (printed by `showclear studio init`); needed at "
        "the first sync only: the node keeps it and trusts no other.",
    ),
]


def _open(db: Path, to: str, key: CosignatureVerifier | None) -> tuple[Syncer, Callable[[], None]]:
    try:
        return open_syncer(db, to, key)
    except (SyncError, StudioLinkError) as e:
        err.print(f"[red]{shown(e)}[/red]")
        raise typer.Exit(2) from None


writer_app = typer.Typer(help="Who writes a production at the studio.", no_args_is_help=True)


def sync(
    db: DbOption,
    to: ToOption,
    json_out: JsonFlag = False,
    studio_key: StudioKeyOption = None,
) -> None:
    """Push what the studio has not seen, once; keep its co-signatures.

    Exit status 0 only if every production was accepted. Safe to repeat or interrupt: a push
    is idempotent by production and sequence, and the next sync resumes.

    Example: [bold]showclear sync --db set.db --to http://studio:8000 --studio-key studio.vkey[/bold]
    """  # noqa: E501
    if not db.exists():
        raise no_store(db)
    key = load_studio_key_file(studio_key) if studio_key is not None else None
    syncer, close = _open(db, to, key)
    try:
        results = syncer.sync_all()
    finally:
        close()
    for result in results:
        if json_out:
            sys.stdout.write(json.dumps(result.as_json()) + "\n")
        elif result.error is None:
            state = "co-signed" if result.cosigned else "not co-signed"
            console.print(f"{shown(result.production)}: pushed {result.pushed}, tree "
                          f"{result.tree_size} {state}")  # fmt: skip
        else:
            err.print(f"[red]{shown(result.production)}: {shown(result.error)}[/red]")
    if any(r.error is not None for r in results):
        raise typer.Exit(1)


@writer_app.command("move")
def writer_move(
    db: DbOption,
    to: ToOption,
    production: Annotated[str, typer.Option("--production", "-p", help="Production ID.")],
    key: Annotated[Path, typer.Option("--key", help="The new node's ledger verifier key.")],
    studio_key: StudioKeyOption = None,
) -> None:
    """Hand a production on to another node (laptop replaced, unit moved): this node, the
    writer, signs the move; sync first, since the studio takes the move only once it holds
    every event this node signed.

    Example: [bold]showclear writer move --db old.db --to http://studio:8000 -p harbor --key new.db.keys/ledger_ed25519.vkey[/bold]
    """  # noqa: E501
    if not db.exists():
        raise no_store(db)
    new_key = load_key_file(key)
    trusted = load_studio_key_file(studio_key) if studio_key is not None else None
    syncer, close = _open(db, to, trusted)
    try:
        answer = syncer.move_writer(production, new_key)
    except StudioLinkError as e:
        err.print(f"[red]{shown(e)}[/red]")
        raise typer.Exit(1) from None
    except SyncError as e:
        err.print(f"[red]Writer not moved: {shown(e)}[/red]")
        raise typer.Exit(2) from None
    finally:
        close()
    version = answer.get("writer_version")
    console.print(f"Production [bold]{shown(production)}[/bold] is now written by node "
                  f"{shown(new_key.name)} (writer version {version}).")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
    app.add_typer(writer_app, name="writer")
