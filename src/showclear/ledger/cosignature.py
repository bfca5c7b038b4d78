"""Witness cosignatures of checkpoints: C2SP tlog-cosignature v1, Ed25519
(https://c2sp.org/tlog-cosignature).

A cosignature is a witness's statement that, as of a time, the checkpoint is the largest
append-only-consistent tree it has seen for that log (origin). The studio server makes one for
each set node's checkpoint it has checked, so a node cannot later show anyone a forked history
without being caught. It travels as one more signature line on the checkpoint's signed note::

    — <cosigner name> base64(key ID (4) || timestamp (8, big-endian) || Ed25519 signature (64))

- key ID = SHA-256(name || "\\n" || 0x04 || public key)[:4]: signature type 0x04, so a
  cosignature never passes for an ordinary note signature (type 0x01) by the same key, nor the
  other way round; `open_note` with the node's keys simply skips these lines.
- The signed message is ``"cosignature/v1\\n" "time <timestamp>\\n"`` followed by the whole note
  body (extension lines included; the cosigner vouches for the first three).
- timestamp: POSIX seconds, at most 2**63 - 1. The caller passes it in (the clock is injected).
- Verifier keys: "<name>+<hex key ID>+<base64(0x04 || public key)>".

The message does not name the cosigner, so one Ed25519 key must serve one cosigner name only,
and (signed-note) should not also sign notes of another type: give the studio a key of its own.

Errors are note.py's: MalformedNoteError (layout, length, timestamp range), BadSignatureError (a
trusted cosigner's line does not verify), KeyFormatError (bad verifier key), plus
FutureCosignatureError for a timestamp later than the verifier accepts.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from showclear.ledger.checkpoint import Checkpoint, CheckpointError
from showclear.ledger.note import (
    BadSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteError,
    NoteSignature,
    NoteVerifier,
    key_id_from_hex,
    parse_note,
)

__all__ = [
    "ALG_COSIGNATURE_ED25519",
    "COSIGNATURE_HEADER",
    "MAX_TIMESTAMP",
    "Cosignature",
    "CosignatureVerifier",
    "Cosigner",
    "FutureCosignatureError",
    "cosign_checkpoint",
    "cosignature_message",
    "open_cosignatures",
]

ALG_COSIGNATURE_ED25519 = 0x04
COSIGNATURE_HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = (1 << 63) - 1

_TIMESTAMP_SIZE = 8
_SIGNATURE_SIZE = 64


class FutureCosignatureError(NoteError):
    """A cosignature is dated later than the verifier allows."""


def _key_id(name: str, public_key: bytes) -> bytes:
    typed = bytes([ALG_COSIGNATURE_ED25519]) + public_key
    return hashlib.sha256(name.encode() + b"\n" + typed).digest()[:4]


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedNoteError(f"cosignature time {timestamp!r} is outside 0..2**63-1")


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The bytes a cosigner signs: header line, time line, then the checkpoint note body."""
    _check_timestamp(timestamp)
    if not body.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{body}".encode()


@dataclass(frozen=True, slots=True)
class Cosignature:
    """One cosignature line, parsed (verified only when it came from `open_cosignatures`)."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    @classmethod
    def from_note_signature(cls, sig: NoteSignature) -> Cosignature:
        """Read a note signature line as a cosignature; raises MalformedNoteError if it is not."""
        if len(sig.signature) != _TIMESTAMP_SIZE + _SIGNATURE_SIZE:
            raise MalformedNoteError(
                f"cosignature by {sig.name} is {len(sig.signature) + 4} bytes, "
                f"not {4 + _TIMESTAMP_SIZE + _SIGNATURE_SIZE}"
            )
        timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
        _check_timestamp(timestamp)
        return cls(sig.name, sig.key_id, timestamp, sig.signature[_TIMESTAMP_SIZE:])

    def note_signature(self) -> NoteSignature:
        stamped = self.timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + self.signature
        return NoteSignature(self.name, self.key_id, stamped)

    def line(self) -> str:
        """The signature line to append to the note (ends in a newline)."""
        return self.note_signature().line()


@dataclass(frozen=True, slots=True)
class CosignatureVerifier:
    """A trusted cosigner: its name and raw Ed25519 public key."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        NoteVerifier(self.name, self.public_key)  # the same rules for names and key sizes

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse "<name>+<hex key ID>+<base64(0x04 || public key)>"."""
        parts = vkey.strip().split("+", 2)  # the base64 alphabet itself contains "+"
        if len(parts) != 3:
            raise KeyFormatError("verifier key must look like <name>+<key id>+<key>")
        name, id_hex, key_b64 = parts
        wanted_id = key_id_from_hex(id_hex)
        try:
            typed_key = base64.b64decode(key_b64, validate=True)
        except ValueError as e:  # not base64, or not ASCII
            raise KeyFormatError(f"verifier key {vkey!r} is not <name>+<hex>+<base64>") from e
        if not typed_key or typed_key[0] != ALG_COSIGNATURE_ED25519:
            kind = f"type 0x{typed_key[0]:02x}" if typed_key else "empty"
            raise KeyFormatError(
                f"{name}: not an Ed25519 cosignature (type 0x04) verifier key ({kind})"
            )
        verifier = cls(name, typed_key[1:])
        if verifier.key_id != wanted_id:
            raise KeyFormatError(f"key ID {id_hex} does not match cosigner key {name!r}")
        return verifier

    def vkey(self) -> str:
        """The verifier key string to publish (safe to share)."""
        typed = bytes([ALG_COSIGNATURE_ED25519]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(typed).decode()}"

    def matches(self, cosignature: Cosignature) -> bool:
        return cosignature.name == self.name and cosignature.key_id == self.key_id

    def verify(self, body: str, cosignature: Cosignature) -> bool:
        """Whether `cosignature` is this cosigner's, over `body` at its timestamp."""
        if not self.matches(cosignature):
            return False
        message = cosignature_message(body, cosignature.timestamp)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                cosignature.signature, message
            )
        except InvalidSignature:
            return False
        return True


class Cosigner:
    """A witness's Ed25519 private key under its cosigner name (the studio's own key)."""

    __slots__ = ("_key", "_verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._verifier = CosignatureVerifier(name, raw)

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def verifier(self) -> CosignatureVerifier:
        return self._verifier

    def cosign(self, body: str, timestamp: int) -> Cosignature:
        """Cosign a checkpoint note body at `timestamp` (POSIX seconds).

        Only a checkpoint is cosigned: the statement is about a log's tree. Checking that the
        checkpoint is signed by the log and consistent with the last one seen is the caller's
        job, before calling this.
        """
        try:
            Checkpoint.parse(body)
        except CheckpointError as e:
            raise MalformedNoteError(f"only checkpoints are cosigned: {e}") from e
        signature = self._key.sign(cosignature_message(body, timestamp))
        return Cosignature(self.name, self._verifier.key_id, timestamp, signature)

    def __repr__(self) -> str:
        return f"Cosigner({self.name!r}, key_id={self._verifier.key_id.hex()})"


def cosign_checkpoint(note: str, cosigner: Cosigner, timestamp: int) -> str:
    """The signed checkpoint `note` with this cosigner's line added (replacing an older one).

    Other signatures are kept as they are and not checked here: open the note with the log's
    key (note.open_checkpoint) and check consistency before vouching for it.
    """
    body, existing = parse_note(note)
    new = cosigner.cosign(body, timestamp)
    kept = [s for s in existing if (s.name, s.key_id) != (new.name, new.key_id)]
    return body + "\n" + "".join(s.line() for s in kept) + new.line()


def open_cosignatures(
    note: str,
    cosigners: CosignatureVerifier | Iterable[CosignatureVerifier],
    *,
    not_after: int | None = None,
) -> tuple[Checkpoint, list[Cosignature]]:
    """The note's checkpoint and the verified cosignatures of the trusted `cosigners` on it.

    One cosignature per cosigner (its latest), in the order `cosigners` lists them; a trusted
    cosigner that did not sign is simply absent (the log's own signature is note.py's job).
    Lines by other keys are ignored. Raises MalformedNoteError if the note or a trusted
    cosigner's line is malformed or the text is not a checkpoint, BadSignatureError if a trusted
    cosigner's line does not verify, FutureCosignatureError if one is dated after `not_after`.
    """
    trusted = [cosigners] if isinstance(cosigners, CosignatureVerifier) else list(cosigners)
    body, signatures = parse_note(note)
    try:
        checkpoint = Checkpoint.parse(body)
    except CheckpointError as e:
        raise MalformedNoteError(f"signed text is not a checkpoint: {e}") from e
    latest: dict[int, Cosignature] = {}
    for sig in signatures:
        for index, verifier in enumerate(trusted):
            if (sig.name, sig.key_id) != (verifier.name, verifier.key_id):
                continue
            cosig = Cosignature.from_note_signature(sig)
            if not verifier.verify(body, cosig):
                raise BadSignatureError(
                    f"cosignature by {sig.name}+{sig.key_id.hex()} does not match the checkpoint"
                )
            if not_after is not None and cosig.timestamp > not_after:
                raise FutureCosignatureError(
                    f"cosignature by {sig.name} is dated {cosig.timestamp}, "
                    f"after {not_after}: check the clocks"
                )
            if index not in latest or cosig.timestamp > latest[index].timestamp:
                latest[index] = cosig
    return checkpoint, [latest[i] for i in sorted(latest)]
