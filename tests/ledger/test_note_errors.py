"""Signed notes and keys refused, each with its own words (note.py).

`showclear verify` and `verify-proof` print these messages, so each refusal is pinned here
exactly, with the one thing wrong in its input; and the signature checks' edges: a note whose
text is empty, a signature line repeated before another trusted key's.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.note import (
    MAX_SIGNATURES,
    BadSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteError,
    NoteSigner,
    NoteVerifier,
    UnknownKeyError,
    cosign_note,
    fingerprint,
    key_summary,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
    sign_note,
)

NODE = NoteSigner("set-node.p1", Ed25519PrivateKey.generate())
STUDIO = NoteSigner("studio.example", Ed25519PrivateKey.generate())
# The signed-note spec's own example signer key (golang.org/x/mod/sumdb/note).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
BODY = Checkpoint("example.org/log", 1, EMPTY_ROOT).body()


def refusal(error: type[NoteError], call: object, *args: object) -> str:
    with pytest.raises(error) as caught:
        call(*args)  # type: ignore[operator]
    return str(caught.value)


# -- keys ------------------------------------------------------------------------------------------


def test_verifier_keys_refused_in_their_own_words() -> None:
    vkey = NODE.verifier.vkey()
    name, key_id, key = vkey.split("+", 2)
    parse = NoteVerifier.from_vkey
    shape = "verifier key must look like <name>+<key id>+<key>"
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}") == shape
    assert refusal(KeyFormatError, parse, f"{name}+0000000X+{key}") == (
        "key ID '0000000X' is not 8 hex digits"
    )
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}0+{key}") == (
        f"key ID '{key_id}0' is not 8 hex digits"
    )
    not_base64 = "verifier key is not base64"
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}+{key[:10]}!{key[11:]}") == not_base64
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}+{key[:10]}é{key[11:]}") == not_base64
    # Inserted, not replacing a digit: a lenient decoder would skip it and read the key.
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}+{key[:10]}!{key[10:]}") == not_base64
    typed = base64.b64encode(b"\x04" + NODE.verifier.public_key).decode()
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}+{typed}") == (
        "verifier key is not an Ed25519 (type 0x01) key"
    )
    assert refusal(KeyFormatError, parse, f"other+{key_id}+{key}") == (
        f"key ID {key_id} does not match key 'other'"
    )
    assert parse(f"{name}+{key_id.upper()}+{key}") == NODE.verifier  # hex in either case


def test_verifier_key_fields_are_checked() -> None:
    assert refusal(KeyFormatError, NoteVerifier, "a name", b"\x00" * 32) == (
        "invalid key name 'a name'"
    )
    assert refusal(KeyFormatError, NoteVerifier, "n", b"\x00" * 31) == (
        "Ed25519 public key must be 32 bytes, got 31"
    )


def test_signer_keys_refused_in_their_own_words() -> None:
    parse = NoteSigner.from_skey
    _, _, name, key_id, seed = GO_SKEY.split("+", 4)
    assert parse(GO_SKEY).key_id.hex() == key_id
    assert parse(f"PRIVATE+KEY+{name}+{key_id.upper()}+{seed}").key_id.hex() == key_id
    shape = "signer key must look like PRIVATE+KEY+<name>+<key id>+<key>"
    assert refusal(KeyFormatError, parse, GO_SKEY.replace("PRIVATE+", "PUBLIC+")) == shape
    assert refusal(KeyFormatError, parse, GO_SKEY.replace("+KEY+", "+KEYS+")) == shape
    not_base64 = "signer key is not base64"
    assert refusal(KeyFormatError, parse, f"PRIVATE+KEY+{name}+{key_id}+{seed[:5]}!{seed[6:]}") == (
        not_base64
    )
    assert refusal(KeyFormatError, parse, f"PRIVATE+KEY+{name}+{key_id}+{seed[:5]}!{seed[5:]}") == (
        not_base64
    )
    wrong = "signer key is not an Ed25519 (type 0x01) seed"
    short = base64.b64encode(base64.b64decode(seed)[:-1]).decode()
    assert refusal(KeyFormatError, parse, f"PRIVATE+KEY+{name}+{key_id}+{short}") == wrong
    typed = base64.b64encode(b"\x04" + base64.b64decode(seed)[1:]).decode()
    assert refusal(KeyFormatError, parse, f"PRIVATE+KEY+{name}+{key_id}+{typed}") == wrong
    assert refusal(KeyFormatError, parse, f"PRIVATE+KEY+{name}+00000000+{seed}") == (
        "key ID 00000000 does not match key 'PeterNeumann'"
    )


def test_two_trusted_keys_may_not_share_a_name_and_id() -> None:
    note = sign_note(BODY, NODE)
    twin = NoteVerifier(NODE.name, NODE.verifier.public_key)
    assert open_note(note, [NODE.verifier, twin])[1] == [NODE.name]  # the same key twice: fine
    clash = _same_slot(NODE.verifier, STUDIO.verifier.public_key)
    assert refusal(KeyFormatError, open_note, note, [NODE.verifier, clash]) == (
        f"two trusted keys share name and ID {clash.vkey()}"
    )


def _same_slot(verifier: NoteVerifier, other_key: bytes) -> NoteVerifier:
    """A verifier with `verifier`'s name and key ID but another key (a forged trust list)."""

    class SameSlot(NoteVerifier):
        @property
        def key_id(self) -> bytes:
            return verifier.key_id

    return SameSlot(verifier.name, other_key)


# -- notes -----------------------------------------------------------------------------------------


def test_signing_needs_signers_and_a_clean_text() -> None:
    assert refusal(NoteError, sign_note, "no newline", NODE) == (
        "note text must end with a newline"
    )
    assert refusal(NoteError, sign_note, "tab\there\n", NODE) == (
        "note text contains a control character"
    )
    with pytest.raises(ValueError) as caught:
        sign_note(BODY)
    assert str(caught.value) == "sign_note needs at least one signer"
    with pytest.raises(ValueError) as caught:
        cosign_note(sign_note(BODY, NODE))
    assert str(caught.value) == "cosign_note needs at least one signer"


def test_parsing_refuses_in_its_own_words() -> None:
    note = sign_note(BODY, NODE)
    assert refusal(MalformedNoteError, parse_note, note.replace("log", "l\x07g")) == (
        "note contains a control character"
    )
    assert refusal(MalformedNoteError, parse_note, note[:-1]) == "note has no signature lines"
    assert refusal(MalformedNoteError, parse_note, BODY + "\n") == "note has no signature lines"
    # An empty text is a text: the blank line at the very start still splits it.
    signature = note[note.rindex("\n\n") + 2 :]
    body, signatures = parse_note("\n\n" + signature)
    assert body == "\n" and [s.name for s in signatures] == [NODE.name]


def test_a_bad_signature_line_is_refused_in_its_own_words() -> None:
    note = sign_note(BODY, NODE)
    line = note[note.rindex("\n\n") + 2 : -1]
    name, blob = line.removeprefix("\u2014 ").split(" ")

    def refused(bad: str) -> str:
        return refusal(MalformedNoteError, parse_note, f"{BODY}\n{bad}\n")

    assert refused(f"- {name} {blob}") == (
        f"signature line does not start with an em dash: '- {name} {blob}'"
    )
    assert refused(f"\u2014 {name}") == f"malformed signature line: '\u2014 {name}'"
    # The key name ends at the first space: what follows is the signature, here not base64.
    assert (
        refused(f"\u2014 {name} x {blob}") == f"signature is not base64: '\u2014 {name} x {blob}'"
    )
    # A character outside base64 inside the signature is refused, never skipped.
    junk = f"\u2014 {name} {blob[:8]}!{blob[8:]}"
    assert refused(junk) == f"signature is not base64: {junk!r}"
    assert refused(f"\u2014 {name} AAAA") == f"signature too short: '\u2014 {name} AAAA'"


def test_a_signature_line_holds_a_key_id_and_at_least_one_byte() -> None:
    four, five = (base64.b64encode(bytes(range(n))).decode() for n in (4, 5))
    assert refusal(MalformedNoteError, parse_note, f"{BODY}\n\u2014 k {four}\n") == (
        f"signature too short: '\u2014 k {four}'"
    )
    (sig,) = parse_note(f"{BODY}\n\u2014 k {five}\n")[1]
    assert (sig.name, sig.key_id, sig.signature) == ("k", bytes(range(4)), b"\x04")


def test_a_note_carries_at_most_100_signatures() -> None:
    line = sign_note(BODY, NODE)[len(BODY) + 1 :]
    body, signatures = parse_note(BODY + "\n" + line * MAX_SIGNATURES)
    assert body == BODY and len(signatures) == MAX_SIGNATURES == 100
    assert refusal(MalformedNoteError, parse_note, BODY + "\n" + line * 101) == (
        "note has more than 100 signatures"
    )


def test_a_key_fingerprint_is_the_unpadded_base64_of_the_raw_keys_sha256() -> None:
    verifier = NoteSigner.from_skey(GO_SKEY).verifier
    expected = "SHA256:x6nVQfEWroKLaT7oyJSCu+PseG+qHfFZZ3vWUVA5Tw8"
    digest = base64.b64encode(hashlib.sha256(verifier.public_key).digest()).decode()
    assert expected == "SHA256:" + digest[:43] and digest[43:] == "="
    assert fingerprint(verifier) == expected
    assert fingerprint(verifier.public_key) == expected  # the raw key gives the same
    assert key_summary(verifier) == f"PeterNeumann {expected} (key ID c74f20a3)"


def test_a_repeated_line_does_not_stop_the_next_trusted_signature_being_checked() -> None:
    note = sign_note(BODY, NODE, STUDIO)
    body, block = note.split("\n\n")
    node_line, studio_line = block.splitlines()
    repeated = f"{body}\n\n{node_line}\n{node_line}\n{studio_line}\n"
    trusted = [NODE.verifier, STUDIO.verifier]
    assert open_note(repeated, trusted)[1] == [NODE.name, STUDIO.name]
    bad_studio = studio_line[:-6] + ("AAAA" if studio_line[-6:-2] != "AAAA" else "BBBB") + "=="
    forged = f"{body}\n\n{node_line}\n{node_line}\n{bad_studio}\n"
    with pytest.raises(BadSignatureError):
        open_note(forged, trusted)


def test_unknown_signers_are_all_named() -> None:
    note = sign_note(BODY, NODE, STUDIO)
    stranger = NoteSigner("someone", Ed25519PrivateKey.generate())
    assert refusal(UnknownKeyError, open_note, note, stranger.verifier) == (
        "note is not signed by a trusted key (signed by "
        f"{NODE.name}+{NODE.key_id.hex()}, {STUDIO.name}+{STUDIO.key_id.hex()})"
    )


def test_a_signed_text_that_is_not_a_checkpoint_says_why() -> None:
    note = sign_note("just text\n", NODE)
    assert refusal(MalformedNoteError, open_checkpoint, note, NODE.verifier) == (
        "signed text is not a checkpoint: checkpoint needs at least 3 lines, got 1"
    )
    assert open_checkpoint(sign_checkpoint(Checkpoint.parse(BODY), NODE), NODE.verifier)[1] == [
        NODE.name
    ]
