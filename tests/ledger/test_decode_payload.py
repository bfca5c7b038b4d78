"""Stored payloads parse to exactly what json.loads gives, on orjson's path and off it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger.canonical import canonical_bytes, decode_payload

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
