"""JSON Schema of every command, read from the same annotations the domain parser uses.

The parser stays the only validator (a request that passes this schema can still be
malformed, e.g. an unknown firearm: 422); the schema documents the API and lets Schemathesis
generate commands that reach the rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args, get_origin

from showclear.domain.commands import (
    COMMANDS,
    EXTRA_COMMANDS,
    Command,
    PolicyPatch,
    RiskAssessment,
)
from showclear.domain.parsing import _strip, schema
from showclear.domain.values import POLICY_TYPES

SERVER_SET = ("at", "actor")


def _type_schema(tp: Any) -> dict[str, Any]:
    base, nullable, _, _ = _strip(tp)
    if nullable:  # a policy value that may be null (police_notice_minutes)
        return {"anyOf": [_type_schema(base), {"type": "null"}]}
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer", "minimum": 0}
    if tp is float:
        return {"type": "number", "minimum": 0}
    if tp is date:
        return {"type": "string", "format": "date"}
    if origin is Literal:
        return {"type": "string", "enum": list(get_args(tp))}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(_strip(get_args(tp)[0])[0])}
    if tp is PolicyPatch:
        return {
            "type": "object",
            "properties": {k: _type_schema(v) for k, v in POLICY_TYPES.items()},
            "additionalProperties": False,
        }
    if tp is RiskAssessment:
        return {
            "type": "object",
            "description": "SC-F04: the written risk assessment's SHA-256, and its controls",
            "properties": {
                "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                "controls": {"type": "string", "minLength": 1},
            },
            "required": ["sha256", "controls"],
        }
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(get_args(tp)[1])}
    raise TypeError(f"no schema for {tp!r}")


OVERRIDE = {
    "type": "object",
    "description": "GUARD override: the people who take responsibility, and why",
    "properties": {
        "by": {"type": "array", "items": {"type": "string"}},
        "reason": {"type": "string"},
    },
    "required": ["by", "reason"],
}


def command_schema(cls: type[Command]) -> dict[str, Any]:
    props: dict[str, Any] = {"type": {"type": "string", "enum": [cls.TYPE]}}
    required = ["type"]
    for spec in schema(cls):
        props[spec.wire] = _type_schema(spec.tp)
        if not spec.optional:
            required.append(spec.wire)
    props["command_id"] = {
        "type": "string",
        "description": "Client's idempotency key: a repeat is answered once, recorded once",
    }
    props["override"] = OVERRIDE
    if cls.TYPE == "issue":
        props["witness_pins"] = {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Each witness's PIN, keyed by person ID; every witness must confirm",
        }
    return {
        "type": "object",
        "title": cls.TYPE,
        "properties": props,
        "required": required,
    }


def commands_request_body() -> dict[str, Any]:
    variants = [command_schema(c) for c in (*COMMANDS.values(), *EXTRA_COMMANDS.values())]
    return {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": variants}}},
        "description": "Any command of DRILLS.md, without `at` and `actor` (the server sets "
        "them: the clock and the signed-in person). An `issue` carries `witness_pins`.",
    }
