"""Every input is hostile until parsed: for any JSON value in any field of any command, the
parser answers with a command or a Malformed naming the field, never another exception; what
it accepts can always be decided and recorded; and one bad command in a group commit never
fails the others.
"""

from __future__ import annotations

import contextlib
import json
import math
import typing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.service import Unrecordable
from showclear.bootstrap import open_node
from showclear.domain import Malformed, Outcome, handle, limits, parse_command
from showclear.domain.commands import (
    COMMANDS,
    EXTRA_COMMANDS,
    Command,
    Dispose,
    FileIncident,
    PolicyPatch,
    RiskAssessment,
)
from showclear.domain.parsing import (
    EXACTLY_ONE,
    _strip,
    read_json,
    schema,
    to_wire,
)
from showclear.ledger.canonical import canonical_bytes, envelope

from .conftest import START, ready_day

CLASSES = [*COMMANDS.values(), *EXTRA_COMMANDS.values()]
# IDs that exist in ready_day(), by the kind of item a field names.
EXISTING = {"person": "lead", "firearm": "g1", "lot": "b1", "container": "safe1", "concern": "c1"}

NASTY_TEXT = st.sampled_from(
    [
        "\ud800",
        "a\udfffb",
        "\x00",
        "id\x00",
        "\x1b[31m",
        "\u202eevil",
        " ",
        "",
        "x" * (limits.MAX_TEXT_CHARS + 1),
        "y" * (limits.MAX_ID_CHARS + 1),
        '=HYPERLINK("http://x")',
        "q';alert(1);'",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.sampled_from([2**53, -(2**53), 2**53 - 1, 10**400, 6.0, 2.0**60])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | NASTY_TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4) | NASTY_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


ANY_VALUE = JSON_VALUES | st.integers(min_value=1, max_value=2_000).map(nested)


def sample(tp: Any, ref: str | None) -> Any:
    """A well-formed value of an annotated field type, naming items ready_day() has."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return None
    if tp is str:
        return EXISTING.get(ref or "", "x-1")
    if tp is bool:
        return False
    if tp is int:
        return 1
    if tp is float:
        return 6.5
    if tp is date:
        return START.date().isoformat()
    if origin is typing.Literal:
        return typing.get_args(tp)[0]
    if origin is tuple:
        item, _, item_ref, _ = _strip(typing.get_args(tp)[0])
        return [sample(item, item_ref or ref)]
    if tp is PolicyPatch:
        return {}
    if tp is RiskAssessment:
        return {"sha256": "ab" * 32, "controls": "shields; 6 m minimum"}
    if origin is dict:
        return {"b1": 1}
    raise AssertionError(f"no sample for {tp!r}")


def baseline(cls: type[Command]) -> dict[str, Any]:
    raw: dict[str, Any] = {"type": cls.TYPE, "actor": "arm", "at": START.isoformat()}
    for spec in schema(cls):
        raw[spec.wire] = sample(spec.tp, spec.ref)
    for extra in EXACTLY_ONE.get(cls, ())[1:]:
        raw.pop(extra, None)
    if cls is Dispose:  # `count` is for a lot only; the baseline disposes of a firearm
        raw.pop("count", None)
    return raw


def fields_of(cls: type[Command]) -> list[str]:
    return [s.wire for s in schema(cls)] + ["actor", "at", "type", "override", "command_id"]


@pytest.fixture(scope="module")
def state() -> Any:
    return ready_day().state


def test_every_baseline_is_well_formed() -> None:
    # The property below replaces one field of these; they must be fine to begin with.
    for cls in CLASSES:
        assert isinstance(parse_command(baseline(cls), extra=True), cls)


@given(data=st.data())
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_value_in_any_field_is_a_command_or_a_malformed_field(data: Any, state: Any) -> None:
    cls = data.draw(st.sampled_from(CLASSES))
    raw = baseline(cls)
    field = data.draw(st.sampled_from(fields_of(cls)))
    raw[field] = data.draw(ANY_VALUE)
    try:
        cmd = parse_command(raw, extra=True)
    except Malformed as exc:
        # A reason that can be printed and sent as JSON, naming a field when there is one.
        json.dumps({"field": exc.field, "detail": str(exc)}).encode("utf-8")
        return
    # Accepted: every value is within the limits, and deciding it gives recordable events.
    canonical_bytes(to_wire(cmd))
    try:
        outcome = handle(state, cmd)
    except Malformed:
        return  # e.g. an unknown item: not applicable to this production
    for e in outcome.events:
        canonical_bytes(envelope("p", 1, e.type, 1, e.actor, e.at, e.data))


JSON_TEXTS = [
    '{"type": "tick", "at": "2024-03-04T08:00:00-07:00", "actor": "arm", "x": NaN}',
    '{"type": "file_incident", "at": "2024-03-04T08:00:00-07:00", "actor": "arm", '
    '"incident": "i", "cause": "c", "related": [Infinity, -Infinity]}',
    '{"type": "receive_ammo", "count": 123456789012345678901234567890}',
    '{"type": "report_concern", "concern": "\\ud800", "text": "\\udc00"}',
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 600 + "1" + "}" * 600,
    '"\\u0000"',
    "1" * 5000,
    "{",
    "",
]
JSON_TEXT = st.sampled_from(JSON_TEXTS)


@given(text=JSON_TEXT | st.text(max_size=200), raw_bytes=st.binary(max_size=64))
@settings(max_examples=200, deadline=None)
def test_any_text_read_as_json_is_a_value_or_malformed(text: str, raw_bytes: bytes) -> None:
    for data in (text, text.encode("utf-8", "surrogatepass"), raw_bytes):
        try:
            value = read_json(data)
        except Malformed:
            continue
        with contextlib.suppress(Malformed):
            parse_command(value, extra=True)


def test_oversized_input_is_refused_before_parsing() -> None:
    body = json.dumps({"type": "tick", "pad": "x" * limits.MAX_BODY_BYTES})
    with pytest.raises(Malformed, match="bytes"):
        read_json(body)


def test_limits_name_the_field() -> None:
    base = baseline(FileIncident)
    cases = {
        "related": (float("nan"), "finite"),
        "cause": ("x" * (limits.MAX_TEXT_CHARS + 1), "characters long"),
        "incident": ("inc\x00", "\\u0000"),
    }
    for field, (value, words) in cases.items():
        with pytest.raises(Malformed) as caught:
            parse_command({**base, field: value})
        assert caught.value.field == field and words in caught.value.reason
    with pytest.raises(Malformed) as caught:
        parse_command({**base, "related": {"a": nested(limits.MAX_DEPTH)}})
    assert caught.value.field is not None and caught.value.field.startswith("related.a")
    with pytest.raises(Malformed) as caught:
        parse_command({**baseline(COMMANDS["receive_ammo"]), "lot": "l9", "count": 2**53})
    assert caught.value.field == "count"


# -- group commit: one poisoned command never fails the others ---------------------------------


def test_a_command_whose_events_cannot_be_recorded_fails_alone(tmp_path: Path) -> None:
    # Built around the parser (as a bug or an older client might): its event holds NaN, which
    # no ledger can write. The group commit answers it alone; its neighbours are recorded.
    db = tmp_path / "group.db"
    node = open_node(db, signin=False)
    service = node.service
    day = ready_day(service=service)
    at = day.clock
    good = [
        parse_command(
            {
                "type": "report_concern",
                "actor": "crew",
                "at": at.isoformat(),
                "concern": f"c{i}",
                "text": "loose cable",
            }
        )
        for i in range(3)
    ]
    poisoned = FileIncident(
        actor="prod", at=at, at_text=at.isoformat(), incident="i1", cause="x",
        related={"n": math.nan},
    )  # fmt: skip
    head = service.state("test-prod").version
    results = service.execute_many("test-prod", [good[0], poisoned, good[1], good[2]])
    assert isinstance(results[1], Unrecordable) and "recorded" in str(results[1])
    for r in (results[0], results[2], results[3]):
        assert isinstance(r, Outcome) and r.verdict == "accepted"
    assert service.state("test-prod").version == head + 3
    node.close()
    with SQLiteEventStore(db) as store:
        types = [e.type for e in store.read("test-prod", head)]
    assert types == ["concern_raised"] * 3
