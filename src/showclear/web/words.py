"""Words on the screens: what the rules say, in the words of the screens.

The rules' next steps name commands by their wire names (`resume_work`, `verify_rounds`), as
the API and the drills want; a person at a cart sees the name of the form they would use
instead. Counts agree with their nouns ("1 round", "6 rounds").
"""

from __future__ import annotations

import re

from showclear.web.forms import TITLES

# Wire names with an underscore only: a bare word such as "load" or "issue" is ordinary English.
_NAMES = {name: title for name, (title, _) in TITLES.items() if "_" in name}
_COMMAND = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _NAMES), key=len, reverse=True)) + r")\b"
)
_ONE = re.compile(
    r"(?<![\d.,])\b1 ((?:[a-z]+ )?)(round|firearm|person|lot|minute|event|refusal|alert)s\b"
)


def plain(text: object) -> str:
    """`text` with command names as the screens call them and singular counts fixed."""
    out = _COMMAND.sub(lambda m: f"“{_NAMES[m.group(1)]}”", str(text))
    return _ONE.sub(lambda m: f"1 {m.group(1)}{m.group(2)}", out)


def plural(count: int, noun: str) -> str:
    """ "1 round", "2 rounds"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
