"""What `showclear verify` checks, whatever holds the ledger: a live store or an export bundle.

A `LedgerSource` names the productions, their events (one process) or a fork-safe reader per
production (two cores), their stored checkpoints, and the node's origin. `verify_production`
recomputes every leaf hash and root and checks the newest signature (and, with a witness note,
that the log still extends it); `report_json` is `verify --json`'s object for one production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from showclear.ledger.bundle import Bundle
from showclear.ledger.checkpoint import Checkpoint, CheckpointError, checkpoint_origin
from showclear.ledger.note import NoteError, NoteVerifier, parse_note
from showclear.ledger.parallel import LogSource, verify_log_parallel
from showclear.ledger.verifier import EventRow, LogReport, coverage, verify_log

__all__ = [
    "AuditError",
    "LedgerSource",
    "bundle_source",
    "report_json",
    "verify_production",
    "witness_production",
]


class AuditError(ValueError):
    """A witness note that is not a signed checkpoint of this ledger."""


@dataclass(frozen=True)
class LedgerSource:
    """One ledger to verify: its origin, productions, events, checkpoints."""

    label: str
    origin: str | None
    productions: list[str]
    events: Callable[[str], Iterator[EventRow]]
    counts: Callable[[str], int]
    checkpoints: Callable[[str], list[str]]
    # A reader per production that each process opens itself: verification on two cores.
    logs: Callable[[str], LogSource] | None = None


def bundle_source(bundle: Bundle, label: str) -> LedgerSource:
    return LedgerSource(
        label,
        bundle.origin,
        bundle.productions,
        lambda p: iter(bundle.events[p]),
        lambda p: len(bundle.events[p]),
        lambda p: bundle.notes[p],
    )


def witness_production(source: LedgerSource, note: str) -> str:
    """The production a saved checkpoint note (the witness copy) is of (AuditError when it is
    not a signed checkpoint, or one of another ledger)."""
    try:
        body, _ = parse_note(note)
        witness_origin = Checkpoint.parse(body).origin
    except (NoteError, CheckpointError) as e:
        raise AuditError(f"not a signed checkpoint: {e}") from e
    prefix = f"{source.origin}/" if source.origin else ""
    if not prefix or not witness_origin.startswith(prefix):
        raise AuditError(
            f"a checkpoint of {witness_origin!r}, not of this ledger ({source.origin!r})"
        )
    return witness_origin[len(prefix) :]


def verify_production(
    source: LedgerSource,
    name: str,
    trusted: NoteVerifier,
    *,
    witness: str | None = None,
    deep: bool = False,
    progress: Callable[[int], None] | None = None,
    count: int | None = None,
) -> LogReport:
    """Verify one production of `source` (a store on two cores, a bundle in one process);
    `count` is `source.counts(name)` when the caller has it already."""
    options: dict[str, Any] = {
        "witness": witness,
        "origin": checkpoint_origin(source.origin, name) if source.origin else None,
        "production": name,
        "progress": progress,
        "deep": deep,
    }
    if source.logs is not None:
        total = source.counts(name) if count is None else count
        return verify_log_parallel(source.logs(name), total, trusted, **options)
    return verify_log(source.events(name), source.checkpoints(name), trusted, **options)


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
