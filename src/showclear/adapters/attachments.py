"""Documents kept next to a store: ``<db>.files/<sha256>`` (`showclear.ports.Attachments`).

A file is named after the SHA-256 of its bytes, never after what the uploader called it, so a
name cannot climb out of the directory, overwrite another file or hide one; the same document
uploaded twice is one file. It is written to a temporary file in the same directory, synced,
then renamed into place, so a crash leaves either the whole document or none.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

HEX64 = re.compile(r"[0-9a-f]{64}")


def files_dir(store_path: str | os.PathLike[str]) -> Path:
    """The documents directory of a store file: ``<db>.files/``."""
    return Path(f"{os.fspath(store_path)}.files")


class FileAttachments:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.directory / digest
        if target.exists():
            return digest
        self.directory.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes | None:
        if not HEX64.fullmatch(sha256):
            return None
        try:
            return (self.directory / sha256).read_bytes()
        except FileNotFoundError:
            return None
