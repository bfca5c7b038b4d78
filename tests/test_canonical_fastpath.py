"""canonical_bytes takes orjson for plain values; it must write rfc8785's bytes."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger import canonical
from showclear.ledger.canonical import (
    _may_hold_float,
    all_canonical,
    canonical_bytes,
    envelope,
    event_payload,
    is_canonical,
)

SAFE = 2**53 - 1

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def nested(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=5)
            | st.tuples(children, children)
            | st.dictionaries(st.text(), children, max_size=5)
        ),
        max_leaves=25,
    )


values = nested(scalars)
# Without floats nearly every value takes the fast path (strings may still hold surrogates).
plain_values = nested(st.none() | st.booleans() | st.integers(-SAFE - 2, SAFE + 2) | st.text())


def reference(value: Any) -> bytes | type[BaseException]:
    try:
        return bytes(rfc8785.dumps(value))
    except Exception as e:  # the error type is what we compare
        return type(e)


def ours(value: Any) -> bytes | type[BaseException]:
    try:
        return canonical_bytes(value)
    except Exception as e:
        return type(e)


@settings(max_examples=600, deadline=None)
@given(values)
def test_same_bytes_or_same_error_as_rfc8785(value: Any) -> None:
    assert ours(value) == reference(value)


@settings(max_examples=600, deadline=None)
@given(plain_values)
def test_same_bytes_for_values_without_floats(value: Any) -> None:
    assert ours(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {chr(c): chr(c) for c in range(0x80)},  # every escape and every ASCII character
        {"\u2028": "\u2029", "\x7f": "é", "": ""},
        {"\ue000": 1, "\U0001f600": 2, "a": 3},  # UTF-16 order differs from code points
        {"\ud800": 1},  # lone surrogate key
        ["\udfff"],  # lone surrogate value
        [SAFE, -SAFE, SAFE + 1, -SAFE - 1],
        [True, False, None, 0, -0, 1.0, 0.5, 1e21, 1e-7, -0.0],
        {"t": (1, (2, "x")), "n": {"deep": {"er": []}}},
        {1: "non-string key"},
        {"policy": {"min_blank_distance_m": 6.1, "return_minutes": 5.0}},
    ],
)
def test_edge_cases(value: Any) -> None:
    assert ours(value) == reference(value)


def test_an_event_envelope() -> None:
    env = envelope("rust", 7, "firearm_issued", 1, "arm", "2021-10-21T13:05:00-06:00",
                   {"firearm": "colt45", "to": "lead", "witnesses": ["lead", "ad"],
                    "shown": True, "setup": "church-1"})  # fmt: skip
    assert canonical_bytes(env) == bytes(rfc8785.dumps(env))
    assert canonical_bytes(env) == (
        b'{"actor":"arm","at":"2021-10-21T13:05:00-06:00","data":{"firearm":"colt45",'
        b'"setup":"church-1","shown":true,"to":"lead","witnesses":["lead","ad"]},'
        b'"production":"rust","seq":7,"type":"firearm_issued","v":1}'
    )


def _is_canonical_reference(value: Any, payload: bytes) -> bool | type[BaseException]:
    wanted = reference(value)
    return wanted if isinstance(wanted, type) else wanted == payload


def _is_canonical_ours(value: Any, payload: bytes) -> bool | type[BaseException]:
    try:
        return is_canonical(value, payload)
    except Exception as e:
        return type(e)


@settings(max_examples=600, deadline=None)
@given(values)
def test_is_canonical_accepts_exactly_the_rfc8785_bytes(value: Any) -> None:
    """The pushed-event check agrees with rfc8785 on its own bytes and on orjson's (which
    differ from RFC 8785 for floats, big integers and keys outside the BMP)."""
    candidates = [orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)]
    wanted = reference(value)
    if isinstance(wanted, bytes):
        candidates.append(wanted)
    for payload in candidates:
        parsed = orjson.loads(payload)
        assert _is_canonical_ours(parsed, payload) == _is_canonical_reference(parsed, payload)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a":1.0}',  # RFC 8785 writes 1
        b'{"a":1e21}',  # RFC 8785 writes 1e+21
        b'{"a":[1.5,9007199254740992]}',  # an integer beyond 53 bits
        b'{"a":9007199254740992}',
        b'{"\\ud83d\\ude00":1,"\\uffff":2}',  # escaped: not canonical either way
        '{"\U0001f600":1,"\uffff":2}'.encode(),  # UTF-16 order puts the emoji first
        '{"\uffff":2,"\U0001f600":1}'.encode(),
        b'{"b":1,"a":2}',
        b'{"a":"1.5","b":2}',
        b'{"a":-0}',
    ],
)
def test_is_canonical_edge_cases_agree_with_rfc8785(payload: bytes) -> None:
    parsed = orjson.loads(payload)
    assert _is_canonical_ours(parsed, payload) == _is_canonical_reference(parsed, payload)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=4), values, max_size=4), max_size=6))
def test_all_canonical_is_never_wrong_about_a_whole_push(objects: list[dict[str, Any]]) -> None:
    """True only when each payload is its value's RFC 8785 bytes; also over orjson's bytes,
    which differ from them for floats, big integers and keys outside the BMP."""
    for encode in (reference, lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS)):
        try:
            payloads = [encode(o) for o in objects]
            parsed = [orjson.loads(p) for p in payloads]  # type: ignore[arg-type]
        except Exception:
            continue  # not encodable that way (a surrogate, an integer too big)
        if all_canonical(parsed, payloads):  # type: ignore[arg-type]
            assert all(reference(v) == p for v, p in zip(parsed, payloads, strict=True))


def test_all_canonical_takes_a_plain_push_and_leaves_the_rest_to_each_event() -> None:
    plain = [
        envelope("p", i, "note", 1, "arm", "2025-03-01T09:00:00+01:00", {"n": i}) for i in (1, 2)
    ]
    payloads = [canonical_bytes(e) for e in plain]
    assert all_canonical(plain, payloads)
    unsorted = [payloads[0], orjson.dumps(plain[1])]  # the envelope's own key order
    assert unsorted[1] != payloads[1]
    assert not all_canonical([orjson.loads(p) for p in unsorted], unsorted)
    floats = [dict(plain[0], data={"n": 0.5})]
    assert not all_canonical(floats, [canonical_bytes(floats[0])])  # a float: check each
    assert is_canonical(floats[0], canonical_bytes(floats[0]))


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_orjson_writes_is_seen_as_a_possible_float(number: float) -> None:
    """The fast paths rely on spotting floats in orjson's bytes (fraction or exponent)."""
    assert _may_hold_float(orjson.dumps({"a": [number]}))
    assert not is_canonical({"a": number}, orjson.dumps({"a": number})) or (
        reference({"a": number}) == orjson.dumps({"a": number})
    )


def _holds_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_holds_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_float(v) for v in value)
    return False


# Text that looks like numbers with fractions and exponents, to sit inside strings and keys.
number_like_text = st.text(alphabet="0123456789.eE+-:,[]x", max_size=8)


@settings(max_examples=1500, deadline=None)
@given(nested(scalars | number_like_text))
def test_a_float_anywhere_in_orjsons_bytes_is_seen(value: Any) -> None:
    """Wherever a float sits (a value, an array's first or later item, negative, nested),
    among strings that look like numbers, the float check sees it."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return  # a surrogate or an integer orjson cannot write: never the fast path
    if _holds_float(value):
        assert _may_hold_float(text)


@pytest.mark.parametrize(
    "data",
    [
        {"id": "3e4f9a0c2b7d4e1f", "firearm": "g12e5"},  # hex IDs: `e` and digits
        {"note": "version 2.5 of the plan", "time": "09:00:00+01:00"},  # `.5` inside a string
        {"n": [1, -2, 30], "rules": ["SC-C01"], "e": 1},
    ],
)
def test_text_that_only_looks_like_a_float_keeps_the_fast_path(data: dict[str, Any]) -> None:
    """A production named with `e` and a digit, or hex IDs in the data, are no floats: such
    pushes are checked in one orjson call like any other (they used to take the slow path)."""
    events = [
        envelope("unit-3e4", i, "note", 1, "arm", "2025-03-01T09:00:00+01:00", data) for i in (1, 2)
    ]
    payloads = [canonical_bytes(e) for e in events]
    assert not _may_hold_float(b"[" + b",".join(payloads) + b"]")
    assert all_canonical(events, payloads)
    with_float = [dict(events[0], data={**data, "x": -0.5})]
    assert not all_canonical(with_float, [orjson.dumps(with_float[0], option=orjson.OPT_SORT_KEYS)])


AT = "2025-03-01T09:00:00+01:00"


def test_checked_bytes_are_taken_only_where_every_field_outside_data_is_theirs() -> None:
    """A pushed event's checked bytes are stored as they are (the same object, not re-made)
    only when production, seq, type, version, actor and time each say what the columns say;
    any one of them different is refused, naming the production and the seq."""
    fields: list[Any] = ['unit "7"', 7, "firearm_issued", 2, "arm", AT, {"n": 1.5}]
    good = canonical_bytes(envelope(*fields))
    assert event_payload(*fields, canonical=good) is good
    assert event_payload(*fields) == good  # nothing held: made from the fields
    for i, other in enumerate(["unit 7", 8, "firearm_issue", 1, "arm2", AT[:-1] + "2"]):
        changed = list(fields)
        changed[i] = other
        words = f"production {changed[0]!r}: event {changed[1]}'s bytes are not its envelope"
        with pytest.raises(ValueError, match=f"^{re.escape(words)}$"):
            event_payload(*changed, canonical=good)


def test_a_payload_with_text_around_its_object_is_never_canonical() -> None:
    """orjson parses an object with white space before or after it; its bytes are not the
    canonical ones, for a whole push as for one event."""
    event = envelope("p", 1, "note", 1, "arm", AT, {"n": 1})
    good = canonical_bytes(event)
    other = canonical_bytes(envelope("p", 2, "note", 1, "arm", AT, {"n": 2}))
    for bad in (b" " + good, b"\n" + good, good + b" ", b"\t" + good + b"\r\n"):
        parsed = orjson.loads(bad)
        assert parsed == event
        assert not is_canonical(parsed, bad)
        assert not all_canonical([parsed], [bad])
        assert not all_canonical([orjson.loads(other), parsed], [other, bad])
    assert all_canonical([orjson.loads(other), event], [other, good])


def test_plain_ascii_objects_and_arrays_are_checked_by_orjson_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check of every pushed event: an ASCII object or array with no number with a
    fraction or exponent is compared with orjson's bytes, never handed to `canonical_bytes`
    (the slow way); whatever the fast way cannot settle is."""
    slow: list[Any] = []
    real = canonical.canonical_bytes

    def counted(value: Any) -> bytes:
        slow.append(value)
        return real(value)

    monkeypatch.setattr(canonical, "canonical_bytes", counted)
    plain: list[Any] = [{"b": [1, "x.5e3"], "a": None, "c": -7}, [True, {"k": "v"}, 0]]
    for value in plain:
        assert is_canonical(value, real(value))
    assert slow == []
    left = [
        {"a": 0.5},  # a float
        {"a": "é"},  # not ASCII
        "text",  # not an object or an array
        {"a": SAFE + 1},  # beyond 53 bits: orjson refuses, rfc8785 too
        {"b": 1, "a": 2},  # orjson's bytes are not these: confirmed the slow way
    ]
    payloads = [b'{"a":0.5}', '{"a":"é"}'.encode(), b'"text"', b'{"a":9007199254740992}']
    payloads.append(b'{"b":1,"a":2}')
    answers: list[bool | None] = []
    for value, payload in zip(left, payloads, strict=True):
        try:
            answers.append(is_canonical(value, payload))
        except ValueError:
            answers.append(None)
    assert answers == [True, True, True, None, False]
    assert slow == left


def test_a_bare_number_at_the_start_of_the_text_counts() -> None:
    """The text's start counts as a mark before a value, so a bare float is seen too."""
    for text in (b"0.5", b"-1.25", b"1e+16", b"5e-324", b"12.0"):
        assert _may_hold_float(text), text
    for text in (b"15", b"-3", b'"0.5"', b'"1e5"'):
        assert not _may_hold_float(text), text


@pytest.mark.parametrize(
    "value",
    [
        "text",
        True,
        False,
        None,
        0,
        SAFE,
        -SAFE,
        ["a", 1, None],
        ("a", (2, "b")),
        {"a": 1, "b": {"c": [True]}},
        {"é": 1, "\uffff": 2, "\u2028": "x"},  # keys in the BMP, the last one included
    ],
)
def test_values_without_floats_or_keys_beyond_the_bmp_never_reach_rfc8785(
    value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event ShowClear writes is one of these: orjson writes its bytes, rfc8785 (many
    times slower) is never asked."""
    wanted = bytes(rfc8785.dumps(value))

    def refused(_: Any) -> bytes:
        raise AssertionError("rfc8785 asked for a value orjson writes the same")

    monkeypatch.setattr(rfc8785, "dumps", refused)
    assert canonical_bytes(value) == wanted
