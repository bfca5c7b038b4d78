"""The export bundle: a self-contained, hand-checkable copy of a ledger, as text.

    manifest.json         origin, productions, key fingerprint, verifier key, event count
    events.jsonl          one event per line: production, position, seq, payload, leaf_hash
    checkpoints.jsonl     one signed checkpoint per line: production, tree_size, root_hash, note
    ledger_ed25519.vkey   the node's public verifier key
    README.txt            how to check it by hand (README_TEXT)

This module writes and reads the lines only: `showclear export` and `showclear verify` (and
the studio's sync) do the files. Reading refuses a malformed line with a BundleError that names
the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from showclear.ledger.note import NoteVerifier, fingerprint
from showclear.ledger.verifier import EventRow

__all__ = [
    "BUNDLE_FORMAT",
    "CHECKPOINTS_FILE",
    "EVENTS_FILE",
    "KEY_FILE",
    "MANIFEST_FILE",
    "README_FILE",
    "README_TEXT",
    "Bundle",
    "BundleError",
    "checkpoint_line",
    "event_line",
    "manifest_text",
    "parse_bundle",
    "readme_text",
]

BUNDLE_FORMAT = "showclear-ledger-bundle/1"
MANIFEST_FILE = "manifest.json"
EVENTS_FILE = "events.jsonl"
CHECKPOINTS_FILE = "checkpoints.jsonl"
README_FILE = "README.txt"
KEY_FILE = "ledger_ed25519.vkey"  # the same name as in the node's key directory


class BundleError(ValueError):
    """A bundle file that cannot be read as one: the message names the file and the line."""


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


def event_line(production: str, position: int, seq: int, payload: bytes, leaf_hash: bytes) -> str:
    """One line of events.jsonl (newline included): the payload exactly as hashed, as text."""
    row = {
        "production": production,
        "position": position,
        "seq": seq,
        "payload": payload.decode("utf-8"),
        "leaf_hash": leaf_hash.hex(),
    }
    return json.dumps(row, ensure_ascii=False) + "\n"


def checkpoint_line(production: str, tree_size: int, root_hash: bytes, note: str) -> str:
    """One line of checkpoints.jsonl (newline included)."""
    row = {
        "production": production,
        "tree_size": tree_size,
        "root_hash": root_hash.hex(),
        "note": note,
    }
    return json.dumps(row, ensure_ascii=False) + "\n"


def manifest_text(
    origin: str | None, productions: Sequence[str], verifier: NoteVerifier, events: int
) -> str:
    manifest = {
        "format": BUNDLE_FORMAT,
        "origin": origin,
        "productions": list(productions),
        "key_fingerprint": fingerprint(verifier),
        "verifier_key": verifier.vkey(),
        "events": events,
    }
    return json.dumps(manifest, indent=2) + "\n"


def readme_text(dirname: str, verifier: NoteVerifier) -> str:
    return README_TEXT.format(dirname=dirname, fingerprint=fingerprint(verifier))


@dataclass
class Bundle:
    """A bundle read back: what verification needs, per production."""

    origin: str | None
    productions: list[str]
    events: dict[str, list[EventRow]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)


def _json_lines(lines: Iterable[str], name: str) -> list[tuple[int, Any]]:
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except ValueError as e:
            raise BundleError(f"{name}: line {number} is not JSON: {e}") from e
    return rows


def parse_bundle(manifest: str, events: Iterable[str], checkpoints: Iterable[str]) -> Bundle:
    """The bundle in these texts (the manifest, and the lines of the two JSON Lines files)."""
    try:
        head = json.loads(manifest)
    except ValueError as e:
        raise BundleError(f"{MANIFEST_FILE}: not JSON: {e}") from e
    if not isinstance(head, dict):
        raise BundleError(f"{MANIFEST_FILE}: not a JSON object")
    origin = head.get("origin")
    productions = [str(p) for p in head.get("productions", [])]
    event_rows = _json_lines(events, EVENTS_FILE)
    note_rows = _json_lines(checkpoints, CHECKPOINTS_FILE)
    for _, row in [*event_rows, *note_rows]:
        name = str(row.get("production")) if isinstance(row, dict) else "None"
        if name not in productions:
            productions.append(name)
    bundle = Bundle(
        None if origin is None else str(origin),
        productions,
        {p: [] for p in productions},
        {p: [] for p in productions},
    )
    for number, row in event_rows:
        try:
            item: EventRow = (
                int(row["seq"]),
                str(row["payload"]).encode("utf-8"),
                bytes.fromhex(str(row["leaf_hash"])),
            )
        except (KeyError, ValueError, TypeError) as e:
            raise BundleError(f"{EVENTS_FILE}: malformed line {number} {row!r:.80}: {e}") from e
        bundle.events[str(row["production"])].append(item)
    for number, row in note_rows:
        try:
            bundle.notes[str(row["production"])].append(str(row["note"]))
        except (KeyError, TypeError) as e:
            raise BundleError(f"{CHECKPOINTS_FILE}: malformed line {number}: {e}") from e
    return bundle
