"""The sync protocol's messages (``showclear-sync/1``), both sides: JSON objects over HTTP.

A push carries one production's range the way the export bundle carries events: each event's
canonical bytes (RFC 8785) as text, exactly as hashed, with its sequence number, and the node's
signed checkpoint note as it is stored::

    {"format": "showclear-sync/1", "production": "harbor",
     "checkpoint": "<signed note>", "consistency": ["<hex>", ...],
     "events": [[1, "{...canonical envelope...}"], ...]}

Nothing else authenticates a push: the studio opens the checkpoint with the ledger key of the
node enrolled for the production, and every event's leaf must give the root that note signed.
A copy of someone else's push is harmless (sync is idempotent by production and sequence).

Everything here parses hostile input: a malformed message raises WireError, with what is wrong.
"""

from __future__ import annotations

from typing import Any

import orjson

from showclear.domain.limits import (
    MAX_ID_CHARS,
    MAX_PUSH_EVENTS,
    MAX_PUSH_PAYLOAD_BYTES,
)
from showclear.ledger.divergence import MAX_PROBE_HASHES, ProbeAnswer
from showclear.ledger.hashing import HASH_SIZE
from showclear.ledger.witness import Push

__all__ = [
    "MOVE_HEADER",
    "PULL_HEADER",
    "SYNC_FORMAT",
    "WireError",
    "decode_answer",
    "decode_push",
    "encode_answer",
    "encode_push",
    "move_statement",
    "parse_object",
    "pull_request",
]

SYNC_FORMAT = "showclear-sync/1"
MOVE_HEADER = "showclear writer-move/v1"
PULL_HEADER = "showclear sync-pull/v1"
MAX_NOTE_CHARS = 8_000  # a checkpoint note with a few signature lines
MAX_PROOF_HASHES = 128  # an RFC 9162 consistency proof of a 64-bit tree is at most 2 * 64


class WireError(ValueError):
    """A sync message that is not the protocol: the message says what is wrong."""


def parse_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise WireError(f"the body is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise WireError("the body must be a JSON object")
    return value


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise WireError(f"{field} must be text of 1 to {limit} characters")
    return value


def _hashes(value: Any, field: str, limit: int) -> tuple[bytes, ...]:
    if not isinstance(value, list) or len(value) > limit:
        raise WireError(f"{field} must be a list of at most {limit} hex hashes")
    out = []
    for item in value:
        try:
            raw = bytes.fromhex(item) if isinstance(item, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != HASH_SIZE:
            raise WireError(f"{field}: every hash is {HASH_SIZE} bytes in hex")
        out.append(raw)
    return tuple(out)


def encode_push(push: Push) -> bytes:
    return orjson.dumps(
        {
            "format": SYNC_FORMAT,
            "production": push.production,
            "checkpoint": push.checkpoint,
            "consistency": [h.hex() for h in push.consistency],
            "events": [[seq, payload.decode("utf-8")] for seq, payload in push.events],
        }
    )


def decode_push(body: bytes) -> Push:
    """The push in a request body (WireError when it is not one, or is too large)."""
    value = parse_object(body)
    if value.get("format") != SYNC_FORMAT:
        raise WireError(f'"format" must be "{SYNC_FORMAT}"')
    production = _text(value.get("production"), "production", MAX_ID_CHARS)
    checkpoint = _text(value.get("checkpoint"), "checkpoint", MAX_NOTE_CHARS)
    consistency = _hashes(value.get("consistency"), "consistency", MAX_PROOF_HASHES)
    rows = value.get("events")
    if not isinstance(rows, list) or len(rows) > MAX_PUSH_EVENTS:
        raise WireError(f"events must be a list of at most {MAX_PUSH_EVENTS} [seq, payload] pairs")
    events: list[tuple[int, bytes]] = []
    size = 0
    for row in rows:
        if (
            not isinstance(row, list)
            or len(row) != 2
            or type(row[0]) is not int
            or not isinstance(row[1], str)
        ):
            raise WireError("each event is a [seq, canonical payload text] pair")
        payload = row[1].encode("utf-8", "surrogatepass")
        size += len(payload)
        if size > MAX_PUSH_PAYLOAD_BYTES:
            raise WireError(
                f"the events carry more than {MAX_PUSH_PAYLOAD_BYTES} bytes; push fewer at once"
            )
        events.append((row[0], payload))
    return Push(production, events, checkpoint, consistency)


def encode_answer(session: str, answer: ProbeAnswer) -> bytes:
    return orjson.dumps(
        {
            "session": session,
            "pieces": [h.hex() for h in answer.pieces],
            "right": [h.hex() for h in answer.right],
        }
    )


def decode_answer(body: bytes) -> tuple[str, ProbeAnswer]:
    value = parse_object(body)
    session = _text(value.get("session"), "session", 100)
    pieces = _hashes(value.get("pieces"), "pieces", MAX_PROBE_HASHES)
    right = _hashes(value.get("right"), "right", MAX_PROBE_HASHES)
    return session, ProbeAnswer(pieces, right)


def move_statement(production: str, from_version: int, tree_size: int, to_key: str) -> str:
    """The body of a writer move, for the old writer to sign (a signed note)."""
    return (
        f"{MOVE_HEADER}\nproduction {production}\nfrom-version {from_version}\n"
        f"tree {tree_size}\nto {to_key}\n"
    )


def pull_request(production: str, after: int, timestamp: int) -> str:
    """The body of a pull, for the production's writer to sign: the events after `after`."""
    return f"{PULL_HEADER}\nproduction {production}\nafter {after}\ntime {timestamp}\n"


def statement_fields(body: str, header: str) -> dict[str, str]:
    """The "name value" lines of a signed statement's body (WireError if not one)."""
    lines = body.splitlines()
    if not lines or lines[0] != header:
        raise WireError(f"not a {header!r} statement")
    fields = {}
    for line in lines[1:]:
        name, sep, value = line.partition(" ")
        if not sep or name in fields:
            raise WireError(f"a {header!r} statement has one 'name value' per line")
        fields[name] = value
    return fields
