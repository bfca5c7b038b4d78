"""Witnesses confirm a handover with their own PIN, on the API and on the handover screen."""

from __future__ import annotations

from typing import Any

from showclear.app.signin import Auth, PinCheck
from showclear.domain import State


def witness_checks(
    auth: Auth, state: State, production: str, raw: dict[str, Any], where: str
) -> dict[str, PinCheck]:
    """Verify the PIN of every witness an `issue` names; the PINs never go further."""
    pins = raw.pop("witness_pins", None)
    witnesses = raw.get("witnesses")
    if not isinstance(witnesses, list) or not all(isinstance(w, str) for w in witnesses):
        return {}  # the parser reports the malformed field
    pins = pins if isinstance(pins, dict) else {}
    checks: dict[str, PinCheck] = {}
    for w in dict.fromkeys(witnesses):
        pin = pins.get(w)
        if not isinstance(pin, str) or not pin:
            checks[w] = PinCheck("wrong", remaining=-1)
        elif w not in state.people:  # nobody to check: no argon2 run for a made-up name
            checks[w] = PinCheck("no_pin")
        else:
            checks[w] = auth.check_pin(production, w, pin, where)
    return checks


def witness_failures(checks: dict[str, PinCheck]) -> list[str]:
    out = []
    for w, c in checks.items():
        if c.ok:
            continue
        out.append(f"{w} has not confirmed (no PIN given)." if c.remaining == -1 else c.text(w))
    return out
