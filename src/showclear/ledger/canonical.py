"""Canonical event bytes: exactly what is stored, hashed and verified.

The envelope is canonicalised with RFC 8785 (JSON Canonicalization Scheme) through the
`rfc8785` library, so any tool in any language can re-derive the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import rfc8785

LEAF_PREFIX = b"\x00"

ENVELOPE_KEYS = ("production", "seq", "type", "v", "actor", "at", "data")


def envelope(
    production: str,
    seq: int,
    type: str,
    version: int,
    actor: str,
    at: str,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON object that represents one event in the ledger."""
    return {
        "production": production,
        "seq": seq,
        "type": type,
        "v": version,
        "actor": actor,
        "at": at,
        "data": dict(data),
    }


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of a JSON-compatible value."""
    return bytes(rfc8785.dumps(value))


def leaf_hash(payload: bytes) -> bytes:
    """RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 || payload)."""
    return hashlib.sha256(LEAF_PREFIX + payload).digest()


def decode(payload: bytes) -> dict[str, Any]:
    """Parse stored canonical bytes back into the envelope."""
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise ValueError("event payload is not a JSON object")
    return value
