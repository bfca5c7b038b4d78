"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

A note is UTF-8 text ending in "\\n", a blank line, then one signature line per key::

    <text ...>\\n
    \\n
    — <key name> <base64(key ID (4 bytes) || Ed25519 signature)>\\n
    ...

The line starts with U+2014 EM DASH and a space. The signature covers the text including its
final newline. key ID = SHA-256(key name || "\\n" || 0x01 || public key)[:4], 0x01 being the
Ed25519 signature type. A verifier key is shared as "<name>+<hex key ID>+<base64(0x01 || key)>".
Parsing and opening mirror Go's golang.org/x/mod/sumdb/note: signatures by unknown keys are
ignored, but a signature by a known key that does not verify rejects the whole note, so one note
can carry the set node's signature and, later, the studio server's co-signature.

Exception tree::

    NoteError                   (a ValueError)
     +-- MalformedNoteError     not a signed note: bad text, layout or signature line
     +-- UnknownKeyError        well-formed, but no signature by any trusted key
     +-- BadSignatureError      a trusted key's signature does not verify (edited or forged)
     +-- KeyFormatError         a verifier or signer key string is malformed
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from showclear.ledger.checkpoint import Checkpoint, CheckpointError

__all__ = [
    "ALG_ED25519",
    "BadSignatureError",
    "KeyFormatError",
    "MalformedNoteError",
    "NoteError",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "UnknownKeyError",
    "cosign_note",
    "fingerprint",
    "is_valid_key_name",
    "key_id",
    "key_id_from_hex",
    "key_summary",
    "open_checkpoint",
    "open_note",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
]

ALG_ED25519 = 0x01

SIGNATURE_PREFIX = "\u2014 "  # EM DASH, space

# Go's note.Open refuses more; it bounds the work an attacker can make a verifier do.
MAX_SIGNATURES = 100

_PUBLIC_KEY_SIZE = 32


class NoteError(ValueError):
    """The note could not be opened."""


class MalformedNoteError(NoteError):
    """The text is not a well-formed signed note."""


class UnknownKeyError(NoteError):
    """The note is well-formed but carries no signature from a trusted key."""


class BadSignatureError(NoteError):
    """A trusted key signed the note, but the signature does not match the text."""


class KeyFormatError(NoteError):
    """A verifier or signer key string is malformed or its key ID does not match."""


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty and contain no Unicode space and no "+" (signed-note spec)."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte signed-note key ID of an Ed25519 public key under `name`."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key)
    return digest.digest()[:4]


def key_id_from_hex(id_hex: str) -> bytes:
    """A key ID as a verifier key writes it: exactly 8 hex digits, in either case."""
    if len(id_hex) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in id_hex):
        raise KeyFormatError(f"key ID {id_hex!r} is not 8 hex digits")
    return bytes.fromhex(id_hex)


def _raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted Ed25519 public key with its signed-note name."""

    name: str
    public_key: bytes  # raw 32 bytes

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}")
        if len(self.public_key) != _PUBLIC_KEY_SIZE:
            raise KeyFormatError(
                f"Ed25519 public key must be {_PUBLIC_KEY_SIZE} bytes, got {len(self.public_key)}"
            )

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @classmethod
    def from_public_key(cls, name: str, key: Ed25519PublicKey) -> NoteVerifier:
        return cls(name, _raw_public_key(key))

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse "<name>+<hex key ID>+<base64(0x01 || public key)>"."""
        # Split only twice: the base64 alphabet itself contains "+".
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("verifier key must look like <name>+<key id>+<key>")
        name, id_hex, key_b64 = parts
        wanted_id = key_id_from_hex(id_hex)
        try:
            typed_key = base64.b64decode(key_b64, validate=True)
        except ValueError as e:  # not base64, or not ASCII
            raise KeyFormatError("verifier key is not base64") from e
        if not typed_key or typed_key[0] != ALG_ED25519:
            raise KeyFormatError("verifier key is not an Ed25519 (type 0x01) key")
        verifier = cls(name, typed_key[1:])
        if verifier.key_id != wanted_id:
            raise KeyFormatError(f"key ID {id_hex} does not match key {name!r}")
        return verifier

    def vkey(self) -> str:
        """The verifier key string to publish (safe to share)."""
        typed_key = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{typed_key}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class NoteSigner:
    """An Ed25519 private key with its signed-note name."""

    __slots__ = ("_key", "_key_id", "_verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._verifier = NoteVerifier.from_public_key(name, private_key.public_key())
        self._key_id = self._verifier.key_id  # hashed once: every commit signs a note

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse Go's "PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>" signer key."""
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise KeyFormatError("signer key must look like PRIVATE+KEY+<name>+<key id>+<key>")
        _, _, name, id_hex, key_b64 = parts
        try:
            typed_seed = base64.b64decode(key_b64, validate=True)
        except ValueError as e:  # not base64, or not ASCII
            raise KeyFormatError("signer key is not base64") from e
        if len(typed_seed) != 33 or typed_seed[0] != ALG_ED25519:
            raise KeyFormatError("signer key is not an Ed25519 (type 0x01) seed")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(typed_seed[1:]))
        if signer.key_id.hex() != id_hex.lower():
            raise KeyFormatError(f"key ID {id_hex} does not match key {name!r}")
        return signer

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def verifier(self) -> NoteVerifier:
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"NoteSigner({self.name!r}, key_id={self.key_id.hex()})"


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One parsed signature line (not yet verified)."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f]")


def _check_text(text: str, what: str) -> None:
    # A regex, not a loop over characters: every commit signs a note.
    if _CONTROL_BUT_NEWLINE.search(text):
        raise MalformedNoteError(f"{what} contains a control character")


def _check_body(body: str) -> None:
    if not body.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    _check_text(body, "note text")


def _signature_line(body: str, signer: NoteSigner) -> NoteSignature:
    # The name was validated when the signer was built (NoteVerifier checks it).
    return NoteSignature(signer.name, signer.key_id, signer.sign(body.encode()))


def sign_note(body: str, *signers: NoteSigner) -> str:
    """Sign `body` (text ending in "\\n") with each signer; returns the note text."""
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    _check_body(body)
    lines = [_signature_line(body, signer).line() for signer in signers]
    return body + "\n" + "".join(lines)


def parse_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a note into its text and signature lines without checking any signature."""
    _check_text(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    body, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNoteError("note has no signature lines")
    signatures: list[NoteSignature] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNoteError(f"signature line does not start with an em dash: {line!r}")
        name, _, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not is_valid_key_name(name) or not blob:
            raise MalformedNoteError(f"malformed signature line: {line!r}")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError as e:  # not base64, or not ASCII
            raise MalformedNoteError(f"signature is not base64: {line!r}") from e
        if len(raw) < 5:
            raise MalformedNoteError(f"signature too short: {line!r}")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return body, signatures


def cosign_note(note: str, *signers: NoteSigner) -> str:
    """Add signatures to an existing note, replacing any earlier one by the same key.

    This does not check the existing signatures: open the note with your trusted keys first.
    """
    if not signers:
        raise ValueError("cosign_note needs at least one signer")
    body, existing = parse_note(note)
    new = [_signature_line(body, signer) for signer in signers]
    replaced = {(sig.name, sig.key_id) for sig in new}
    kept = [sig for sig in existing if (sig.name, sig.key_id) not in replaced]
    return body + "\n" + "".join(sig.line() for sig in [*kept, *new])


def open_note(note: str, verifiers: NoteVerifier | Iterable[NoteVerifier]) -> tuple[str, list[str]]:
    """Check a note's signatures against trusted keys; returns (text, verified signer names).

    Raises MalformedNoteError, BadSignatureError (a trusted key's signature fails) or
    UnknownKeyError (no signature from any trusted key).
    """
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in [verifiers] if isinstance(verifiers, NoteVerifier) else verifiers:
        slot = (verifier.name, verifier.key_id)
        if slot in known and known[slot] != verifier:
            # Same name and key ID, different keys: the trust list itself is suspect.
            raise KeyFormatError(f"two trusted keys share name and ID {verifier.vkey()}")
        known[slot] = verifier

    body, signatures = parse_note(note)
    message = body.encode()
    verified: list[str] = []
    seen: set[tuple[str, bytes]] = set()
    unknown: list[str] = []
    for sig in signatures:
        slot = (sig.name, sig.key_id)
        trusted = known.get(slot)
        if trusted is None:
            unknown.append(f"{sig.name}+{sig.key_id.hex()}")
            continue
        if slot in seen:
            continue
        seen.add(slot)
        if not trusted.verify(message, sig.signature):
            raise BadSignatureError(
                f"signature by {sig.name}+{sig.key_id.hex()} does not match the note text"
            )
        verified.append(sig.name)
    if not verified:
        signed_by = ", ".join(unknown)  # parse_note found a signature: none by a trusted key
        raise UnknownKeyError(f"note is not signed by a trusted key (signed by {signed_by})")
    return body, verified


def sign_checkpoint(checkpoint: Checkpoint, *signers: NoteSigner) -> str:
    """The C2SP signed note of a checkpoint body."""
    return sign_note(checkpoint.body(), *signers)


def open_checkpoint(
    note: str, verifiers: NoteVerifier | Iterable[NoteVerifier]
) -> tuple[Checkpoint, list[str]]:
    """Open a signed checkpoint; raises NoteError, or MalformedNoteError if the body is not one."""
    body, names = open_note(note, verifiers)
    try:
        return Checkpoint.parse(body), names
    except CheckpointError as e:
        raise MalformedNoteError(f"signed text is not a checkpoint: {e}") from e


def fingerprint(key: NoteVerifier | bytes) -> str:
    """OpenSSH-style fingerprint of the raw Ed25519 public key: "SHA256:" + unpadded base64."""
    raw = key.public_key if isinstance(key, NoteVerifier) else key
    digest = hashlib.sha256(raw).digest()
    # 32 bytes are 43 base64 digits and one "=" of padding: the one "=" is dropped.
    return "SHA256:" + base64.b64encode(digest).decode().removesuffix("=")


def key_summary(verifier: NoteVerifier) -> str:
    """One line for reports: name, fingerprint and the signed-note key ID."""
    return f"{verifier.name} {fingerprint(verifier)} (key ID {verifier.key_id.hex()})"
