"""Witness cosignatures (C2SP tlog-cosignature v1, Ed25519), against the spec's own bytes, a
real witness's cosignature, and signatures rebuilt by hand from the spec text."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.cosignature import (
    MAX_TIMESTAMP,
    Cosignature,
    CosignatureVerifier,
    Cosigner,
    FutureCosignatureError,
    cosign_checkpoint,
    cosignature_message,
    open_cosignatures,
)
from showclear.ledger.hashing import leaf_hash
from showclear.ledger.note import (
    BadSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    UnknownKeyError,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
)

# -- the example in c2sp.org/tlog-cosignature ------------------------------------------------

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_NOTE = (
    SPEC_BODY
    + "\n"
    + "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
# The spec's "Ed25519 signed message" example, line by line.
SPEC_MESSAGE = (
    b"cosignature/v1\n"
    b"time 1679315147\n"
    b"example.com/behind-the-sofa\n"
    b"20852163\n"
    b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

# -- a real one: a checkpoint of transparency.dev's staging CT log, as published with the
# cosignatures of public witnesses. The remora.n621.de line was made by that witness's own
# software, not by ShowClear; its verifier key is the one that witness publishes.
REAL_BODY = (
    "arche2025h1.staging.ct.transparency.dev\n1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
)
REAL_NOTE = (
    REAL_BODY
    + "\n"
    + "— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6ho"
    "GREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkz"
    "bC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTz"
    "wZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEc"
    "xZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sX"
    "Tynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmI"
    "Y/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"

# RFC 8032 section 7.1, TEST 1: a published Ed25519 key pair.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

CHECKPOINT = Checkpoint("showclear.set/0a1b2c3d/p1", 42, leaf_hash(b"root"))
T0 = 1_700_000_000


@pytest.fixture(scope="module")
def studio() -> Cosigner:
    return Cosigner("studio.example/witness", Ed25519PrivateKey.from_private_bytes(RFC8032_SEED))


@pytest.fixture(scope="module")
def node() -> NoteSigner:
    return NoteSigner("showclear.set/0a1b2c3d", Ed25519PrivateKey.generate())


# -- spec vectors ---------------------------------------------------------------------------


def test_signed_message_is_the_specs_example() -> None:
    assert cosignature_message(SPEC_BODY, 1679315147) == SPEC_MESSAGE


def test_specs_witness_line_reads_as_key_id_time_and_signature() -> None:
    body, (log_line, witness_line) = parse_note(SPEC_NOTE)
    assert body == SPEC_BODY
    cosig = Cosignature.from_note_signature(witness_line)
    assert (cosig.name, cosig.key_id.hex(), cosig.timestamp) == (
        "witness.example.com/w1",
        "8d66cf3f",
        1679315147,  # the "time" line of the spec's signed-message example
    )
    assert len(cosig.signature) == 64
    assert cosig.line() == SPEC_NOTE.splitlines(keepends=True)[-1]
    # The log's own line is a plain note signature (4 + 64 bytes), not a cosignature.
    with pytest.raises(MalformedNoteError, match="68 bytes, not 76"):
        Cosignature.from_note_signature(log_line)


def test_timestamp_read_as_transparency_dev_formats_reads_it() -> None:
    # The vectors of transparency-dev/formats' CosignatureTimestamp test.
    raw = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFi"
        "EBYJXORmnFBOBA=="
    )
    assert Cosignature.from_note_signature(NoteSignature("w", raw[:4], raw[4:])).timestamp == (
        1727964367
    )
    plain = base64.b64decode(
        "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xk"
        "NQY="
    )
    with pytest.raises(MalformedNoteError):
        Cosignature.from_note_signature(NoteSignature("w", plain[:4], plain[4:]))


# -- a real witness's cosignature -------------------------------------------------------------


def test_real_witness_cosignature_verifies() -> None:
    remora = CosignatureVerifier.from_vkey(REMORA_VKEY)
    assert remora.key_id.hex() == "da77ade7"  # our key ID rule gives the published one
    assert remora.vkey() == REMORA_VKEY
    checkpoint, (cosig,) = open_cosignatures(REAL_NOTE, remora)
    assert (checkpoint.origin, checkpoint.size) == (
        "arche2025h1.staging.ct.transparency.dev",
        1432088532,
    )
    assert (cosig.name, cosig.timestamp) == ("remora.n621.de", 1779573024)
    assert remora.verify(REAL_BODY, cosig)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda note: note.replace("1432088532", "1432088533", 1),  # another tree size
        lambda note: note.replace("U7WM79jr", "U7WM79js", 1),  # another root
        lambda note: note.replace("2net5wAAAABqEiEg", "2net5wAAAABqEiEh", 1),  # another time
    ],
    ids=["size", "root", "time"],
)
def test_real_witness_cosignature_rejects_any_change(tamper: Callable[[str], str]) -> None:
    remora = CosignatureVerifier.from_vkey(REMORA_VKEY)
    with pytest.raises(BadSignatureError, match=r"remora\.n621\.de"):
        open_cosignatures(tamper(REAL_NOTE), remora)


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        # A note (type 0x01) verifier key, from transparency-dev/formats' tests.
        ("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6", "type 0x01"),
        ("remora.n621.de+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "does not match"),
        ("remora.n621.de+da77ade7+THIS_IS_NOT_BASE64!", "not <name>"),
        ("remora.n621.de+da77ade7", "must look like"),
        ("remora n621+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "invalid key name"),
    ],
)
def test_bad_verifier_keys_are_refused(vkey: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        CosignatureVerifier.from_vkey(vkey)


# -- signing, checked against bytes built by hand from the spec -------------------------------


def test_cosignature_line_is_built_exactly_as_the_spec_says(
    studio: Cosigner, node: NoteSigner
) -> None:
    assert studio.verifier.public_key == RFC8032_PUBLIC
    note = sign_checkpoint(CHECKPOINT, node)
    cosigned = cosign_checkpoint(note, studio, T0)

    body = CHECKPOINT.body()
    name = "studio.example/witness"
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + RFC8032_PUBLIC).digest()[:4]
    message = b"cosignature/v1\ntime 1700000000\n" + body.encode()
    signature = Ed25519PrivateKey.from_private_bytes(RFC8032_SEED).sign(message)  # deterministic
    blob = key_id + T0.to_bytes(8, "big") + signature
    expected_line = f"\u2014 {name} {base64.b64encode(blob).decode()}\n"

    assert cosigned == note + expected_line
    typed_key = base64.b64encode(b"\x04" + RFC8032_PUBLIC).decode()
    assert studio.verifier.vkey() == f"{name}+{key_id.hex()}+{typed_key}"


def test_node_signature_and_studio_cosignature_live_on_one_note(
    studio: Cosigner, node: NoteSigner
) -> None:
    note = cosign_checkpoint(sign_checkpoint(CHECKPOINT, node), studio, T0)
    # The node's key still opens it: the cosignature line is not a note signature of any key
    # the node's verifier knows.
    checkpoint, names = open_checkpoint(note, node.verifier)
    assert (checkpoint, names) == (CHECKPOINT, [node.name])
    checkpoint, (cosig,) = open_cosignatures(note, studio.verifier)
    assert (checkpoint, cosig.name, cosig.timestamp) == (CHECKPOINT, studio.name, T0)
    # Cosigning again (a later time) replaces the studio's line instead of adding one.
    again = cosign_checkpoint(note, studio, T0 + 60)
    assert len(parse_note(again)[1]) == 2
    assert open_cosignatures(again, studio.verifier)[1][0].timestamp == T0 + 60


def test_a_cosignature_is_not_a_note_signature_by_the_same_key(studio: Cosigner) -> None:
    cosig_only = CHECKPOINT.body() + "\n" + studio.cosign(CHECKPOINT.body(), T0).line()
    same_key_as_note_key = NoteVerifier(studio.name, studio.verifier.public_key)
    with pytest.raises(UnknownKeyError):
        open_note(cosig_only, same_key_as_note_key)


def test_cosignature_moved_to_another_checkpoint_is_refused(studio: Cosigner) -> None:
    cosig = studio.cosign(CHECKPOINT.body(), T0)
    bigger = Checkpoint(CHECKPOINT.origin, CHECKPOINT.size + 1, CHECKPOINT.root_hash)
    with pytest.raises(BadSignatureError, match="does not match the checkpoint"):
        open_cosignatures(bigger.body() + "\n" + cosig.line(), studio.verifier)


def test_untrusted_or_absent_cosigners_give_no_cosignature(
    studio: Cosigner, node: NoteSigner
) -> None:
    note = cosign_checkpoint(sign_checkpoint(CHECKPOINT, node), studio, T0)
    stranger = Cosigner("studio.example/witness", Ed25519PrivateKey.generate())
    assert open_cosignatures(note, stranger.verifier) == (CHECKPOINT, [])
    assert open_cosignatures(note, []) == (CHECKPOINT, [])
    other = Cosigner("insurer.example/witness", Ed25519PrivateKey.generate())
    both = cosign_checkpoint(note, other, T0 + 5)
    _, cosigs = open_cosignatures(both, [other.verifier, studio.verifier])
    assert [c.name for c in cosigs] == [other.name, studio.name]


def test_future_and_out_of_range_times_are_refused(studio: Cosigner) -> None:
    note = CHECKPOINT.body() + "\n" + studio.cosign(CHECKPOINT.body(), T0).line()
    assert open_cosignatures(note, studio.verifier, not_after=T0)[1][0].timestamp == T0
    with pytest.raises(FutureCosignatureError, match="check the clocks"):
        open_cosignatures(note, studio.verifier, not_after=T0 - 1)
    for bad in (-1, MAX_TIMESTAMP + 1):
        with pytest.raises(MalformedNoteError, match="outside"):
            studio.cosign(CHECKPOINT.body(), bad)
    assert studio.cosign(CHECKPOINT.body(), MAX_TIMESTAMP).timestamp == MAX_TIMESTAMP
    # A line claiming a time past 2**63 - 1 is malformed, whatever its signature.
    sig = studio.cosign(CHECKPOINT.body(), T0).note_signature()
    too_late = NoteSignature(sig.name, sig.key_id, b"\x80" + sig.signature[1:])
    with pytest.raises(MalformedNoteError, match="outside"):
        open_cosignatures(CHECKPOINT.body() + "\n" + too_late.line(), studio.verifier)


def test_only_checkpoints_are_cosigned(studio: Cosigner) -> None:
    with pytest.raises(MalformedNoteError, match="only checkpoints"):
        studio.cosign("not a checkpoint\n", T0)
    with pytest.raises(MalformedNoteError, match="not a checkpoint"):
        open_cosignatures("hello\n\n— x AAAAAAAAAAAAAAAA\n", studio.verifier)


@settings(deadline=None)  # signing and checking per example: no timing assertion on a shared CPU
@given(
    origin=st.from_regex(r"[a-z][a-z0-9./-]{0,40}", fullmatch=True),
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    timestamp=st.integers(min_value=0, max_value=MAX_TIMESTAMP),
    other_time=st.integers(min_value=0, max_value=MAX_TIMESTAMP),
    flip=st.integers(min_value=0),
)
def test_any_checkpoint_round_trips_and_any_change_fails(
    origin: str, size: int, root: bytes, timestamp: int, other_time: int, flip: int
) -> None:
    cosigner = Cosigner("w.example/1", Ed25519PrivateKey.from_private_bytes(RFC8032_SEED))
    body = Checkpoint(origin, size, root).body()
    cosig = cosigner.cosign(body, timestamp)
    assert cosigner.verifier.verify(body, cosig)
    index = flip % (len(body) - 1)  # any character but the final newline
    altered = body[:index] + chr(ord(body[index]) ^ 1) + body[index + 1 :]
    assert not cosigner.verifier.verify(altered, cosig)
    if other_time != timestamp:
        moved = Cosignature(cosig.name, cosig.key_id, other_time, cosig.signature)
        assert not cosigner.verifier.verify(body, moved)
