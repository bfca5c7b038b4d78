"""Ledger commands: `showclear verify`, `export`, `proof`, `verify-proof`.

Registered on the main app by `register(app)` (one line in cli.py). Verification never trusts
the database: every leaf hash and root is recomputed from the stored bytes
(`ledger.verifier.verify_log`) and every checkpoint signature is checked against a key the
user trusts (``<db>.keys/``, the bundle's key, or a pinned ``--key``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from showclear.adapters.keys import VERIFIER_KEY_FILE, KeyFileError, fingerprint, load_verifier
from showclear.app.ledger import ORIGIN_META_KEY, checkpoint_origin, keys_dir
from showclear.ledger.checkpoint import Checkpoint, CheckpointError
from showclear.ledger.note import NoteError, NoteVerifier, parse_note
from showclear.ledger.parallel import LogSource, verify_log_parallel
from showclear.ledger.proofs import (
    OutsideTreeError,
    StoredProofError,
    check_proof_document,
    prove_consistency,
    prove_inclusion,
)
from showclear.ledger.verifier import EventRow, LogReport, coverage, verify_log

console = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error is one line

BUNDLE_FORMAT = "showclear-ledger-bundle/1"

KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Pin a trusted verifier key file (.vkey); default: the node's key in <db>.keys/ "
        "or the bundle's own key.",
    ),
]

README_TEXT = """\
ShowClear ledger export
=======================

This directory is a self-contained copy of a ShowClear event ledger. Check it with

    showclear verify {dirname} --key <the set node's .vkey you already trust>

or by hand, with nothing but SHA-256, base64 and Ed25519:

Files
-----
manifest.json         origin name, productions, signing key fingerprint
events.jsonl          one event per line, in order: production, position (global order in
                      the store), seq (1-based order within its production), payload (the
                      exact RFC 8785 canonical JSON text that was hashed, UTF-8), leaf_hash
checkpoints.jsonl     one signed checkpoint per line: production, tree_size, root_hash, note
ledger_ed25519.vkey   the node's public verifier key (C2SP signed-note format)

The Merkle tree (RFC 9162 section 2.1)
--------------------------------------
Each production is its own log; its leaves are its events in seq order.

    leaf hash  = SHA-256(0x00 || payload bytes)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
    MTH({{}})    = SHA-256("")

1. For every line of events.jsonl, recompute SHA-256(0x00 || payload encoded as UTF-8) and
   compare it with leaf_hash. The payload's "seq" must equal the line's seq, and the seqs of
   a production must run 1, 2, 3, ... without gaps.
2. For every checkpoint, compute MTH over that production's first tree_size leaves and compare
   it with the root in the note.

Checkpoints (C2SP tlog-checkpoint inside a C2SP signed note)
------------------------------------------------------------
    <origin>/<production>
    <tree size, decimal>
    <base64 root hash>
    time <command time of the latest event>

    \u2014 <key name> <base64(4-byte key ID || 64-byte Ed25519 signature)>

The signature covers the text above the blank line, including its final newline. The key ID
is SHA-256(key name || "\\n" || 0x01 || public key)[:4]. The .vkey file is
"<key name>+<hex key ID>+<base64(0x01 || 32-byte Ed25519 public key)>".

A checkpoint whose signature does not verify was forged; a checkpoint larger than the events
means events were cut off; a root that does not match means events were changed. Keep a copy
of a recent checkpoint note elsewhere: `showclear verify --db set.db --checkpoint saved.note`
proves the log still extends it, even if its tail and its checkpoints were removed together.

Key fingerprint: {fingerprint}
"""


# -- loading ---------------------------------------------------------------------------------


class _Source:
    """One ledger to verify: its origin, productions, events, checkpoints and default key."""

    def __init__(
        self,
        label: str,
        origin: str | None,
        productions: list[str],
        events: Callable[[str], Iterator[EventRow]],
        counts: Callable[[str], int],
        checkpoints: Callable[[str], list[str]],
        default_key: Path | None,
        logs: Callable[[str], LogSource] | None = None,
    ) -> None:
        self.label = label
        self.origin = origin
        self.productions = productions
        self.events = events
        self.counts = counts
        self.checkpoints = checkpoints
        self.default_key = default_key
        # A reader per production that each process opens itself: verification on two cores.
        self.logs = logs


def _store_source(db: Path) -> tuple[_Source, Any]:
    from showclear.adapters.sqlite.store import SQLiteEventStore, SQLiteLogReader

    if not db.exists():
        err.print(f"[red]No store at {db}.[/red]")
        raise typer.Exit(2)
    store = SQLiteEventStore(db)
    conn = store._connection()
    # Productions named by events or checkpoints: a production whose first event was deleted
    # must still be verified.
    rows = conn.execute(
        "SELECT production FROM (SELECT production, MIN(position) AS p FROM events "
        "GROUP BY production UNION ALL SELECT production, 1e18 FROM checkpoints) "
        "GROUP BY production ORDER BY MIN(p)"
    ).fetchall()
    productions = [str(r[0]) for r in rows]

    def events(production: str) -> Iterator[EventRow]:
        return _as_rows(store.read_leaves(production))

    def logs(production: str) -> LogSource:
        return SQLiteLogReader(db, production)

    def checkpoints(production: str) -> list[str]:
        return [c.note for c in store.checkpoints(production)]

    source = _Source(
        str(db),
        store.get_meta(ORIGIN_META_KEY),
        productions,
        events,
        store.count,
        checkpoints,
        keys_dir(db) / VERIFIER_KEY_FILE,
        logs,
    )
    return source, store


def _as_rows(rows: Iterable[tuple[Any, Any, Any]]) -> Iterator[EventRow]:
    for seq, payload, leaf in rows:
        # A file edited by hand may hold TEXT where BLOBs belong: hash what is there.
        if type(payload) is not bytes:
            payload = payload.encode("utf-8") if isinstance(payload, str) else bytes(0)
        if type(leaf) is not bytes:
            leaf = bytes(32)
        yield seq, payload, leaf


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError) as e:
        err.print(f"[red]Cannot read {path}: {e}[/red]")
        raise typer.Exit(1) from e


def _bundle_source(bundle: Path) -> _Source:
    if not bundle.is_dir():
        err.print(f"[red]{bundle} is not a bundle directory.[/red]")
        raise typer.Exit(2)
    try:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        err.print(f"[red]Cannot read {bundle / 'manifest.json'}: {e}[/red]")
        raise typer.Exit(1) from e
    lines = _read_jsonl(bundle / "events.jsonl")
    cps = _read_jsonl(bundle / "checkpoints.jsonl")
    productions: list[str] = list(manifest.get("productions", []))
    for row in [*lines, *cps]:
        if row.get("production") not in productions:
            productions.append(str(row.get("production")))
    by_production: dict[str, list[EventRow]] = {p: [] for p in productions}
    for row in lines:
        try:
            item: EventRow = (
                int(row["seq"]),
                str(row["payload"]).encode("utf-8"),
                bytes.fromhex(str(row["leaf_hash"])),
            )
        except (KeyError, ValueError, TypeError) as e:
            err.print(f"[red]events.jsonl: malformed line {row!r:.80}: {e}[/red]")
            raise typer.Exit(1) from e
        by_production[str(row["production"])].append(item)
    notes: dict[str, list[str]] = {p: [] for p in productions}
    for row in cps:
        notes[str(row["production"])].append(str(row["note"]))
    return _Source(
        str(bundle),
        manifest.get("origin"),
        productions,
        lambda p: iter(by_production[p]),
        lambda p: len(by_production[p]),
        lambda p: notes[p],
        bundle / VERIFIER_KEY_FILE,
    )


def _trusted_key(key: Path | None, default: Path | None) -> NoteVerifier:
    path = key or default
    if path is None or not path.exists():
        err.print(f"[red]No verifier key at {path}.[/red] Pin one with --key FILE.vkey")
        raise typer.Exit(2)
    try:
        return load_verifier(path)
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
    store = None
    if db is not None:
        source, store = _store_source(db)
    else:
        assert bundle is not None
        source = _bundle_source(bundle)
    try:
        ok = _verify_source(source, checkpoint, production, key, json_out, deep)
    finally:
        if store is not None:
            store.close()
    raise typer.Exit(0 if ok else 1)


def _verify_source(
    source: _Source,
    witness_file: Path | None,
    production: str | None,
    key: Path | None,
    json_out: bool,
    deep: bool = False,
) -> bool:
    trusted = _trusted_key(key, source.default_key)
    witness: str | None = None
    witness_production: str | None = None
    if witness_file is not None:
        try:
            # A copied note often gains a trailing blank line; the signed text never ends so.
            witness = witness_file.read_text(encoding="utf-8").rstrip("\n") + "\n"
            body, _ = parse_note(witness)
            witness_origin = Checkpoint.parse(body).origin
        except (OSError, UnicodeDecodeError, NoteError, CheckpointError) as e:
            err.print(f"[red]{witness_file} is not a signed checkpoint: {e}[/red]")
            raise typer.Exit(1) from e
        prefix = f"{source.origin}/" if source.origin else ""
        if not prefix or not witness_origin.startswith(prefix):
            err.print(
                f"[red]{witness_file} is a checkpoint of {witness_origin!r}, "
                f"not of this ledger ({source.origin!r}).[/red]"
            )
            return False
        witness_production = witness_origin[len(prefix) :]
    productions = [production] if production else list(source.productions)
    if witness_production is not None and witness_production not in productions:
        if production is None:
            productions.append(witness_production)
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
        origin = checkpoint_origin(source.origin, name) if source.origin else None
        total = source.counts(name)
        with _progress(total, name) as bar:
            task = bar.add_task(name, total=total) if bar is not None else None

            def tick(done: int, bar: Any = bar, task: Any = task) -> None:
                if bar is not None:
                    bar.update(task, completed=done, refresh=True)

            options: dict[str, Any] = {
                "witness": witness if name == witness_production else None,
                "origin": origin,
                "production": name,
                "progress": tick,
                "deep": deep,
            }
            if source.logs is not None:  # a store: read twice, on two cores
                report = verify_log_parallel(source.logs(name), total, trusted, **options)
            else:
                report = verify_log(
                    source.events(name), source.checkpoints(name), trusted, **options
                )
        all_ok = all_ok and report.ok
        _print_report(name, report, json_out)
    return all_ok


def report_json(name: str, report: LogReport) -> dict[str, Any]:
    """`showclear verify --json`'s object for one production."""
    return {
        "production": name,
        "ok": report.ok,
        "problem": report.problem,
        "first_bad_position": report.first_bad_seq,
        "message": report.message,
        "tree_size": report.tree_size,
        "root_hash": report.root_hash.hex(),
        "checkpoints_verified": report.checkpoints_verified,
        "witness_size": report.witness_size,
        "signatures_verified": report.signatures_verified,
        "deep": report.deep,
        "checked": coverage(report) if report.ok else None,
    }


def _print_report(name: str, report: LogReport, json_out: bool) -> None:
    if json_out:
        sys.stdout.write(json.dumps(report_json(name, report)) + "\n")
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


# -- export ----------------------------------------------------------------------------------


def export(
    out_dir: Annotated[Path, typer.Argument(help="The bundle directory to write (new or empty).")],
    db: Annotated[Path, typer.Option("--db", help="SQLite store file.")],
) -> None:
    """Write a self-contained, hand-checkable copy of the ledger: events, signed checkpoints,
    the public key and a README on how to verify it.

    Example: [bold]showclear export --db set.db bundle/[/bold]
    """
    source, store = _store_source(db)
    try:
        key_path = keys_dir(db) / VERIFIER_KEY_FILE
        verifier = _trusted_key(None, key_path)
        if out_dir.exists() and any(out_dir.iterdir()):
            err.print(f"[red]{out_dir} is not empty.[/red]")
            raise typer.Exit(2)
        out_dir.mkdir(parents=True, exist_ok=True)
        count = 0
        with (out_dir / "events.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
            for name in source.productions:
                for e in store.read(name):
                    fh.write(
                        json.dumps(
                            {
                                "production": e.production,
                                "position": e.position,
                                "seq": e.seq,
                                "payload": e.payload.decode("utf-8"),
                                "leaf_hash": e.leaf_hash.hex(),
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
                    count += 1
        with (out_dir / "checkpoints.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
            for name in source.productions:
                for c in store.checkpoints(name):
                    fh.write(
                        json.dumps(
                            {
                                "production": c.production,
                                "tree_size": c.tree_size,
                                "root_hash": c.root_hash.hex(),
                                "note": c.note,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
        (out_dir / VERIFIER_KEY_FILE).write_text(verifier.vkey() + "\n", encoding="ascii")
        manifest = {
            "format": BUNDLE_FORMAT,
            "origin": source.origin,
            "productions": source.productions,
            "key_fingerprint": fingerprint(verifier),
            "verifier_key": verifier.vkey(),
            "events": count,
        }
        (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (out_dir / "README.txt").write_text(
            README_TEXT.format(dirname=out_dir.name, fingerprint=fingerprint(verifier)),
            encoding="utf-8",
        )
    finally:
        store.close()
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
    from showclear.adapters.sqlite.store import SQLiteEventStore

    if (event is None) == (from_size is None):
        err.print("[red]Give either --event SEQ (inclusion) or --from-size N (consistency).[/red]")
        raise typer.Exit(2)
    if not db.exists():
        err.print(f"[red]No store at {db}.[/red]")
        raise typer.Exit(2)
    store = SQLiteEventStore(db)
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
        verifier = _trusted_key(None, keys_dir(db) / VERIFIER_KEY_FILE)
        doc = {
            **result.as_json(),
            "verifier_key": verifier.vkey(),
            "key_fingerprint": fingerprint(verifier),
        }
    finally:
        store.close()
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
