"""JSON Schema of every command, read from the same annotations and limits the parser uses.

The parser stays the only validator, and the schema says exactly what it accepts: a body the
schema allows is never refused as malformed (422). What only the production's state can tell
(an unknown firearm, a refusal by the rules) is answered 409. The schema documents the API and
lets Schemathesis generate commands that reach the rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args, get_origin

from showclear.domain import limits
from showclear.domain.commands import (
    COMMANDS,
    EXTRA_COMMANDS,
    Command,
    PolicyPatch,
    RiskAssessment,
)
from showclear.domain.parsing import EXACTLY_ONE, REQUIRED_WHEN_TRUE, _strip, is_id_field, schema
from showclear.domain.values import POLICY_TYPES

SERVER_SET = ("at", "actor")

ID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": limits.MAX_ID_CHARS,
    "pattern": r"\S",  # not only white space
    "not": {"pattern": limits.ID_FORBIDDEN},
}
TEXT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "maxLength": limits.MAX_TEXT_CHARS,
    "not": {"pattern": limits.TEXT_FORBIDDEN},
}
NUMBER_BOUNDS = {"minimum": -limits.MAX_SAFE_INTEGER, "maximum": limits.MAX_SAFE_INTEGER}


def _json_value(depth: int) -> dict[str, Any]:
    """Free-form JSON within the limits, `depth` arrays or objects deep at most (the parser
    counts the command object itself as the first level)."""
    scalars: list[dict[str, Any]] = [
        {"type": "null"},
        {"type": "boolean"},
        {"type": "number", **NUMBER_BOUNDS},
        TEXT_SCHEMA,
    ]
    if depth == 0:
        return {"anyOf": scalars}
    inner = _json_value(depth - 1)
    return {
        "anyOf": [
            *scalars,
            {"type": "array", "maxItems": limits.MAX_ITEMS, "items": inner},
            {
                "type": "object",
                "maxProperties": limits.MAX_ITEMS,
                "propertyNames": TEXT_SCHEMA,
                "additionalProperties": inner,
            },
        ]
    }


def _type_schema(tp: Any, wire: str, ref: str | None) -> dict[str, Any]:
    base, nullable, _, _ = _strip(tp)
    if nullable:  # a policy value that may be null (police_notice_minutes)
        return {"anyOf": [_type_schema(base, wire, ref), {"type": "null"}]}
    origin = get_origin(tp)
    if tp is Any:
        return _json_value(limits.MAX_DEPTH - 1)
    if tp is str:
        return dict(ID_SCHEMA if is_id_field(wire, ref) else TEXT_SCHEMA)
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer", "minimum": 0, "maximum": limits.MAX_SAFE_INTEGER}
    if tp is float:
        return {"type": "number", "minimum": 0, "maximum": limits.MAX_SAFE_INTEGER}
    if tp is date:
        return {"type": "string", "format": "date", "pattern": limits.DATE_PATTERN}
    if origin is Literal:
        return {"type": "string", "enum": list(get_args(tp))}
    if origin is tuple:
        item_tp, _, item_ref, _ = _strip(get_args(tp)[0])
        return {
            "type": "array",
            "maxItems": limits.MAX_ITEMS,
            "items": _type_schema(item_tp, wire, item_ref or ref),
        }
    if tp is PolicyPatch:
        return {
            "type": "object",
            "properties": {k: _type_schema(v, k, None) for k, v in POLICY_TYPES.items()},
            "additionalProperties": False,
        }
    if tp is RiskAssessment:
        return {
            "type": "object",
            "description": "SC-F04: the written risk assessment's SHA-256, and its controls",
            "properties": {
                "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                "controls": {**TEXT_SCHEMA, "minLength": 1},
            },
            "required": ["sha256", "controls"],
        }
    if origin is dict:
        key_tp, val_tp = get_args(tp)
        key_ref = _strip(key_tp)[2]
        return {
            "type": "object",
            "maxProperties": limits.MAX_ITEMS,
            "propertyNames": ID_SCHEMA if key_ref else TEXT_SCHEMA,
            "additionalProperties": _type_schema(val_tp, wire, None),
        }
    raise TypeError(f"no schema for {tp!r}")


OVERRIDE = {
    "type": "object",
    "description": "GUARD override: the people who take responsibility, and why",
    "properties": {
        "by": {"type": "array", "maxItems": limits.MAX_ITEMS, "items": ID_SCHEMA},
        "reason": TEXT_SCHEMA,
    },
    "required": ["by", "reason"],
}


def _nullable(s: dict[str, Any]) -> dict[str, Any]:
    # The parser takes null in an optional field as "not given".
    return {"anyOf": [s, {"type": "null"}]}


def command_schema(cls: type[Command]) -> dict[str, Any]:
    props: dict[str, Any] = {"type": {"type": "string", "enum": [cls.TYPE]}}
    required = ["type"]
    for spec in schema(cls):
        field_schema = _type_schema(spec.tp, spec.wire, spec.ref)
        props[spec.wire] = _nullable(field_schema) if spec.optional else field_schema
        if not spec.optional:
            required.append(spec.wire)
    props["command_id"] = _nullable(
        {
            **ID_SCHEMA,
            "description": "Client's idempotency key: the same command again is answered "
            "once and recorded once; a different command under a used ID is 409",
        }
    )
    props["override"] = _nullable(OVERRIDE)
    for name in SERVER_SET:
        props[name] = {**TEXT_SCHEMA, "description": "Ignored: the server sets it"}
    out: dict[str, Any] = {
        "type": "object",
        "title": cls.TYPE,
        "properties": props,
        "additionalProperties": False,
    }
    if cls.TYPE == "set_contact":  # the node turns the address into what the record holds
        del props["fingerprint"], props["shown"]
        props["address"] = _nullable(
            {
                "type": "string",
                "maxLength": limits.MAX_URL_CHARS,
                "description": "An e-mail address (channel email) or an Apprise URL (channel "
                "apprise); null or absent removes the person's address on that channel. Kept "
                "by the node; the record holds its fingerprint and a masked form only",
            }
        )
    if cls.TYPE == "issue":
        props["witness_pins"] = {
            "type": "object",
            "maxProperties": limits.MAX_ITEMS,
            "additionalProperties": {"type": "string", "maxLength": 64},
            "description": "Each witness's PIN, keyed by person ID; every witness must confirm "
            "(403 when one has not)",
        }
        required.append("witness_pins")
    out["required"] = required
    one_of = EXACTLY_ONE.get(cls)
    if one_of is not None:
        out["oneOf"] = [
            {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in one_of
        ]
    when = REQUIRED_WHEN_TRUE.get(cls)
    if when is not None:
        flag, needed = when
        out["if"] = {"properties": {flag: {"const": True}}, "required": [flag]}
        out["then"] = {"required": [needed], "properties": {needed: {"not": {"type": "null"}}}}
    return out


def unknown_field(raw: dict[str, Any]) -> str | None:
    """The first key of a command body that its schema does not have (the API refuses it, as
    the schema says), or None; an unknown type is the parser's to name."""
    type_name = raw.get("type")
    if not isinstance(type_name, str):
        return None
    known = _known_fields(type_name)
    return None if known is None else next((k for k in raw if k not in known), None)


def _known_fields(type_name: str) -> frozenset[str] | None:
    cls = COMMANDS.get(type_name) or EXTRA_COMMANDS.get(type_name)
    if cls is None:
        return None
    if cls.TYPE not in _FIELDS:  # one entry per command class
        _FIELDS[cls.TYPE] = frozenset(command_schema(cls)["properties"])
    return _FIELDS[cls.TYPE]


_FIELDS: dict[str, frozenset[str]] = {}


def json_body(body_schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An OpenAPI requestBody of JSON (read by the route itself, after the sign-in check)."""
    return {
        "required": True,
        "content": {"application/json": {"schema": body_schema}},
        "description": description,
    }


def commands_request_body() -> dict[str, Any]:
    variants = [command_schema(c) for c in (*COMMANDS.values(), *EXTRA_COMMANDS.values())]
    return json_body(
        {"oneOf": variants},
        "Any command of the drill format, without `at` and `actor` (the server sets them: the "
        "clock and the signed-in person). An `issue` carries `witness_pins`.",
    )
