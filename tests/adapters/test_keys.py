"""Signing keys on disk: permissions, round trips, fingerprints."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from showclear.adapters.keys import (
    PRIVATE_KEY_FILE,
    VERIFIER_KEY_FILE,
    WITNESS_PRIVATE_KEY_FILE,
    WITNESS_VERIFIER_KEY_FILE,
    KeyFileError,
    fingerprint,
    generate_keypair,
    generate_witness_key,
    key_summary,
    load_signer,
    load_verifier,
    load_witness_key,
    load_witness_verifier,
)
from showclear.ledger.note import KeyFormatError, open_note, sign_note

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    # Under umask 000 a plain open() would create a world-readable file: the key must not be.
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_key_is_created_0600(tmp_path: Path, permissive_umask: None) -> None:
    paths = generate_keypair(tmp_path / "keys", "set-node.p1")
    assert paths.private_key == tmp_path / "keys" / PRIVATE_KEY_FILE
    assert mode(paths.private_key) == 0o600
    assert mode(paths.verifier_key) == 0o644
    assert mode(tmp_path / "keys") == 0o700
    assert paths.private_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_generate_then_load_signs_and_verifies(tmp_path: Path) -> None:
    paths = generate_keypair(tmp_path, "set-node.p1")
    signer = load_signer(tmp_path)
    verifier = load_verifier(paths.verifier_key)
    assert load_verifier(tmp_path) == verifier == signer.verifier
    assert signer.name == "set-node.p1"
    note = sign_note("hello\n", signer)
    assert open_note(note, [verifier]) == ("hello\n", ["set-node.p1"])


def test_existing_keys_are_never_overwritten(tmp_path: Path) -> None:
    generate_keypair(tmp_path, "a")
    before = (tmp_path / PRIVATE_KEY_FILE).read_bytes()
    with pytest.raises(KeyFileError):
        generate_keypair(tmp_path, "b")
    assert (tmp_path / PRIVATE_KEY_FILE).read_bytes() == before


def test_refuses_a_private_key_others_can_read(tmp_path: Path) -> None:
    paths = generate_keypair(tmp_path, "a")
    paths.private_key.chmod(0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_signer(tmp_path)


def test_refuses_mismatched_pair(tmp_path: Path) -> None:
    generate_keypair(tmp_path / "one", "a")
    generate_keypair(tmp_path / "two", "a")
    (tmp_path / "one" / VERIFIER_KEY_FILE).write_bytes(
        (tmp_path / "two" / VERIFIER_KEY_FILE).read_bytes()
    )
    with pytest.raises(KeyFileError):
        load_signer(tmp_path / "one")


def test_mismatched_pairs_name_both_files(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for make, vkey_file in (
        (generate_keypair, VERIFIER_KEY_FILE),
        (generate_witness_key, WITNESS_VERIFIER_KEY_FILE),
    ):
        make(one, "a")
        make(two, "a")
        (one / vkey_file).write_bytes((two / vkey_file).read_bytes())
    for load, private_file, vkey_file in (
        (load_signer, PRIVATE_KEY_FILE, VERIFIER_KEY_FILE),
        (load_witness_key, WITNESS_PRIVATE_KEY_FILE, WITNESS_VERIFIER_KEY_FILE),
    ):
        with pytest.raises(KeyFileError) as refused:
            load(one)
        assert str(refused.value) == f"{one / private_file} does not match {one / vkey_file}"


def test_witness_key_round_trip_and_its_refusals(tmp_path: Path, permissive_umask: None) -> None:
    cosigner = generate_witness_key(tmp_path, "studio.example/witness")
    assert mode(tmp_path / WITNESS_PRIVATE_KEY_FILE) == 0o600
    assert mode(tmp_path / WITNESS_VERIFIER_KEY_FILE) == 0o644
    assert load_witness_verifier(tmp_path) == cosigner.verifier
    assert load_witness_key(tmp_path).verifier == cosigner.verifier
    with pytest.raises(KeyFileError, match="already exists"):
        generate_witness_key(tmp_path, "studio.example/witness")
    (tmp_path / WITNESS_PRIVATE_KEY_FILE).unlink()
    with pytest.raises(KeyFileError, match=r"; create it with `showclear studio init`$"):
        load_witness_key(tmp_path)
    with pytest.raises(KeyFileError, match=r"^cannot read the studio's verifier key "):
        load_witness_verifier(tmp_path / "missing")
    (tmp_path / WITNESS_VERIFIER_KEY_FILE).write_text("not a key\n")
    with pytest.raises(KeyFileError, match=r"is not a studio \(cosignature\) verifier key: "):
        load_witness_verifier(tmp_path)


def test_verifier_key_errors_say_which_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"^cannot read verifier key "):
        load_verifier(tmp_path / "missing")
    (tmp_path / VERIFIER_KEY_FILE).write_text("not a key\n")
    with pytest.raises(
        KeyFileError,
        match="^" + re.escape(f"{tmp_path / VERIFIER_KEY_FILE} is not a verifier key: "),
    ):
        load_verifier(tmp_path)


def test_bad_name_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyFormatError):
        generate_keypair(tmp_path / "k", "has space")
    assert not (tmp_path / "k").exists()


def test_private_key_must_be_an_ed25519_pem(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    paths = generate_keypair(tmp_path, "a")
    paths.private_key.write_bytes(b"garbage")
    with pytest.raises(KeyFileError, match="PEM"):
        load_signer(tmp_path)
    other = ec.generate_private_key(ec.SECP256R1())
    pem = other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    paths.private_key.write_bytes(pem)
    with pytest.raises(KeyFileError, match="Ed25519"):
        load_signer(tmp_path)


def test_missing_or_garbled_files(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError):
        load_signer(tmp_path)
    (tmp_path / VERIFIER_KEY_FILE).write_text("not a key\n")
    with pytest.raises(KeyFileError):
        load_verifier(tmp_path)


def test_fingerprint_is_openssh_style(tmp_path: Path) -> None:
    generate_keypair(tmp_path, "set-node.p1")
    verifier = load_verifier(tmp_path)
    digest = hashlib.sha256(verifier.public_key).digest()
    want = "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
    assert fingerprint(verifier) == fingerprint(verifier.public_key) == want
    assert len(want) == len("SHA256:") + 43
    summary = key_summary(verifier)
    assert want in summary and verifier.key_id.hex() in summary and "set-node.p1" in summary
