"""The export bundle as text: lines written and read back equal, and every malformed line
refused with a BundleError naming the file and the line (no file system involved)."""

from __future__ import annotations

import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from showclear.ledger import bundle as fmt
from showclear.ledger.canonical import canonical_bytes, envelope, leaf_hash
from showclear.ledger.note import NoteSigner, fingerprint

SIGNER = NoteSigner("showclear.set/test", Ed25519PrivateKey.generate())


def _payload(seq: int) -> bytes:
    return canonical_bytes(envelope("p", seq, "note_added", 1, "arm", "2024-01-01T08:00:00Z",
                                    {"text": f"Ñandú {seq}"}))  # fmt: skip


def _texts() -> tuple[str, list[str], list[str]]:
    events = [fmt.event_line("p", s, s, _payload(s), leaf_hash(_payload(s))) for s in (1, 2, 3)]
    notes = [fmt.checkpoint_line("p", 3, bytes(32), "signed note\n")]
    manifest = fmt.manifest_text("showclear.set/test", ["p"], SIGNER.verifier, len(events))
    return manifest, events, notes


def test_lines_written_are_read_back_the_same() -> None:
    manifest, events, notes = _texts()
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in events)
    parsed = fmt.parse_bundle(manifest, events, notes)
    assert parsed.origin == "showclear.set/test" and parsed.productions == ["p"]
    assert parsed.events["p"] == [(s, _payload(s), leaf_hash(_payload(s))) for s in (1, 2, 3)]
    assert parsed.notes["p"] == ["signed note\n"]
    head = json.loads(manifest)
    assert head["format"] == fmt.BUNDLE_FORMAT and head["events"] == 3
    assert head["key_fingerprint"] == fingerprint(SIGNER.verifier)
    assert fingerprint(SIGNER.verifier) in fmt.readme_text("bundle", SIGNER.verifier)


@pytest.mark.parametrize(
    "spoil,where",
    [
        (lambda e: [*e[:1], "{not json\n", *e[2:]], "events.jsonl: line 2 is not JSON"),
        (lambda e: [e[0], json.dumps({"production": "p", "payload": "x"}) + "\n"],
         "events.jsonl: malformed line 2"),
        (lambda e: [e[0].replace('"leaf_hash": "', '"leaf_hash": "zz')],
         "events.jsonl: malformed line 1"),
    ],
)  # fmt: skip
def test_a_malformed_event_line_is_named(spoil: object, where: str) -> None:
    manifest, events, notes = _texts()
    with pytest.raises(fmt.BundleError, match=re.escape(where)):
        fmt.parse_bundle(manifest, spoil(events), notes)  # type: ignore[operator]


def test_a_malformed_manifest_or_checkpoint_line_is_named() -> None:
    manifest, events, notes = _texts()
    with pytest.raises(fmt.BundleError, match=r"manifest\.json"):
        fmt.parse_bundle("[1, 2]", events, notes)
    with pytest.raises(fmt.BundleError, match=r"checkpoints\.jsonl: malformed line 1"):
        fmt.parse_bundle(manifest, events, ['{"production": "p"}'])
