"""Replay the JSON vectors in tests/ledger/vectors/ (written by make_vectors.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from showclear.ledger.checkpoint import Checkpoint, CheckpointError
from showclear.ledger.note import (
    BadSignatureError,
    MalformedNoteError,
    NoteError,
    NoteVerifier,
    UnknownKeyError,
    open_note,
)
from showclear.ledger.verify import ProofError, verify_consistency, verify_inclusion

HERE = Path(__file__).parent
VECTORS = HERE / "vectors"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return document


def cases(name: str) -> list[Any]:
    return [pytest.param(case, id=case["name"]) for case in load(name)["cases"]]


def hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def test_vectors_are_what_make_vectors_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_vectors", HERE / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built: dict[str, str] = module.build()
    assert sorted(built) == sorted(path.name for path in VECTORS.glob("*.json"))
    for name, content in built.items():
        assert (VECTORS / name).read_text(encoding="utf-8") == content, name


def test_vectors_include_tampered_cases() -> None:
    for name in ("inclusion.json", "consistency.json", "checkpoint.json", "note.json"):
        wanted = [case["wantErr"] for case in load(name)["cases"]]
        assert False in wanted and any(wanted), name


@pytest.mark.parametrize("case", cases("inclusion.json"))
def test_inclusion_vector(case: dict[str, Any]) -> None:
    args = (
        bytes.fromhex(case["leafHash"]),
        case["leafIndex"],
        case["treeSize"],
        hashes(case["proof"]),
        bytes.fromhex(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("case", cases("consistency.json"))
def test_consistency_vector(case: dict[str, Any]) -> None:
    args = (
        case["size1"],
        case["size2"],
        bytes.fromhex(case["root1"]),
        bytes.fromhex(case["root2"]),
        hashes(case["proof"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


@pytest.mark.parametrize("case", cases("checkpoint.json"))
def test_checkpoint_vector(case: dict[str, Any]) -> None:
    if case["wantErr"]:
        with pytest.raises(CheckpointError):
            Checkpoint.parse(case["body"])
        return
    checkpoint = Checkpoint.parse(case["body"])
    want = case["want"]
    assert (checkpoint.origin, checkpoint.size, checkpoint.root_hash.hex()) == (
        want["origin"],
        want["size"],
        want["root"],
    )
    assert checkpoint.body() == case["body"]


NOTE_ERRORS: dict[str, type[NoteError]] = {
    "bad_signature": BadSignatureError,
    "unknown_key": UnknownKeyError,
    "malformed": MalformedNoteError,
}


@pytest.mark.parametrize("case", cases("note.json"))
def test_note_vector(case: dict[str, Any]) -> None:
    verifiers = [NoteVerifier.from_vkey(vkey) for vkey in case["verifierKeys"]]
    if case["wantErr"]:
        with pytest.raises(NOTE_ERRORS[case["wantErr"]]):
            open_note(case["note"], verifiers)
        return
    body, signers = open_note(case["note"], verifiers)
    assert body == case["wantBody"]
    assert signers == case["wantSigners"]
