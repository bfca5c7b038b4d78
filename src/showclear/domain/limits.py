"""Input limits, stated once.

Every way into ShowClear (the REST API, the web forms, drill files, the command line) reads
JSON through `parsing.read_json` and builds commands with `parsing.parse_command`, which apply
these limits to every field by its type, so a field added to a command inherits them. The
API's JSON Schema (`api/schema.py`) is written from the same constants and patterns, so what
the schema allows is what the parser accepts.

The predicates here return a reason in plain words, or None; the parser turns a reason into
`Malformed(field, reason)`.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_BODY_BYTES = 64 * 1024  # one request body, form post or drill line
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # one uploaded document (a setup's risk assessment)
MAX_UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + MAX_BODY_BYTES  # the document and its form
MAX_TEXT_CHARS = 2_000  # a note, a reason, a name: a few paragraphs at most
MAX_ID_CHARS = 100  # an ID of a production, person, firearm, lot, setup, command ...
MAX_DEPTH = 8  # nesting of a whole JSON document, the command object itself counting as 1
MAX_ITEMS = 1_000  # elements of one list, members of one object
MAX_EMAIL_CHARS = 254  # an e-mail address (RFC 5321's path limit, less the brackets)
MAX_URL_CHARS = 2_000  # a notification URL (Apprise), as long as free text
MAX_SAFE_INTEGER = 2**53 - 1  # every number must survive a round trip through JSON (RFC 8785)
MAX_SYNC_BODY_BYTES = 8 * 1024 * 1024  # one push of a set node to the studio's sync endpoint
MAX_PUSH_EVENTS = 5_000  # events in one push (a node sends a longer backlog in several)
MAX_PUSH_PAYLOAD_BYTES = 4 * 1024 * 1024  # the events' own bytes in one push

# Character classes as regex source, valid both in Python's `re` and as JSON Schema patterns
# (ECMA-262). Control characters are never data; lone surrogates cannot be written as UTF-8;
# zero-width and bidirectional marks in an ID would let two different IDs look the same on a
# label or a screen.
_CONTROL_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, LF, CR; DEL; C1
_SURROGATES = r"\ud800-\udfff"
_INVISIBLE = r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_NOT_IN_TEXT = _CONTROL_IN_TEXT + _SURROGATES
_NOT_IN_ID = r"\x00-\x1f\x7f-\x9f" + _SURROGATES + _INVISIBLE

# The schema says "contains none of these" (`not: {pattern: ...}`) rather than anchoring a
# pattern, because `$` also matches before a final newline in Python's regex dialect.
TEXT_FORBIDDEN = f"[{_NOT_IN_TEXT}]"
ID_FORBIDDEN = f"[{_NOT_IN_ID}]"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_BAD_IN_TEXT = re.compile(TEXT_FORBIDDEN)
_BAD_IN_ID = re.compile(ID_FORBIDDEN)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UNPRINTABLE = _BAD_IN_ID


def printable(text: str, limit: int = 120) -> str:
    """`text` safe to print, log or send as JSON: unprintable characters as \\uXXXX escapes."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _bad_char(match: re.Match[str]) -> str:
    code = f"\\u{ord(match.group()):04x}"
    return f"must not contain the character {code} (at position {match.start()})"


def text_problem(value: str) -> str | None:
    """Why `value` is not acceptable free text, or None."""
    if len(value) > MAX_TEXT_CHARS:
        return f"is {len(value)} characters long; at most {MAX_TEXT_CHARS} are allowed"
    bad = _BAD_IN_TEXT.search(value)
    return _bad_char(bad) if bad else None


def id_problem(value: str) -> str | None:
    """Why `value` is not an acceptable ID, or None."""
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_ID_CHARS:
        return f"is {len(value)} characters long; an ID has at most {MAX_ID_CHARS}"
    bad = _BAD_IN_ID.search(value)
    return _bad_char(bad) if bad else None


def integer_problem(value: int) -> str | None:
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return None
    return f"must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}"


def number_problem(value: float) -> str | None:
    if not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if abs(value) > MAX_SAFE_INTEGER:
        return f"must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}"
    return None


def date_problem(value: str) -> str | None:
    return None if _DATE.fullmatch(value) else "must be a date like 2021-10-21"


def items_problem(count: int) -> str | None:
    if count <= MAX_ITEMS:
        return None
    return f"has {count} entries; at most {MAX_ITEMS} are allowed"


def json_problem(value: Any, field: str, depth: int = MAX_DEPTH - 1) -> tuple[str, str] | None:
    """(field, reason) of the first part of a free-form JSON value that breaks a limit, or None.

    `depth` is how many more arrays or objects may nest inside `value`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        reason = text_problem(value)
    elif isinstance(value, int):
        reason = integer_problem(value)
    elif isinstance(value, float):
        reason = number_problem(value)
    elif isinstance(value, list | dict):
        if depth <= 0:
            return field, f"nests deeper than {MAX_DEPTH} levels"
        reason = items_problem(len(value))
        if reason is None:
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in pairs:
                if isinstance(key, str):
                    here = f"{field}.{printable(key, 40)}"
                    problem = text_problem(key)
                    if problem is not None:
                        return here, f"(a key) {problem}"
                else:
                    here = f"{field}[{key}]"
                found = json_problem(item, here, depth - 1)
                if found is not None:
                    return found
    else:
        reason = f"is not a JSON value ({type(value).__name__})"
    return (field, reason) if reason else None


def document_problem(value: Any) -> tuple[str | None, str] | None:
    """(field or None, reason) of the first part of a whole JSON document that breaks a limit:
    nesting, sizes, numbers, characters, wherever it is (even in a key nobody reads)."""
    found = json_problem(value, "", MAX_DEPTH)
    if found is None:
        return None
    field, reason = found
    return field.lstrip(".") or None, reason


def nesting(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text, without parsing it (so a
    document deeper than any parser's recursion limit can be refused with a clear reason)."""
    deepest = level = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            level += 1
            deepest = max(deepest, level)
        elif ch in "]}":
            level -= 1
    return deepest
