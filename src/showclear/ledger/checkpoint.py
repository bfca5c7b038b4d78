"""The checkpoint body of C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint).

A checkpoint commits to one state of the log as text, each line ending in "\\n"::

    <origin>                      a unique name for the log
    <tree size>                   ASCII decimal, no leading zeros
    <root hash>                   base64 (standard alphabet, padded) of the RFC 9162 root
    [<extension line> ...]        optional, non-empty, opaque to this module

The body is only the signed text; signing and opening it as a C2SP signed note is note.py's job,
so the two stay independently testable (like transparency-dev/formats `log.Checkpoint`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from showclear.ledger.hashing import HASH_SIZE

__all__ = ["Checkpoint", "CheckpointError", "checkpoint_origin"]

# tlog-checkpoint sizes are uint64.
_MAX_SIZE = (1 << 64) - 1


class CheckpointError(ValueError):
    """The text is not a well-formed checkpoint body."""


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _check_line(value: str, what: str) -> None:
    if not value:
        raise CheckpointError(f"{what} must not be empty")
    if _CONTROL.search(value):
        raise CheckpointError(f"{what} must not contain control characters or newlines")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed-for state of a log: its origin, size and RFC 9162 root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError(f"tree size must be a uint64, got {self.size!r}")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes, got {len(self.root_hash)}")
        for line in self.extensions:
            _check_line(line, "extension line")

    def body(self) -> str:
        """The checkpoint text: three lines (plus any extension lines), each ending in "\\n"."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse a checkpoint body; raises CheckpointError on anything but the exact format."""
        if not body.endswith("\n"):
            raise CheckpointError("checkpoint must end with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"checkpoint needs at least 3 lines, got {len(lines)}")
        origin, size_text, hash_text, *extensions = lines
        # int() would accept "+1", " 1", "1_0" and "01"; the format allows only canonical digits.
        if not (size_text.isascii() and size_text.isdigit()) or (
            len(size_text) > 1 and size_text[0] == "0"
        ):
            raise CheckpointError(f"tree size {size_text!r} is not a canonical decimal")
        try:
            root_hash = base64.b64decode(hash_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as e:
            raise CheckpointError(f"root hash {hash_text!r} is not base64") from e
        if base64.b64encode(root_hash).decode("ascii") != hash_text:
            raise CheckpointError(f"root hash {hash_text!r} is not canonical base64")
        return cls(origin, int(size_text), root_hash, tuple(extensions))


def checkpoint_origin(origin: str, production: str) -> str:
    """The checkpoint origin line of one production of a node: ``<node origin>/<production>``."""
    return f"{origin}/{production}"
