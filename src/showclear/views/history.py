"""History of one firearm, lot or person, with corrections beside the originals (SC-R01)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

Kind = Literal["firearm", "lot", "person"]

# Data keys that say how a command was sent, not what happened: left out of every summary.
BOOKKEEPING = frozenset({"command_id", "command_digest"})

# Where each kind of ID appears in event data (and in a refused command's `command`).
KEYS: dict[str, frozenset[str]] = {
    "firearm": frozenset({"firearm", "firearms", "recall", "subject"}),
    "lot": frozenset({"lot", "lots", "counts", "loaded", "quarantined", "subject", "from_lot"}),
    "person": frozenset(
        {
            "person",
            "to",
            "from",
            "witnesses",
            "attendees",
            "performers",
            "armorer",
            "assistant_armorer",
            "agreed_by",
            "by",
            "override",
            "issued_to",
        }
    ),
}


def _mentions(value: Any, ident: str, keys: frozenset[str], inside: bool) -> bool:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ("message", "text", "note", "reason", "title", "name"):
                continue
            here = inside or k in keys
            if here and k == "counts" and isinstance(v, dict) and ident in v:
                return True
            if _mentions(v, ident, keys, here):
                return True
        return False
    if isinstance(value, list | tuple):
        return any(_mentions(v, ident, keys, inside) for v in value)
    return inside and value == ident


def mentions(env: Mapping[str, Any], kind: Kind, ident: str) -> bool:
    """Whether the event names the firearm, lot or person `ident` (a person also by acting).

    The one predicate of every history: the web's and the reports'. A refusal names what its
    command named, under the same keys; a disposal names its item (`item`, `id`). IDs are
    unique per kind only, so a lot that shares a firearm's ID is not that firearm.
    """
    if kind == "person" and env["actor"] == ident:
        return True
    data = env["data"]
    if data.get("item") == kind and data.get("id") == ident:
        return True
    return _mentions(data, ident, KEYS[kind], False)


def _summary(env: dict[str, Any]) -> str:
    data = env["data"]
    if "message" in data:
        return str(data["message"])
    parts = []
    for k, v in data.items():
        if k in BOOKKEEPING or v in (None, [], {}):
            continue
        parts.append(f"{k}={v if not isinstance(v, list) else ', '.join(map(str, v))}")
    return " ".join(parts)


def history(
    envs: Iterable[dict[str, Any]], wanted: Sequence[tuple[Kind, str]]
) -> list[dict[str, Any]]:
    """Events naming any of the wanted items (or done by a wanted person), oldest first, each
    with its corrections; every event when nothing is wanted."""
    envs = list(envs)
    corrections: dict[int, list[dict[str, Any]]] = {}
    for env in envs:
        if env["type"] == "record_corrected":
            d = env["data"]
            corrections.setdefault(int(d["corrects"]), []).append(
                {
                    "seq": env["seq"],
                    "by": env["actor"],
                    "at": env["at"],
                    "reason": d["reason"],
                    "changes": d.get("changes", {}),
                }
            )
    rows = []
    for env in envs:
        if env["type"] == "record_corrected":
            continue
        if not wanted or any(mentions(env, kind, ident) for kind, ident in wanted):
            rows.append(
                {
                    "seq": env["seq"],
                    "at": env["at"],
                    "type": env["type"],
                    "actor": env["actor"],
                    "summary": _summary(env),
                    "data": env["data"],
                    "corrections": corrections.get(env["seq"], []),
                }
            )
    return rows
