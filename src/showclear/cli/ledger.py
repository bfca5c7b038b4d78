"""Ledger commands: `showclear verify`, `export`, `proof`, `verify-proof`.

Verification never trusts the database: every leaf hash and root is recomputed from the stored
bytes (`showclear.ledger.audit`) and every checkpoint signature is checked against a key the
user trusts (``<db>.keys/``, the bundle's key, or a pinned ``--key``). The bundle format is
`showclear.ledger.bundle`; this module reads and writes its files and prints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from showclear.app.sync import CosignedTrees, check_kept_cosignatures
from showclear.bootstrap import Audit, kept_cosignatures, load_key_file
from showclear.cli.options import KeyOption, audit_at, console, err
from showclear.ledger import bundle as fmt
from showclear.ledger.audit import (
    AuditError,
    LedgerSource,
    bundle_source,
    report_json,
    verify_production,
    witness_production,
)
from showclear.ledger.note import NoteVerifier, fingerprint
from showclear.ledger.proofs import (
    OutsideTreeError,
    StoredProofError,
    check_proof_document,
    prove_consistency,
    prove_inclusion,
)
from showclear.ledger.verifier import LogReport, coverage
from showclear.ports import KeyFileError

__all__ = ["register", "report_json"]


# -- loading ---------------------------------------------------------------------------------


def _store_source(audit: Audit) -> LedgerSource:
    store = audit.backend

    def checkpoints(production: str) -> list[str]:
        return [c.note for c in store.checkpoints(production)]

    return LedgerSource(
        str(audit.url),
        audit.origin,
        store.ledger_productions(),
        store.read_leaves,
        store.count,
        checkpoints,
        store.log_reader,
    )


def _bundle_source(bundle: Path) -> tuple[LedgerSource, Path]:
    if not bundle.is_dir():
        err.print(f"[red]{bundle} is not a bundle directory.[/red]")
        raise typer.Exit(2)
    files = {}
    for name in (fmt.MANIFEST_FILE, fmt.EVENTS_FILE, fmt.CHECKPOINTS_FILE):
        try:
            files[name] = (bundle / name).read_text(encoding="utf-8")
        except (OSError, ValueError) as e:
            err.print(f"[red]Cannot read {bundle / name}: {e}[/red]")
            raise typer.Exit(1) from e
    try:
        parsed = fmt.parse_bundle(
            files[fmt.MANIFEST_FILE],
            files[fmt.EVENTS_FILE].splitlines(),
            files[fmt.CHECKPOINTS_FILE].splitlines(),
        )
    except fmt.BundleError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    return bundle_source(parsed, str(bundle)), bundle / fmt.KEY_FILE


def _trusted_key(key: Path | None, default: Path | None) -> NoteVerifier:
    path = key or default
    if path is None or not path.exists():
        err.print(f"[red]No verifier key at {path}.[/red] Pin one with --key FILE.vkey")
        raise typer.Exit(2)
    try:
        return load_key_file(path)
    except KeyFileError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e


def _progress(total: int, label: str) -> AbstractContextManager[Any]:
    if not sys.stderr.isatty() or total < 50_000:
        return nullcontext(None)
    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} events"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        # Redrawn by each progress call instead of by a thread of its own: a long log is
        # verified with a forked helper process, which is only started from a single thread.
        auto_refresh=False,
    )


def _kind(report: LogReport) -> str:
    return (report.problem or "ok").replace("_", " ")


# -- verify ----------------------------------------------------------------------------------


def verify(
    bundle: Annotated[
        Path | None, typer.Argument(help="An export bundle directory (instead of --db).")
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite store file.")] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="A signed checkpoint note saved elsewhere (the witness copy): the log must "
            "still extend it.",
        ),
    ] = None,
    production: Annotated[
        str | None, typer.Option("--production", "-p", help="Verify only this production.")
    ] = None,
    key: KeyOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per production.")] = (
        False
    ),
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also check every older checkpoint's signature (about 0.1 ms each), not only "
            "the newest's and the witness's.",
        ),
    ] = False,
) -> None:
    """Recompute every leaf hash, every checkpoint's root and the newest checkpoint's signature.

    Exit 0 when the ledger is intact; otherwise exit 1, naming the first bad position and the
    kind of problem (edited, deleted, inserted, reordered, truncated, bad signature, unknown
    key). The output says what was checked and why that is enough; --deep checks every
    signature as well.

    Examples:

      showclear verify --db set.db

      showclear verify --db set.db --checkpoint saved.note

      showclear verify bundle/ --key trusted.vkey
    """
    if (bundle is None) == (db is None):
        err.print("[red]Give either a bundle directory or --db PATH.[/red]")
        raise typer.Exit(2)
    if db is not None:
        audit = audit_at(db)
        try:
            kept = kept_cosignatures(audit.backend)
            cosigned = None
            if kept is not None:
                store = kept
                cosigned = lambda name, k: check_kept_cosignatures(store, name, k)  # noqa: E731
            ok = _verify_source(_store_source(audit), audit.key_file, checkpoint, production,
                                key, json_out, deep, cosigned)  # fmt: skip
        finally:
            audit.close()
    else:
        assert bundle is not None
        source, bundle_key = _bundle_source(bundle)
        ok = _verify_source(source, bundle_key, checkpoint, production, key, json_out, deep)
    raise typer.Exit(0 if ok else 1)


def _verify_source(
    source: LedgerSource,
    default_key: Path,
    witness_file: Path | None,
    production: str | None,
    key: Path | None,
    json_out: bool,
    deep: bool = False,
    cosigned: Callable[[str, NoteVerifier], CosignedTrees] | None = None,
) -> bool:
    trusted = _trusted_key(key, default_key)
    witness: str | None = None
    witnessed: str | None = None
    if witness_file is not None:
        try:
            # A copied note often gains a trailing blank line; the signed text never ends so.
            witness = witness_file.read_text(encoding="utf-8").rstrip("\n") + "\n"
        except (OSError, UnicodeDecodeError) as e:
            err.print(f"[red]{witness_file} is not a signed checkpoint: {e}[/red]")
            raise typer.Exit(1) from e
        try:
            witnessed = witness_production(source, witness)
        except AuditError as e:
            err.print(f"[red]{witness_file} is {e}.[/red]")
            return False
    productions = [production] if production else list(source.productions)
    if witnessed is not None and witnessed not in productions and production is None:
        productions.append(witnessed)
    if production is not None and production not in source.productions and witness is None:
        err.print(f"[red]No production {production!r} in {source.label}.[/red]")
        raise typer.Exit(2)
    if not productions:
        console.print(f"{source.label}: no events.")
        return True
    if not json_out:
        console.print(
            f"Verifying {source.label} with key {fingerprint(trusted)}"
            + (" (pinned)" if key else ""),
            soft_wrap=True,
        )
    all_ok = True
    for name in productions:
        total = source.counts(name)
        with _progress(total, name) as bar:
            task = bar.add_task(name, total=total) if bar is not None else None

            def tick(done: int, bar: Any = bar, task: Any = task) -> None:
                if bar is not None:
                    bar.update(task, completed=done, refresh=True)

            report = verify_production(
                source, name, trusted, witness=witness if name == witnessed else None,
                deep=deep, progress=tick, count=total,
            )  # fmt: skip
        trees = cosigned(name, trusted) if cosigned is not None else None
        if trees is not None and trees.studio is None and not trees.problems:
            trees = None  # a node that never synced: nothing to report
        all_ok = all_ok and report.ok and (trees is None or trees.ok)
        _print_report(name, report, json_out, trees)
    return all_ok


def _print_report(
    name: str, report: LogReport, json_out: bool, trees: CosignedTrees | None = None
) -> None:
    if json_out:
        extra = trees.as_json() if trees is not None else {}
        sys.stdout.write(json.dumps({**report_json(name, report), **extra}) + "\n")
        return
    if report.ok:
        console.print(
            f"[green]INTACT[/green] {name}: {report.message}; root {report.root_hash.hex()}",
            soft_wrap=True,
        )
        console.print(f"  {coverage(report)}", soft_wrap=True)
    else:
        where = f" at position {report.first_bad_seq}" if report.first_bad_seq is not None else ""
        console.print(
            f"[red]TAMPERED[/red] {name}: {_kind(report)}{where}: {report.message}",
            soft_wrap=True,
        )
    if trees is not None:
        _print_cosigned(trees)


def _print_cosigned(trees: CosignedTrees) -> None:
    if trees.cosigned_tree_size is not None:
        console.print(
            f"CO-SIGNED {trees.production}: trees up to {trees.cosigned_tree_size} events "
            f"co-signed by studio {trees.studio} ({trees.checked} co-signatures checked)",
            soft_wrap=True,
        )
    for problem in trees.problems:
        console.print(f"[red]BAD CO-SIGNATURE[/red] {trees.production}: {problem}", soft_wrap=True)


# -- export ----------------------------------------------------------------------------------


def export(
    out_dir: Annotated[Path, typer.Argument(help="The bundle directory to write (new or empty).")],
    db: Annotated[Path, typer.Option("--db", help="SQLite store file.")],
) -> None:
    """Write a self-contained, hand-checkable copy of the ledger: events, signed checkpoints,
    the public key and a README on how to verify it.

    Example: [bold]showclear export --db set.db bundle/[/bold]
    """
    audit = audit_at(db)
    store = audit.backend
    try:
        verifier = _trusted_key(None, audit.key_file)
        if out_dir.exists() and any(out_dir.iterdir()):
            err.print(f"[red]{out_dir} is not empty.[/red]")
            raise typer.Exit(2)
        out_dir.mkdir(parents=True, exist_ok=True)
        productions = store.ledger_productions()
        count = 0
        with (out_dir / fmt.EVENTS_FILE).open("w", encoding="utf-8", newline="\n") as fh:
            for name in productions:
                for e in store.read(name):
                    fh.write(fmt.event_line(e.production, e.position, e.seq, e.payload,
                                            e.leaf_hash))  # fmt: skip
                    count += 1
        with (out_dir / fmt.CHECKPOINTS_FILE).open("w", encoding="utf-8", newline="\n") as fh:
            for name in productions:
                for c in store.checkpoints(name):
                    fh.write(fmt.checkpoint_line(c.production, c.tree_size, c.root_hash, c.note))
        (out_dir / fmt.KEY_FILE).write_text(verifier.vkey() + "\n", encoding="ascii")
        manifest = fmt.manifest_text(audit.origin, productions, verifier, count)
        (out_dir / fmt.MANIFEST_FILE).write_text(manifest)
        readme = fmt.readme_text(out_dir.name, verifier)
        (out_dir / fmt.README_FILE).write_text(readme, encoding="utf-8")
    finally:
        audit.close()
    console.print(f"Exported {count} events to [bold]{out_dir}[/bold].")
    console.print(f"Signing key fingerprint: [bold]{fingerprint(verifier)}[/bold]")


# -- proofs ----------------------------------------------------------------------------------


def proof(
    db: Annotated[Path, typer.Option("--db", help="SQLite store file.")],
    event: Annotated[
        int | None,
        typer.Option("--event", help="Inclusion: the event's seq in its production."),
    ] = None,
    from_size: Annotated[
        int | None,
        typer.Option(
            "--from-size",
            min=0,
            help="Consistency: the size of an earlier tree (e.g. a saved checkpoint's) that the "
            "latest signed tree must extend.",
        ),
    ] = None,
    production: Annotated[
        str | None,
        typer.Option("--production", "-p", help="Production ID (default: the only one)."),
    ] = None,
) -> None:
    """Print a JSON proof against the latest signed checkpoint: that one event is in it
    (--event SEQ), or that it extends an earlier tree (--from-size N).

    The proof is read from the stored tree (a few reads at any log size) and checked against
    the signed root before it is printed; `showclear verify-proof` checks it offline.

    Examples:

      showclear proof --db set.db --event 42 > event42.json

      showclear proof --db set.db --from-size 1000 > since1000.json
    """
    if (event is None) == (from_size is None):
        err.print("[red]Give either --event SEQ (inclusion) or --from-size N (consistency).[/red]")
        raise typer.Exit(2)
    audit = audit_at(db)
    store = audit.backend
    try:
        if production is None:
            productions = store.productions()
            if len(productions) != 1:
                err.print(
                    "[red]Name the production with --production.[/red] In this store: "
                    + (", ".join(productions) or "none")
                )
                raise typer.Exit(2)
            production = productions[0]
        try:
            if event is not None:
                result: Any = prove_inclusion(store, production, event)
            else:
                assert from_size is not None
                result = prove_consistency(store, production, from_size)
        except StoredProofError as e:
            err.print(f"[red]{e}.[/red]")
            raise typer.Exit(2 if isinstance(e, OutsideTreeError) else 1) from e
        verifier = _trusted_key(None, audit.key_file)
        doc = {
            **result.as_json(),
            "verifier_key": verifier.vkey(),
            "key_fingerprint": fingerprint(verifier),
        }
    finally:
        audit.close()
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def verify_proof(
    file: Annotated[Path, typer.Argument(help="A proof written by `showclear proof`.")],
    key: KeyOption = None,
) -> None:
    """Check a proof offline: the checkpoint's signature and the Merkle path (inclusion) or
    the consistency proof.

    Without --key the proof's own key is used (and a warning printed): pin the node's key.

    Example: [bold]showclear verify-proof event42.json --key set.db.keys/ledger_ed25519.vkey[/bold]
    """
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        err.print(f"[red]Cannot read {file}: {e}[/red]")
        raise typer.Exit(1) from e
    try:
        if key is not None:
            trusted = _trusted_key(key, None)
        else:
            trusted = NoteVerifier.from_vkey(str(doc["verifier_key"]))
            err.print(
                f"[yellow]No --key given: trusting the proof's own key "
                f"{fingerprint(trusted)}; compare it with the node's.[/yellow]"
            )
        message = check_proof_document(doc, trusted)
    except (ValueError, KeyError, TypeError) as e:
        console.print(f"[red]INVALID[/red] {e}", soft_wrap=True)
        raise typer.Exit(1) from e
    console.print(f"[green]VALID[/green] {message}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(export)
    app.command()(proof)
    app.command("verify-proof")(verify_proof)
