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


def count_only_confirmed(raw: dict[str, Any], checks: dict[str, PinCheck]) -> None:
    """A witness counts only once confirmed by their own PIN (SC-C03): the command goes to the
    rules with the confirmed witnesses alone, so a missing or wrong PIN is refused by SC-C03
    and the refusal recorded (SC-R03) like any other. Its command ID is dropped: the PINs are
    not part of the command, so the corrected attempt must be decided afresh, not answered
    from this refusal's record."""
    if all(c.ok for c in checks.values()):
        return
    raw["witnesses"] = [w for w in raw.get("witnesses", []) if checks.get(w, _UNCHECKED).ok]
    raw.pop("command_id", None)


_UNCHECKED = PinCheck("wrong", remaining=-1)
