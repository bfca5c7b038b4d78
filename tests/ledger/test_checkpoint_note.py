"""Checkpoint bodies (C2SP tlog-checkpoint) and signed notes (C2SP signed-note)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from showclear.ledger.checkpoint import Checkpoint, CheckpointError
from showclear.ledger.hashing import EMPTY_ROOT, leaf_hash
from showclear.ledger.note import (
    BadSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteSigner,
    NoteVerifier,
    UnknownKeyError,
    cosign_note,
    key_id,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
    sign_note,
)

ROOT = leaf_hash(b"root")
CHECKPOINT = Checkpoint("showclear.test/production/p1", 42, ROOT)


@pytest.fixture(scope="module")
def node() -> NoteSigner:
    return NoteSigner("set-node.p1", Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def studio() -> NoteSigner:
    return NoteSigner("studio.example", Ed25519PrivateKey.generate())


# --- checkpoint body ------------------------------------------------------------------------


def test_body_is_exactly_three_lines() -> None:
    body = CHECKPOINT.body()
    assert body == (
        "showclear.test/production/p1\n42\n" + base64.b64encode(ROOT).decode("ascii") + "\n"
    )
    assert body.count("\n") == 3
    assert body.endswith("\n")
    assert Checkpoint.parse(body) == CHECKPOINT


@given(
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0xD7FF, blacklist_characters="\x7f"),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, (1 << 64) - 1),
    st.binary(min_size=32, max_size=32),
)
def test_body_roundtrip(origin: str, size: int, root: bytes) -> None:
    checkpoint = Checkpoint(origin, size, root)
    assert Checkpoint.parse(checkpoint.body()) == checkpoint


def test_extension_lines_roundtrip() -> None:
    stamped = Checkpoint("o", 1, ROOT, ("time 2025-03-01T10:00:00Z",))
    assert stamped.body().count("\n") == 4
    assert Checkpoint.parse(stamped.body()) == stamped


@pytest.mark.parametrize(
    "make",
    [
        lambda: Checkpoint("", 1, ROOT),
        lambda: Checkpoint("a\nb", 1, ROOT),
        lambda: Checkpoint("o", -1, ROOT),
        lambda: Checkpoint("o", 1 << 64, ROOT),
        lambda: Checkpoint("o", 1, ROOT[:31]),
        lambda: Checkpoint("o", 1, ROOT, ("",)),
    ],
)
def test_invalid_checkpoints_are_refused(make: object) -> None:
    with pytest.raises(CheckpointError):
        make()  # type: ignore[operator]


# --- signed notes ---------------------------------------------------------------------------


def test_sign_and_open_roundtrip(node: NoteSigner) -> None:
    note = sign_checkpoint(CHECKPOINT, node)
    body, signature_block = note.split("\n\n")
    assert body + "\n" == CHECKPOINT.body()
    assert signature_block.startswith("\u2014 set-node.p1 ")
    assert signature_block.count("\n") == 1
    assert open_note(note, [node.verifier]) == (CHECKPOINT.body(), ["set-node.p1"])
    assert open_checkpoint(note, node.verifier) == (CHECKPOINT, ["set-node.p1"])


def test_signature_blob_is_key_id_then_ed25519_signature(node: NoteSigner) -> None:
    note = sign_note(CHECKPOINT.body(), node)
    blob = base64.b64decode(note.rsplit(" ", 1)[1])
    assert blob[:4] == node.key_id == key_id(node.name, node.verifier.public_key)
    assert len(blob) == 4 + 64
    assert node.verifier.verify(CHECKPOINT.body().encode(), blob[4:])


def test_wrong_key_is_unknown(node: NoteSigner, studio: NoteSigner) -> None:
    note = sign_note(CHECKPOINT.body(), node)
    with pytest.raises(UnknownKeyError):
        open_note(note, [studio.verifier])
    # Same name, different key: the key ID differs, so it is still an unknown key.
    impostor = NoteSigner(node.name, Ed25519PrivateKey.generate())
    with pytest.raises(UnknownKeyError):
        open_note(note, [impostor.verifier])
    with pytest.raises(UnknownKeyError):
        open_note(note, [])


def test_edited_body_is_a_bad_signature(node: NoteSigner) -> None:
    note = sign_checkpoint(CHECKPOINT, node)
    forged = note.replace("\n42\n", "\n41\n")
    with pytest.raises(BadSignatureError):
        open_note(forged, [node.verifier])


def test_two_signatures(node: NoteSigner, studio: NoteSigner) -> None:
    body = CHECKPOINT.body()
    both = sign_note(body, node, studio)
    assert open_note(both, [node.verifier, studio.verifier]) == (body, [node.name, studio.name])
    assert open_note(both, [studio.verifier]) == (body, [studio.name])

    # The studio co-signs what the node published earlier.
    cosigned = cosign_note(sign_note(body, node), studio)
    assert cosigned == both
    assert open_note(cosigned, [node.verifier, studio.verifier])[1] == [node.name, studio.name]
    # Co-signing again replaces the studio's line rather than stacking duplicates.
    assert cosign_note(cosigned, studio) == cosigned


def test_one_bad_trusted_signature_rejects_the_note(node: NoteSigner, studio: NoteSigner) -> None:
    body = CHECKPOINT.body()
    other = sign_note(body.replace("42", "43"), studio)
    spliced = sign_note(body, node) + other.split("\n\n")[1]
    assert open_note(spliced, [node.verifier])[1] == [node.name]  # studio line unknown: ignored
    with pytest.raises(BadSignatureError):
        open_note(spliced, [node.verifier, studio.verifier])


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\u2014", "-"),
        lambda n: n.replace("\u2014 ", "\u2014"),
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n[:-1],
        lambda n: n.split("\n\n")[0] + "\n\n",
        lambda n: n + "trailing\n",
        lambda n: n.replace("\n\n", "\n\n\u2014 bad+name AAAAAAAA\n"),
        lambda n: n.rsplit(" ", 1)[0] + " AAAA\n",
        lambda n: n.rsplit(" ", 1)[0] + " not_base64!\n",
        lambda n: n.replace("showclear", "show\x00clear"),
    ],
)
def test_malformed_notes(node: NoteSigner, mangle: object) -> None:
    note = mangle(sign_note(CHECKPOINT.body(), node))  # type: ignore[operator]
    with pytest.raises(MalformedNoteError):
        open_note(note, [node.verifier])


def test_signed_text_that_is_not_a_checkpoint(node: NoteSigner) -> None:
    note = sign_note("hello\n", node)
    assert open_note(note, [node.verifier])[0] == "hello\n"
    with pytest.raises(MalformedNoteError):
        open_checkpoint(note, [node.verifier])


def test_too_many_signatures(node: NoteSigner) -> None:
    note = sign_note(CHECKPOINT.body(), node)
    line = note.split("\n\n")[1]
    with pytest.raises(MalformedNoteError):
        parse_note(note + line * 100)


def test_signing_needs_a_newline_terminated_body(node: NoteSigner) -> None:
    with pytest.raises(MalformedNoteError):
        sign_note("no newline", node)
    with pytest.raises(ValueError):
        sign_note("x\n")


# --- keys as strings ------------------------------------------------------------------------

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_go_sumdb_note_example_signs_byte_for_byte() -> None:
    # golang.org/x/mod/sumdb/note's documented example; Ed25519 is deterministic.
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.verifier.vkey() == GO_VKEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    assert open_note(GO_NOTE, NoteVerifier.from_vkey(GO_VKEY)) == (GO_TEXT, ["PeterNeumann"])


def test_vkey_roundtrip(node: NoteSigner) -> None:
    vkey = node.verifier.vkey()
    name, id_hex, key_b64 = vkey.split("+", 2)
    assert (name, id_hex) == (node.name, node.key_id.hex())
    assert base64.b64decode(key_b64)[0] == 0x01
    assert NoteVerifier.from_vkey(vkey) == node.verifier


def test_every_mangled_vkey_is_refused() -> None:
    # As in Go's TestNewVerifier: every proper substring and every single-byte change fails.
    for i in range(len(GO_VKEY)):
        for j in range(i + 1, len(GO_VKEY) + 1):
            if (i, j) != (0, len(GO_VKEY)):
                with pytest.raises(KeyFormatError):
                    NoteVerifier.from_vkey(GO_VKEY[i:j])
        changed = GO_VKEY[:i] + chr(ord(GO_VKEY[i]) + 1) + GO_VKEY[i + 1 :]
        with pytest.raises(KeyFormatError):
            NoteVerifier.from_vkey(changed)


def test_invalid_key_names() -> None:
    for name in ("", "a b", "a+b", "tab\there", "nbsp\u00a0"):
        with pytest.raises(KeyFormatError):
            NoteVerifier(name, EMPTY_ROOT)


def test_signer_key_strings_are_checked() -> None:
    for bad in (
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
        "PUBLIC+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        GO_SKEY[:-1],
        GO_SKEY.replace("+AYEK", "+AoEK"),
        GO_SKEY.replace("c74f20a3", "c74f20a4"),
    ):
        with pytest.raises(KeyFormatError):
            NoteSigner.from_skey(bad)
    assert "PeterNeumann" in repr(NoteSigner.from_skey(GO_SKEY))


def test_cosign_needs_a_signer(node: NoteSigner) -> None:
    with pytest.raises(ValueError):
        cosign_note(sign_note("x\n", node))


def test_repeated_signature_lines_count_once(node: NoteSigner) -> None:
    note = sign_note(CHECKPOINT.body(), node)
    line = note.split("\n\n")[1]
    assert open_note(note + line, [node.verifier])[1] == [node.name]


def test_the_same_trusted_key_twice_is_fine(node: NoteSigner) -> None:
    note = sign_note("x\n", node)
    assert open_note(note, [node.verifier, node.verifier])[1] == [node.name]
