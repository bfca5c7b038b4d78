"""Uploaded documents are hostile until checked: size, declared type and the bytes themselves.

A risk assessment is a PDF or a photo of the signed page (PNG or JPEG). The declared content
type must be one of those and the file must start the way such a file starts, so a script or
a page uploaded as "application/pdf" is refused. The uploader's file name is never used (the
store names the file after its SHA-256).
"""

from __future__ import annotations

from showclear.domain.limits import MAX_UPLOAD_BYTES
from showclear.errors import MalformedInput

# Declared type -> how its bytes begin.
DOCUMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
FIELD = "risk_assessment_file"


def media_type_of(data: bytes) -> str | None:
    """The document type the bytes are, by their first bytes, or None."""
    for media, magics in DOCUMENT_TYPES.items():
        if data.startswith(magics):
            return media
    return None


def checked_document(declared: str | None, data: bytes) -> str:
    """The document's media type; MalformedInput (naming the field) if it is not one to keep."""
    if not data:
        raise MalformedInput("the file is empty; choose the written risk assessment", field=FIELD)
    if len(data) > MAX_UPLOAD_BYTES:
        raise MalformedInput(
            f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; "
            "upload a smaller scan or PDF",
            field=FIELD,
        )
    media = (declared or "").split(";")[0].strip().lower()
    if media not in DOCUMENT_TYPES:
        raise MalformedInput(
            f"a risk assessment is a PDF, PNG or JPEG file, not {media or 'an unnamed type'}",
            field=FIELD,
        )
    if media_type_of(data) != media:
        raise MalformedInput(f"the file's contents are not a {media} document", field=FIELD)
    return media
