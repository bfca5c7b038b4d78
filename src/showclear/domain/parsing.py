"""Turn a JSON object into a Command, or say exactly which field is wrong and why.

The parser is driven by the annotations on the command dataclasses, so adding a field to a
command is one line. It checks shape only (types, required fields, enumerations); whether a
referenced firearm or lot exists is checked against state in `showclear.domain.validate`.
"""

from __future__ import annotations

import hashlib
import json
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import orjson

from showclear.domain import limits
from showclear.domain.commands import (
    COMMANDS,
    EXTRA_COMMANDS,
    AddCredential,
    Alias,
    Command,
    Dispose,
    Override,
    PlanSetup,
    PolicyPatch,
    Ref,
    Retrieve,
    RiskAssessment,
    Secure,
)
from showclear.domain.values import POLICY_TYPES, parse_instant

# Fields that introduce a new ID (or name one loosely): empty strings are never IDs.
ID_FIELDS = frozenset(
    {"production", "person", "firearm", "lot", "container", "concern", "incident", "setup",
     "vendor"}
)  # fmt: skip
BASE_FIELDS = frozenset({"actor", "at", "at_text", "override", "command_id"})


class Malformed(ValueError):
    """The input is not a well-formed command; names the field and the reason.

    Both are made printable here (the input may be hostile), so every message can go to a
    terminal, a log or a JSON answer as it is.
    """

    def __init__(self, field: str | None, reason: str) -> None:
        self.field = limits.printable(field, 200) if field is not None else None
        self.reason = limits.printable(reason, 400)
        super().__init__(f"field '{self.field}': {self.reason}" if field else self.reason)


class TooLarge(Malformed):
    """The input is larger than `limits.MAX_BODY_BYTES`."""


class NotApplicable(Malformed):
    """Well formed, but not applicable to the production as it stands (an unknown item, a
    time before the last command's). Raised by `decide.validate`; the API answers 409."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # Python attribute
    wire: str  # JSON key
    tp: Any  # the annotated type, Optional and Annotated stripped
    optional: bool
    ref: str | None  # kind of item it must name, if any


def _strip(tp: Any) -> tuple[Any, bool, str | None, str | None]:
    """Return (base type, optional, ref kind, alias)."""
    optional = False
    ref: str | None = None
    alias: str | None = None
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        optional = len(args) < len(get_args(tp))
        tp = args[0] if len(args) == 1 else tp
    if get_origin(tp) is Annotated:
        base, *meta = get_args(tp)
        for m in meta:
            if isinstance(m, Ref):
                ref = m.kind
            elif isinstance(m, Alias):
                alias = m.name
        tp = base
    return tp, optional, ref, alias


_SCHEMAS: dict[type[Command], tuple[FieldSpec, ...]] = {}


def schema(cls: type[Command]) -> tuple[FieldSpec, ...]:
    """The validated fields of a command class, read once from its annotations."""
    if cls in _SCHEMAS:
        return _SCHEMAS[cls]
    hints = get_type_hints(cls, include_extras=True)
    specs = []
    for f in fields(cls):
        if f.name in BASE_FIELDS:
            continue
        tp, optional, ref, alias = _strip(hints[f.name])
        if tp is Any:
            optional = True
        specs.append(FieldSpec(f.name, alias or f.name, tp, optional, ref))
    _SCHEMAS[cls] = tuple(specs)
    return _SCHEMAS[cls]


def _describe(value: Any) -> str:
    """A short, printable description of a value for an error message."""
    if isinstance(value, str):
        return f'"{limits.printable(value, 38)}"'
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    if isinstance(value, int) and not isinstance(value, bool) and limits.integer_problem(value):
        return "a number too large to record"
    return limits.printable(repr(value), 40)


def is_id_field(field: str, ref: str | None) -> bool:
    """Whether a text field holds an ID (stricter limits than free text)."""
    return ref is not None or field.split(".")[-1].split("[")[0] in ID_FIELDS


def _check(field: str, reason: str | None) -> None:
    if reason is not None:
        raise Malformed(field, reason)


def _convert(field: str, tp: Any, value: Any, ref: str | None) -> Any:
    """Check one field's value against its annotated type and the limits; return it typed."""
    origin = get_origin(tp)
    if tp is Any:  # free-form JSON: every part still within the limits
        found = limits.json_problem(value, field)
        if found is not None:
            raise Malformed(*found)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise Malformed(field, f"must be text, got {_describe(value)}")
        is_id = is_id_field(field, ref)
        _check(field, limits.id_problem(value) if is_id else limits.text_problem(value))
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise Malformed(field, f"must be true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 6.0 is a whole number in JSON (and in JSON Schema)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Malformed(field, f"must be a whole number, got {_describe(value)}")
        if value < 0:
            raise Malformed(field, f"must be zero or more, got {_describe(value)}")
        _check(field, limits.integer_problem(value))
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Malformed(field, f"must be a number, got {_describe(value)}")
        if isinstance(value, int):
            _check(field, limits.integer_problem(value))
        else:
            _check(field, limits.number_problem(value))
        if value < 0:
            raise Malformed(field, f"must be a number zero or more, got {_describe(value)}")
        return value
    if tp is date:
        if not isinstance(value, str) or limits.date_problem(value):
            raise Malformed(field, f"must be a date like 2021-10-21, got {_describe(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Malformed(
                field, f"must be a date like 2021-10-21, got {_describe(value)}"
            ) from None
    if origin is Literal:
        allowed = get_args(tp)
        if not isinstance(value, str) or value not in allowed:
            raise Malformed(field, f"must be one of {', '.join(allowed)}; got {_describe(value)}")
        return value
    if origin is tuple:
        item_tp, _, item_ref, _ = _strip(get_args(tp)[0])
        if not isinstance(value, list):
            raise Malformed(field, f"must be a list, got {_describe(value)}")
        _check(field, limits.items_problem(len(value)))
        return tuple(
            _convert(f"{field}[{i}]", item_tp, v, item_ref or ref) for i, v in enumerate(value)
        )
    if tp is PolicyPatch:
        return _policy(field, value)
    if tp is RiskAssessment:
        return _risk_assessment(field, value)
    if origin is dict:
        key_tp, val_tp = get_args(tp)
        _, _, key_ref, _ = _strip(key_tp)
        if not isinstance(value, dict):
            raise Malformed(field, f"must be an object, got {_describe(value)}")
        _check(field, limits.items_problem(len(value)))
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise Malformed(field, f"keys must be text, got {_describe(k)}")
            reason = limits.id_problem(k) if key_ref else limits.text_problem(k)
            if reason is not None:
                raise Malformed(f"{field}.{k}", f"(a key) {reason}")
            out[k] = _convert(f"{field}.{k}", val_tp, v, None)
        return out
    raise TypeError(f"no parser for {tp!r}")  # a programming error, not bad input


def _policy(field: str, value: Any) -> PolicyPatch:
    if not isinstance(value, dict):
        raise Malformed(field, f"must be an object, got {_describe(value)}")
    patch = PolicyPatch()
    for key, v in value.items():
        kind = POLICY_TYPES.get(key) if isinstance(key, str) else None
        if kind is None:
            raise Malformed(
                f"{field}.{key}", f"is not a policy setting; known: {', '.join(POLICY_TYPES)}"
            )
        kind, nullable, _, _ = _strip(kind)
        patch[key] = None if v is None and nullable else _convert(f"{field}.{key}", kind, v, None)
    return patch


SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _risk_assessment(field: str, value: Any) -> RiskAssessment:
    if not isinstance(value, dict):
        raise Malformed(field, 'must be an object like {"sha256": "<64 hex digits>", "controls": '
                               '"..."}')  # fmt: skip
    for key in ("sha256", "controls"):
        if key not in value:
            raise Malformed(f"{field}.{key}", "is required")
    digest = _convert(f"{field}.sha256", str, value["sha256"], None)
    if not SHA256.fullmatch(digest):
        raise Malformed(f"{field}.sha256", f"must be 64 hex digits, got {_describe(digest)}")
    controls = _convert(f"{field}.controls", str, value["controls"], None)
    if not controls.strip():
        raise Malformed(f"{field}.controls", "must say which controls the assessment sets")
    return RiskAssessment(digest.lower(), controls)


def _override(value: Any) -> Override:
    if not isinstance(value, dict):
        raise Malformed("override", 'must be an object like {"by": ["arm"], "reason": "..."}')
    if "by" not in value:
        raise Malformed("override.by", "is required")
    if "reason" not in value:
        raise Malformed("override.reason", "is required")
    by = _convert("override.by", tuple[str, ...], value["by"], "person")
    reason = _convert("override.reason", str, value["reason"], None)
    return Override(by=by, reason=reason)


def command_types() -> list[str]:
    return list(COMMANDS)


def parse_command(
    raw: Any, *, actor: str | None = None, at: str | None = None, extra: bool = False
) -> Command:
    """Validate a JSON object and build its Command.

    `actor` and `at`, when given, replace whatever the object says (the app sets them from the
    session and the clock). `extra` admits record-keeping commands that drills never contain.
    """
    if not isinstance(raw, Mapping):
        raise Malformed(None, "a command must be a JSON object")
    type_name = raw.get("type")
    if type_name is None:
        raise Malformed("type", "is required")
    if not isinstance(type_name, str):
        raise Malformed("type", f"must be text, got {_describe(type_name)}")
    cls = COMMANDS.get(type_name) or (EXTRA_COMMANDS.get(type_name) if extra else None)
    if cls is None:
        raise Malformed("type", f'unknown command type "{type_name}"')
    at_text = at if at is not None else raw.get("at")
    if at_text is None:
        raise Malformed("at", "is required")
    if not isinstance(at_text, str):
        raise Malformed("at", f"must be an ISO 8601 timestamp, got {_describe(at_text)}")
    try:
        instant = parse_instant(at_text)
    except ValueError as exc:
        reason = str(exc) if "offset" in str(exc) else "must be an ISO 8601 timestamp"
        raise Malformed("at", f"{reason}; got {_describe(at_text)}") from None
    who = actor if actor is not None else raw.get("actor")
    if who is None:
        raise Malformed("actor", "is required")
    who = _convert("actor", str, who, "person")
    kwargs: dict[str, Any] = {"actor": who, "at": instant, "at_text": at_text}
    if raw.get("override") is not None:
        kwargs["override"] = _override(raw["override"])
    if raw.get("command_id") is not None:
        kwargs["command_id"] = _convert("command_id", str, raw["command_id"], "person")
    for spec in schema(cls):
        if spec.wire not in raw or (raw[spec.wire] is None and spec.optional):
            if not spec.optional:
                raise Malformed(spec.wire, "is required")
            continue
        kwargs[spec.name] = _convert(spec.wire, spec.tp, raw[spec.wire], spec.ref)
    _cross_field_checks(cls, kwargs)
    return cls(**kwargs)


# Rules between fields, as data: the parser enforces them and api/schema.py states them in the
# JSON Schema (oneOf / if-then), so both say the same.
EXACTLY_ONE: dict[type[Command], tuple[str, ...]] = {
    Secure: ("firearm", "lot"),
    Retrieve: ("firearm", "lot"),
    Dispose: ("firearm", "lot"),
}
# command -> (flag field, field required when the flag is true)
REQUIRED_WHEN_TRUE: dict[type[Command], tuple[str, str]] = {
    PlanSetup: ("toward_people", "distance_m"),
}


def _cross_field_checks(cls: type[Command], kwargs: dict[str, Any]) -> None:
    one_of = EXACTLY_ONE.get(cls)
    if one_of is not None and sum(kwargs.get(k) is not None for k in one_of) != 1:
        raise Malformed(one_of[0], f"give exactly one of {' or '.join(one_of)}")
    when = REQUIRED_WHEN_TRUE.get(cls)
    if when is not None and kwargs.get(when[0]) and kwargs.get(when[1]) is None:
        raise Malformed(when[1], f"is required when {when[0]} is true")
    if cls is Dispose:
        if kwargs.get("lot") is not None and kwargs.get("count") is None:
            raise Malformed("count", "is required when disposing of a lot: the rounds that left")
        if kwargs.get("firearm") is not None and kwargs.get("count") is not None:
            raise Malformed("count", "is only for a lot (the rounds that left)")
    if cls is AddCredential and kwargs.get("classes") is not None:
        if kwargs["kind"] != "armorer_license":
            raise Malformed("classes", "only an armorer_license lists firearm classes")


def read_json(data: bytes | str) -> Any:
    """Parse one JSON document (a request body, a form's JSON field, a drill line) within the
    limits: at most MAX_BODY_BYTES, nested at most MAX_DEPTH deep, every number and string
    within bounds wherever it is. Raises Malformed naming the field (TooLarge for size). The
    stricter rules of each command field (IDs, types) are `parse_command`'s.
    """
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_BODY_BYTES:
        raise TooLarge(None, f"is {size} bytes; at most {limits.MAX_BODY_BYTES} are allowed")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        # Not strict JSON for orjson: NaN or Infinity, a lone surrogate, an integer past 64
        # bits, or just not JSON. The standard parser reads the first three, so the field
        # checks can name the field that holds them; nesting is measured first, because that
        # parser recurses.
        value = _read_json_leniently(data)
    found = limits.document_problem(value)
    if found is not None:
        raise Malformed(*found)
    return value


def _read_json_leniently(data: bytes | str) -> Any:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise Malformed(None, f"is not UTF-8 text (byte {exc.start})") from None
    if limits.nesting(text) > limits.MAX_DEPTH:
        raise Malformed(None, f"JSON nested deeper than {limits.MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise Malformed(None, f"not valid JSON ({exc.msg} at column {exc.colno})") from None


def _json_int(text: str) -> int | float:
    # Past 2**53 the value is refused by the field checks anyway; past Python's digit limit
    # int() itself would raise, so a huge integer becomes infinity and is refused as such.
    return int(text) if len(text) <= 30 else float("inf")


def command_digest(cmd: Command) -> str:
    """A fingerprint of what the command asks (not who or when): a repeated command_id with a
    different command is told apart from a true repeat, even after a restart."""
    return wire_digest(to_wire(cmd))


def wire_digest(wire: Mapping[str, Any]) -> str:
    """`command_digest` of a command's wire form (as a refusal records it)."""
    plain = _integral({k: v for k, v in wire.items() if k != "command_id"})
    return hashlib.sha256(orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _integral(value: Any) -> Any:
    # The record's canonical JSON writes 6.0 as 6; the digest must not see a difference.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_integral(v) for v in value]
    return value


# What kind of item each field names ("tuple"/"dict"/"one" says how its value holds the IDs),
# worked out once per command class: validate and the rules ask for every command.
_RefPlan = tuple[tuple[str, str, str, str], ...]  # (attribute, wire name, kind, shape)
_REF_PLANS: dict[type[Command], _RefPlan] = {}


def _ref_plan(cls: type[Command]) -> _RefPlan:
    plan = _REF_PLANS.get(cls)
    if plan is not None:
        return plan
    found = []
    for spec in schema(cls):
        origin = get_origin(spec.tp)
        if origin is tuple:
            kind = spec.ref or _strip(get_args(spec.tp)[0])[2]
            shape = "tuple"
        elif origin is dict:
            kind = _strip(get_args(spec.tp)[0])[2]
            shape = "dict"
        else:
            kind, shape = spec.ref, "one"
        if kind:
            found.append((spec.name, spec.wire, kind, shape))
    _REF_PLANS[cls] = plan = tuple(found)
    return plan


def person_fields(cmd: Command) -> dict[str, tuple[str, ...]]:
    """Every person ID the command names, keyed by wire field name."""
    found: dict[str, tuple[str, ...]] = {}
    for name, wire, kind, shape in _ref_plan(type(cmd)):
        if kind != "person" or shape == "dict":
            continue
        value = getattr(cmd, name)
        if value is not None:
            found[wire] = value if isinstance(value, tuple) else (value,)
    if cmd.override is not None:
        found["override.by"] = cmd.override.by
    return found


def item_refs(cmd: Command) -> list[tuple[str, str, str]]:
    """Every (wire field, kind, id) naming a firearm, lot, container or concern."""
    refs: list[tuple[str, str, str]] = []
    for name, wire, kind, shape in _ref_plan(type(cmd)):
        if kind == "person":
            continue
        value = getattr(cmd, name)
        if value is None:
            continue
        if shape == "tuple":
            refs.extend((f"{wire}[{i}]", kind, v) for i, v in enumerate(value))
        elif shape == "dict":
            refs.extend((f"{wire}.{k}", kind, k) for k in value)
        else:
            refs.append((wire, kind, value))
    return refs


__all__ = [
    "Malformed",
    "NotApplicable",
    "TooLarge",
    "command_digest",
    "command_types",
    "item_refs",
    "parse_command",
    "person_fields",
    "read_json",
    "to_wire",
    "wire_digest",
]


def to_wire(cmd: Command) -> dict[str, Any]:
    """The command as the JSON object it came from (minus `at` and `actor`)."""
    out: dict[str, Any] = {"type": cmd.TYPE}
    for spec in schema(type(cmd)):
        value = getattr(cmd, spec.name)
        if value is None:
            continue
        out[spec.wire] = _jsonable(value)
    if cmd.override is not None:
        out["override"] = {"by": list(cmd.override.by), "reason": cmd.override.reason}
    if cmd.command_id is not None:
        out["command_id"] = cmd.command_id
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, RiskAssessment):
        return {"sha256": value.sha256, "controls": value.controls}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
