"""Ed25519 (RFC 8032) signing keys for checkpoints, on disk.

A key directory holds two files:

- `ledger_ed25519.pem`: the private key, PKCS#8 PEM, mode 0600. It is created with
  `os.open(..., O_CREAT | O_EXCL, 0o600)`, so it is never readable by others, not even between
  creation and a later chmod, and an existing key is never overwritten.
- `ledger_ed25519.vkey`: the public key as a C2SP signed-note verifier key
  ("<name>+<hex key ID>+<base64(0x01 || key)>", see note.py), safe to publish and to put in
  export bundles.

`KeyDirectory` is this node's key pair next to its store (``<db>.keys/``): the
`showclear.ports.SigningKeys` the composition root hands the ledger.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from showclear.ledger.cosignature import CosignatureVerifier, Cosigner
from showclear.ledger.note import NoteError, NoteSigner, NoteVerifier, fingerprint, key_summary
from showclear.ports import KeyFileError

__all__ = [
    "PRIVATE_KEY_FILE",
    "VERIFIER_KEY_FILE",
    "WITNESS_PRIVATE_KEY_FILE",
    "WITNESS_VERIFIER_KEY_FILE",
    "KeyDirectory",
    "KeyFileError",
    "KeyPaths",
    "fingerprint",
    "generate_keypair",
    "generate_witness_key",
    "key_summary",
    "keys_dir",
    "load_signer",
    "load_verifier",
    "load_witness_key",
    "load_witness_verifier",
]

PRIVATE_KEY_FILE = "ledger_ed25519.pem"
VERIFIER_KEY_FILE = "ledger_ed25519.vkey"

_PRIVATE_MODE = 0o600
_PUBLIC_MODE = 0o644


@dataclass(frozen=True, slots=True)
class KeyPaths:
    private_key: Path
    verifier_key: Path


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never replace a key; the mode is applied at creation (umask can only narrow it).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError as e:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from e
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_keypair(directory: str | os.PathLike[str], name: str) -> KeyPaths:
    """Create a new Ed25519 key named `name` (the signed-note key name) in `directory`."""
    NoteVerifier(name, bytes(32))  # fail on a bad name before any file exists
    folder = Path(directory)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    paths = KeyPaths(folder / PRIVATE_KEY_FILE, folder / VERIFIER_KEY_FILE)
    for path in (paths.private_key, paths.verifier_key):
        if path.exists():
            raise KeyFileError(f"{path} already exists; refusing to overwrite a key")

    private_key = Ed25519PrivateKey.generate()
    signer = NoteSigner(name, private_key)
    _write_key_pair(folder, paths, private_key, signer.verifier.vkey())
    return paths


def _write_key_pair(
    folder: Path, paths: KeyPaths, private_key: Ed25519PrivateKey, vkey: str
) -> None:
    """Write a new private key (0600) and its verifier key (0644), then make both durable."""
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    _write_new_file(paths.private_key, pem, _PRIVATE_MODE)
    _write_new_file(paths.verifier_key, (vkey + "\n").encode("ascii"), _PUBLIC_MODE)
    _fsync_directory(folder)


_Verifier = TypeVar("_Verifier")


def _load_vkey(
    path: str | os.PathLike[str],
    default_file: str,
    parse: Callable[[str], _Verifier],
    what: str,
    kind: str,
) -> _Verifier:
    """Read and parse a verifier key file, or the `default_file` of a key directory.

    `what` names the key in a read error ("cannot read <what> <file>"), `kind` in a parse error
    ("<file> is not a <kind>").
    """
    file = Path(path)
    if file.is_dir():
        file = file / default_file
    try:
        text = file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as e:
        raise KeyFileError(f"cannot read {what} {file}: {e}") from e
    try:
        return parse(text)
    except NoteError as e:
        raise KeyFileError(f"{file} is not a {kind}: {e}") from e


def load_verifier(path: str | os.PathLike[str]) -> NoteVerifier:
    """Load a verifier key file (or the one in a key directory)."""
    return _load_vkey(
        path, VERIFIER_KEY_FILE, NoteVerifier.from_vkey, "verifier key", "verifier key"
    )


def load_signer(directory: str | os.PathLike[str]) -> NoteSigner:
    """Load the private key and its name from a key directory made by `generate_keypair`.

    Like OpenSSH, refuses a private key file that group or others can access.
    """
    folder = Path(directory)
    paths = KeyPaths(folder / PRIVATE_KEY_FILE, folder / VERIFIER_KEY_FILE)
    verifier = load_verifier(paths.verifier_key)
    return _matching_signer(paths, verifier.name, verifier, NoteSigner, "")


class _Signer(Protocol):
    @property
    def verifier(self) -> object: ...


_S = TypeVar("_S", bound=_Signer)


def _matching_signer(
    paths: KeyPaths,
    name: str,
    expected: object,
    make: Callable[[str, Ed25519PrivateKey], _S],
    hint: str,
) -> _S:
    """The private key as a signer named `name`, refused unless its public half is the
    verifier key `expected` (the one read from `paths.verifier_key`)."""
    signer = make(name, _load_private_key(paths.private_key, hint))
    if signer.verifier != expected:
        raise KeyFileError(f"{paths.private_key} does not match {paths.verifier_key}")
    return signer


def _load_private_key(private_path: Path, hint: str) -> Ed25519PrivateKey:
    """An unencrypted Ed25519 PEM key that only its owner can read (as OpenSSH insists)."""
    try:
        info = private_path.stat()
        pem = private_path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"cannot read private key {private_path}: {e}{hint}") from e
    if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
        raise KeyFileError(
            f"{private_path} is accessible by others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {private_path}"
        )
    try:
        private_key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise KeyFileError(f"{private_path} is not an unencrypted PEM private key") from e
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyFileError(f"{private_path} is not an Ed25519 key")
    return private_key


def keys_dir(store_path: str | os.PathLike[str]) -> Path:
    """The key directory of a store file: ``<db>.keys/``."""
    return Path(f"{os.fspath(store_path)}.keys")


class KeyDirectory:
    """This node's key pair in a directory (`showclear.ports.SigningKeys`)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @property
    def location(self) -> str:
        return f"{self.folder}/"

    def signer(self, name: str) -> tuple[NoteSigner, bool]:
        """Load the signer, creating the key pair under `name` when missing: (signer, created)."""
        created = False
        if not (self.folder / VERIFIER_KEY_FILE).exists():
            try:
                generate_keypair(self.folder, name)
                created = True
            except KeyFileError:
                pass  # another process created it first
        return load_signer(self.folder), created

    def verifier(self) -> NoteVerifier:
        """The verifier key kept in the directory (raises KeyFileError when missing)."""
        return load_verifier(self.folder / VERIFIER_KEY_FILE)


# -- the studio's witness key --------------------------------------------------------------------

WITNESS_PRIVATE_KEY_FILE = "witness_ed25519.pem"
WITNESS_VERIFIER_KEY_FILE = "witness_ed25519.vkey"


def generate_witness_key(directory: str | os.PathLike[str], name: str) -> Cosigner:
    """Create the studio's co-signing key (C2SP tlog-cosignature, type 0x04) in `directory`.

    A key of its own, never the ledger key of a node: a cosignature message does not name its
    signer, so one Ed25519 key must serve one cosigner name only.
    """
    folder = Path(directory)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_path = folder / WITNESS_PRIVATE_KEY_FILE
    if private_path.exists():
        raise KeyFileError(f"{private_path} already exists; refusing to overwrite a key")
    private_key = Ed25519PrivateKey.generate()
    cosigner = Cosigner(name, private_key)  # fails on a bad name before any file exists
    paths = KeyPaths(private_path, folder / WITNESS_VERIFIER_KEY_FILE)
    _write_key_pair(folder, paths, private_key, cosigner.verifier.vkey())
    return cosigner


def load_witness_verifier(path: str | os.PathLike[str]) -> CosignatureVerifier:
    """The studio's published co-signing key (a file, or the one in a key directory)."""
    return _load_vkey(
        path,
        WITNESS_VERIFIER_KEY_FILE,
        CosignatureVerifier.from_vkey,
        "the studio's verifier key",
        "studio (cosignature) verifier key",
    )


def load_witness_key(directory: str | os.PathLike[str]) -> Cosigner:
    """The studio's co-signing key from `directory` (refused when others can read it)."""
    folder = Path(directory)
    paths = KeyPaths(folder / WITNESS_PRIVATE_KEY_FILE, folder / WITNESS_VERIFIER_KEY_FILE)
    verifier = load_witness_verifier(paths.verifier_key)
    hint = "; create it with `showclear studio init`"
    return _matching_signer(paths, verifier.name, verifier, Cosigner, hint)
