"""Stored payloads parse to exactly what json.loads gives, on orjson's path and off it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger.canonical import canonical_bytes, decode, decode_payload

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_same_as_json_loads(value: object) -> None:
    payload = canonical_bytes({"data": value})
    assert decode_payload(payload) == json.loads(payload)


def test_no_payload_can_hold_an_integer_where_orjson_and_json_differ() -> None:
    # orjson reads integers beyond 64 bits as floats; RFC 8785 refuses anything past 2**53.
    with pytest.raises(ValueError):
        canonical_bytes({"n": 2**60})


def test_invalid_json_gets_the_stdlib_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        decode_payload(b'{"n": ')


def test_a_stored_payload_is_parsed_by_orjson_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stdlib parser is the fallback for invalid JSON only (a rebuild's time is mostly
    parsing, and orjson's is about half)."""
    stdlib: list[bytes] = []
    real = json.loads

    def counted(text: bytes) -> object:
        stdlib.append(text)
        return real(text)

    monkeypatch.setattr(json, "loads", counted)  # the module canonical.py calls
    payload = canonical_bytes({"data": {"a": [1, "é", None]}, "seq": 3})
    assert decode_payload(payload) == {"data": {"a": [1, "é", None]}, "seq": 3}
    assert stdlib == []
    with pytest.raises(json.JSONDecodeError):
        decode_payload(b"[1,")
    assert stdlib == [b"[1,"]


def test_decode_gives_the_envelope_and_refuses_what_is_not_an_object() -> None:
    payload = canonical_bytes({"seq": 1, "data": {"x": "y"}})
    assert decode(payload) == {"seq": 1, "data": {"x": "y"}}
    for other in (b"[1]", b'"text"', b"7", b"null"):
        with pytest.raises(ValueError, match=r"^event payload is not a JSON object$"):
            decode(other)
    with pytest.raises(json.JSONDecodeError):
        decode(b"{")
