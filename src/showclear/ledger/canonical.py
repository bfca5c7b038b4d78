"""Canonical event bytes: exactly what is stored, hashed and verified.

The envelope is canonicalised with RFC 8785 (JSON Canonicalization Scheme) through the
`rfc8785` library, so any tool in any language can re-derive the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
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


def event_payload(
    production: str,
    seq: int,
    type: str,
    version: int,
    actor: str,
    at: str,
    data: Mapping[str, Any],
    canonical: bytes | None = None,
) -> bytes:
    """The canonical bytes of one event's envelope.

    `canonical`: the bytes the caller already holds and checked to be canonical (a pushed event
    the studio verified against the node's signature), taken as they are once every field
    outside `data` is seen in its place, so the stored columns always say what the bytes say;
    ValueError when they do not.
    """
    if canonical is None:
        return canonical_bytes(envelope(production, seq, type, version, actor, at, data))
    dumps = orjson.dumps  # (once per stored event: formatting beats concatenating here)
    head = b'{"actor":%b,"at":%b,"data":{' % (dumps(actor), dumps(at))
    tail = b'},"production":%b,"seq":%d,"type":%b,"v":%d}' % (
        dumps(production),
        seq,
        dumps(type),
        version,
    )
    if not (canonical.startswith(head) and canonical.endswith(tail)):
        raise ValueError(f"production {production!r}: event {seq}'s bytes are not its envelope")
    return canonical


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of a JSON-compatible value.

    Values made only of dicts with BMP-only string keys, lists, strings, booleans, None and
    integers within +-(2**53 - 1) (every event ShowClear writes, bar the rare one carrying a
    float) take orjson, which writes the same bytes for them: compact, keys sorted by code
    point (the UTF-16 order for BMP keys), the same string escapes, integers in decimal.
    Anything else, floats first of all (ECMAScript number formatting), goes to `rfc8785`;
    tests/test_canonical_fastpath.py checks the two agree.
    """
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: rfc8785 refuses it with its own error
    return bytes(rfc8785.dumps(value))


def is_canonical(value: Any, payload: bytes) -> bool:
    """Whether `payload` is exactly `canonical_bytes(value)` (`value` parsed from it).

    The check of every pushed event, so it is cheap for the common case: an ASCII object or
    array that `_may_hold_float` clears holds only values `_plain` accepts, once orjson's
    53-bit integer limit is enforced too; for those, canonical bytes are orjson's sorted bytes,
    compared directly without walking the value. Anything else (non-ASCII text, which may hold
    keys outside the BMP, a float, a bare value, a mismatch) takes `canonical_bytes`. Raises
    what `canonical_bytes` raises.
    """
    plain = payload.startswith((b"{", b"[")) and payload.isascii()
    if plain and not _may_hold_float(payload):
        try:
            if orjson.dumps(value, option=_FAST_OPTIONS) == payload:
                return True
        except orjson.JSONEncodeError:
            pass  # an integer beyond 53 bits, say: canonical_bytes decides
    return canonical_bytes(value) == payload


def all_canonical(values: Sequence[Any], payloads: Sequence[bytes]) -> bool:
    """True when every payload is `canonical_bytes` of its value, each value parsed from its
    own payload as a JSON object; False means "not known": check each with `is_canonical`.

    One orjson call and one scan for a whole push: the test of `is_canonical` on the joined
    bytes. The joined equality implies each payload's: were the first i - 1 equal and orjson's
    bytes for value i a proper prefix of payload i, payload i would be a complete object
    followed by more text, which does not parse alone; the other way round, orjson's own output
    would not parse.
    """
    if not all(payload.startswith(b"{") for payload in payloads):
        return False
    joined = b"[" + b",".join(payloads) + b"]"
    if not joined.isascii() or _may_hold_float(joined):
        return False
    try:
        return orjson.dumps(list(values), option=_FAST_OPTIONS) == joined
    except orjson.JSONEncodeError:
        return False


def _may_hold_float(text: bytes) -> bool:
    """False only if orjson's bytes `text` hold no float: orjson writes each float with a
    fraction (`1.0`) or an exponent (`1e+16`, `5e-324`).

    Two steps, because text inside strings looks like that too: a production named
    `unit-3e4` or a hex ID holds `e4` in every event, and sent every push it touched down the
    slow path (a third of the bench's random production names did). First two searches
    that each start with a literal character, far faster than one pattern that starts with a
    class: most pushes hold neither and are done. Otherwise only a number token counts: a
    value (after `:`, `,` or `[` in orjson's compact output) of digits running into `.` or
    `e` (or a bare number: the text's start counts as a mark), found in a copy with every
    digit (and `-`) made `0` and those three marks made `:`. A string that holds such text
    (`"a:1.5"`) still sends the check the slower way."""
    if _FRACTION.search(text) is None and _EXPONENT.search(text) is None:
        return False
    shapes = (b":" + text).translate(_NUMBER_SHAPES)
    return _NUMBER_WITH_FRACTION.search(shapes) is not None


_FRACTION = re.compile(rb"\.[0-9]")
_EXPONENT = re.compile(rb"e[-+0-9]")
_NUMBER_SHAPES = bytes.maketrans(b",[-0123456789E", b"::" + b"0" * 11 + b"e")
# `:0` first: a two-character literal start the scanner looks for quickly.
_NUMBER_WITH_FRACTION = re.compile(rb":00*[.e]")
_FAST_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_SAFE_INT = 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether the stdlib encoder writes `value` exactly as RFC 8785 does."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return bool(-_SAFE_INT <= value <= _SAFE_INT)
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or not (k.isascii() or max(k) <= "\uffff"):
                return False
            if not _plain(v):
                return False
        return True
    if t is list or t is tuple:
        return all(_plain(v) for v in value)
    return False


def leaf_hash(payload: bytes) -> bytes:
    """RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 || payload)."""
    return hashlib.sha256(LEAF_PREFIX + payload).digest()


def decode(payload: bytes) -> dict[str, Any]:
    """Parse stored canonical bytes back into the envelope."""
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise ValueError("event payload is not a JSON object")
    return value


def decode_payload(payload: bytes) -> Any:
    """`json.loads(payload)`, faster for stored payloads.

    orjson parses the canonical UTF-8 payloads about twice as fast as the stdlib, which is most
    of a rebuild's time. The two agree on every value a payload can hold (RFC 8785 keeps
    integers within 2**53; orjson differs only past 64 bits). Invalid JSON gets json.loads's
    own error.
    """
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)
