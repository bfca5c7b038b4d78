"""Cosignatures refused, each in its own words, and which of several lines counts
(cosignature.py). test_cosignature.py checks the format against the spec and a real witness;
these pin what a refusal says and the choice among lines."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.cosignature import (
    MAX_TIMESTAMP,
    CosignatureVerifier,
    Cosigner,
    FutureCosignatureError,
    cosignature_message,
    open_cosignatures,
)
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.note import (
    BadSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteError,
    NoteSignature,
)

STUDIO = Cosigner("studio.example/witness", Ed25519PrivateKey.generate())
OTHER = Cosigner("insurer.example/witness", Ed25519PrivateKey.generate())
BODY = Checkpoint("example.org/log", 7, EMPTY_ROOT).body()
T0 = 1_700_000_000


def refusal(error: type[NoteError], call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(caught.value)


def test_times_outside_the_range_are_named() -> None:
    for bad in (-1, MAX_TIMESTAMP + 1, True):
        assert refusal(MalformedNoteError, cosignature_message, BODY, bad) == (
            f"cosignature time {bad!r} is outside 0..2**63-1"
        )
    assert cosignature_message(BODY, 0).startswith(b"cosignature/v1\ntime 0\n")
    assert refusal(MalformedNoteError, cosignature_message, BODY[:-1], T0) == (
        "note text must end with a newline"
    )


def test_a_line_of_the_wrong_length_is_not_a_cosignature() -> None:
    line = NoteSignature(STUDIO.name, STUDIO.verifier.key_id, b"\x00" * 10)
    note = BODY + "\n" + line.line()
    assert refusal(MalformedNoteError, open_cosignatures, note, STUDIO.verifier) == (
        f"cosignature by {STUDIO.name} is 14 bytes, not 76"
    )


def test_cosigner_keys_refused_in_their_own_words() -> None:
    vkey = STUDIO.verifier.vkey()
    name, key_id, key = vkey.split("+", 2)
    parse = CosignatureVerifier.from_vkey
    assert parse(vkey) == STUDIO.verifier
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}") == (
        "verifier key must look like <name>+<key id>+<key>"
    )
    broken = f"{name}+{key_id}+{key[:6]}!{key[7:]}"
    assert refusal(KeyFormatError, parse, broken) == (
        f"verifier key {broken!r} is not <name>+<hex>+<base64>"
    )
    # Inserted, not replacing a digit: a lenient decoder would skip it and read the key.
    inserted = f"{name}+{key_id}+{key[:6]}!{key[6:]}"
    assert refusal(KeyFormatError, parse, inserted) == (
        f"verifier key {inserted!r} is not <name>+<hex>+<base64>"
    )
    assert refusal(KeyFormatError, parse, f"{name}+0000000g+{key}") == (
        "key ID '0000000g' is not 8 hex digits"
    )
    for wrong_length in (key_id[:-1], key_id + "0", key_id[:-2]):
        assert refusal(KeyFormatError, parse, f"{name}+{wrong_length}+{key}") == (
            f"key ID {wrong_length!r} is not 8 hex digits"
        )
    assert refusal(KeyFormatError, parse, f"{name}+00000000+{key}") == (
        f"key ID 00000000 does not match cosigner key {name!r}"
    )
    assert parse(f"{name}+{key_id.upper()}+{key}") == STUDIO.verifier  # hex in either case
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}+") == (
        f"{name}: not an Ed25519 cosignature (type 0x04) verifier key (empty)"
    )
    typed = base64.b64encode(b"\x01" + STUDIO.verifier.public_key).decode()
    assert refusal(KeyFormatError, parse, f"{name}+{key_id}+{typed}") == (
        f"{name}: not an Ed25519 cosignature (type 0x04) verifier key (type 0x01)"
    )


def test_only_the_named_cosigner_verifies_its_lines() -> None:
    cosig = STUDIO.cosign(BODY, T0)
    assert STUDIO.verifier.verify(BODY, cosig)
    renamed = CosignatureVerifier("studio.example/other", STUDIO.verifier.public_key)
    assert not renamed.matches(cosig) and not renamed.verify(BODY, cosig)


def test_a_cosignature_under_another_name_or_key_id_is_not_the_cosigners() -> None:
    """The signed message does not name the cosigner: the line's name and key ID must both match."""
    cosig = STUDIO.cosign(BODY, T0)
    for changed in (replace(cosig, name=OTHER.name), replace(cosig, key_id=bytes(4))):
        assert not STUDIO.verifier.matches(changed)
        assert not STUDIO.verifier.verify(BODY, changed)


def test_refusals_name_the_cosigner_and_the_time() -> None:
    cosig = STUDIO.cosign(BODY, T0)
    note = BODY + "\n" + cosig.line()
    assert refusal(FutureCosignatureError, open_cosignatures, note, STUDIO.verifier,
                   not_after=T0 - 1) == (
        f"cosignature by {STUDIO.name} is dated {T0}, after {T0 - 1}: check the clocks"
    )  # fmt: skip
    moved = Checkpoint("example.org/log", 8, EMPTY_ROOT).body() + "\n" + cosig.line()
    assert refusal(BadSignatureError, open_cosignatures, moved, STUDIO.verifier) == (
        f"cosignature by {STUDIO.name}+{STUDIO.verifier.key_id.hex()} does not match the checkpoint"
    )
    assert refusal(MalformedNoteError, STUDIO.cosign, "one line\n", T0).startswith(
        "only checkpoints are cosigned: "
    )
    assert refusal(MalformedNoteError, open_cosignatures, "a\n\n" + cosig.line(),
                   STUDIO.verifier).startswith("signed text is not a checkpoint: ")  # fmt: skip


@pytest.mark.parametrize("order", [(T0 + 60, T0), (T0, T0 + 60)])
def test_the_latest_of_a_cosigners_lines_counts(order: tuple[int, int]) -> None:
    lines = "".join(STUDIO.cosign(BODY, t).line() for t in order)
    other = OTHER.cosign(BODY, T0 + 5).line()
    _, cosigs = open_cosignatures(BODY + "\n" + lines + other, [STUDIO.verifier, OTHER.verifier])
    assert [(c.name, c.timestamp) for c in cosigs] == [
        (STUDIO.name, T0 + 60),
        (OTHER.name, T0 + 5),
    ]
