"""The verifier's fast readers: the tail reader agrees with a full JSON parse on every canonical
envelope; a note's size and root are read off its first lines only when they are canonical."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger.canonical import canonical_bytes, envelope, leaf_hash
from showclear.ledger.verifier import _plain_chunk, _tail_fields, fast_target

# Strings that try to fool a byte search: quotes, backslashes, the key names themselves.
tricky = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['","seq":7,"', '\\"production\\":"x"', ',"production":"', "\\", '"', "é✓"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | tricky,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.one_of(tricky, st.sampled_from(["production", "seq", "v"])), inner, max_size=3
        )
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    production=tricky.filter(bool),
    seq=st.integers(1, 10**12),
    type_=tricky,
    data=st.dictionaries(
        st.one_of(tricky, st.sampled_from(["production", "seq"])), json_values, max_size=4
    ),
)
def test_tail_matches_full_parse(production: str, seq: int, type_: str, data: dict) -> None:
    payload = canonical_bytes(envelope(production, seq, type_, 1, "arm", "2021-10-21", data))
    tail = _tail_fields(payload)
    assert tail is not None
    parsed = json.loads(payload)
    assert tail[0] == parsed["seq"] == seq
    assert tail[1] == canonical_bytes(parsed["production"])[1:-1]


def test_tail_refuses_what_is_not_an_envelope_tail() -> None:
    good = canonical_bytes(envelope("p", 3, "t", 1, "a", "x", {}))
    assert _tail_fields(good) == (3, b"p")
    assert _tail_fields(good + b" ") is None
    assert _tail_fields(good.replace(b'"seq":3', b'"seq":03')) is None
    assert _tail_fields(good.replace(b'"seq":3', b'"seq":true')) is None
    assert _tail_fields(b"[" + good + b"]") is None
    assert _tail_fields(b" " + good) is None  # the right ending alone is not enough


@pytest.mark.parametrize(
    "payload",
    [
        b'{"actor":"a","production":"a",1,"seq":3,"type":"t","v":1}',  # no quote before seq
        b'{"actor":"ab","seq":3,"type":"t","v":1}',  # no production key at all
        b'{"actor":"a","production":"a","x":"b","seq":3,"type":"t","v":1}',  # another key
        b'{"actor":"a","production":"","x":"b","seq":3,"type":"t","v":1}',  # ... after ""
        b'{"actor":"a","production":"a","","seq":3,"type":"t","v":1}',  # ... ending it
        b'{"actor":"a","production":"p","seq":3,"type":"a","b":"c","v":1}',  # a key in the type
        b'{"actor":"a","production":"p","seq":3,"type":"","b":"c","v":1}',  # ... after ""
        b'{"actor":"a","production":"p","seq":1000000000000000000,"type":"t","v":1}',  # 19 digits
    ],
)
def test_tail_leaves_a_production_that_is_not_one_string_to_the_full_parse(
    payload: bytes,
) -> None:
    assert _tail_fields(payload) is None


def test_tail_reads_a_version_0_and_a_seq_of_18_digits() -> None:
    tail = b',"type":"t","v":0}'
    assert _tail_fields(b'{"actor":"a","production":"p","seq":3' + tail) == (3, b"p")
    big = b'{"actor":"a","production":"p","seq":999999999999999999' + tail
    assert _tail_fields(big) == (10**18 - 1, b"p")


def test_tail_reads_the_envelopes_own_type_key_not_one_inside_the_data() -> None:
    payload = canonical_bytes(envelope("p", 3, "t", 1, "a", "x", {"a": 1, "type": "x"}))
    assert b',"type":"x"' in payload  # the data's key, before the envelope's own
    assert _tail_fields(payload) == (3, b"p")


ROOT_B64 = base64.b64encode(bytes(range(32))).decode()  # 44 characters


def test_fast_target_reads_size_and_root_off_a_canonical_note() -> None:
    note = f"example.org/log\n12\n{ROOT_B64}\n\n\u2014 signer c2lnbmF0dXJl\n"
    assert fast_target(note, 3, "example.org/log") == (12, ROOT_B64, 3)
    assert fast_target(note, 3, None) == (12, ROOT_B64, 3)  # no origin to compare
    assert fast_target(f"o\n0\n{ROOT_B64}\n", 1, "o") == (0, ROOT_B64, 1)  # "0" is canonical


@pytest.mark.parametrize(
    "note",
    [
        f"example.org/other\n12\n{ROOT_B64}\n",  # another log
        f"example.org/log\n012\n{ROOT_B64}\n",  # not canonical
        f"example.org/log\n01\n{ROOT_B64}\n",
        f"example.org/log\n1a\n{ROOT_B64}\n",
        f"example.org/log\n\u0661\u0662\n{ROOT_B64}\n",  # digits, but not ASCII ones
        f"example.org/log\n12\n{ROOT_B64[:-1]}\n",  # a root of 43 characters
        f"example.org/log\n12\n{ROOT_B64}",  # only three lines
    ],
)
def test_fast_target_leaves_any_other_note_to_be_opened_in_full(note: str) -> None:
    assert fast_target(note, 1, "example.org/log") is None


def test_a_chunk_of_plain_envelopes_is_recognised_by_their_tails() -> None:
    """verify_log's fast path without the chunk regex: one tail read per event."""
    payloads = [canonical_bytes(envelope("p", n, "t", 1, "a", "x", {})) for n in (5, 6, 7)]
    leaves = [leaf_hash(p) for p in payloads]
    assert _plain_chunk([5, 6, 7], payloads, leaves, 5, None)
    assert not _plain_chunk([4, 5, 6], payloads, leaves, 4, None)  # the tails say 5, 6, 7
