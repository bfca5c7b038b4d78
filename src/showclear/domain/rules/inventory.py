"""V: vendors and the inventory's life. Licensed sources in, recorded dispositions out.

SC-V03 (a lot leaving with a count that differs from its rounds on hand) is raised by
`effects.dispose`; SC-V04 (a rental not back by its due date) is a watchdog in watchdogs.py.
"""

from __future__ import annotations

from datetime import date

from showclear.domain.commands import (
    ApproveVendor,
    CloseProduction,
    Command,
    Dispose,
    InspectLot,
    Issue,
    Load,
    ReceiveAmmo,
    RegisterFirearm,
    Retrieve,
    Secure,
    VerifyRounds,
)
from showclear.domain.rules import Finding, rule
from showclear.domain.state import State


def _approve(vendor: str) -> str:
    return (f"have a producer approve {vendor}, with an armorer agreeing (approve_vendor), on a "
            "licence valid today")  # fmt: skip


def _vendor_problem(state: State, vendor: str, on: date) -> str | None:
    """Why `vendor` may not be used on `on`, or None when it is approved and licensed."""
    v = state.vendors.get(vendor)
    if v is None:
        return f"{vendor} is not an approved vendor"
    if not v.valid_on(on):
        return f"{vendor}'s licence {v.licence} expired on {v.licence_expires.isoformat()}"
    return None


@rule("SC-V01", "BLOCK", "approve_vendor", "register_firearm", "receive_ammo", "dispose")
def approved_vendors_only(state: State, cmd: Command) -> Finding | None:
    if isinstance(cmd, ApproveVendor):
        return _approval_problem(state, cmd)
    if not state.policy.require_approved_vendors:
        return None  # vendor and `to` are free text
    on = cmd.at.date()
    if isinstance(cmd, RegisterFirearm) and cmd.vendor is None:
        return Finding(
            f"{cmd.firearm} names no vendor: this production takes firearms only from approved "
            "vendors.",
            "Register it with the vendor it came from (vendor), approved beforehand.",
        )
    if isinstance(cmd, RegisterFirearm | ReceiveAmmo):
        what = f"firearm {cmd.firearm}" if isinstance(cmd, RegisterFirearm) else f"lot {cmd.lot}"
        assert cmd.vendor is not None
        problem = _vendor_problem(state, cmd.vendor, on)
        if problem is None:
            return None
        return Finding(
            f"Cannot take in {what}: {problem}.",
            f"Refuse the delivery; or {_approve(cmd.vendor)}.",
        )
    assert isinstance(cmd, Dispose)
    if cmd.how == "destroyed" or cmd.to is None:
        return None  # who destroys, and a missing `to`, are SC-V02's
    problem = _vendor_problem(state, cmd.to, on)
    if problem is None:
        return None
    return Finding(
        f"Cannot hand over to {cmd.to}: {problem}.",
        f"Return or transfer it only to an approved, licensed vendor; or {_approve(cmd.to)}.",
    )


def _approval_problem(state: State, cmd: ApproveVendor) -> Finding | None:
    """SC-V01 says who approves: a producer, with another person, an armorer, agreeing."""
    problems = []
    if cmd.actor in state.people and not state.has_role(cmd.actor, "producer"):
        problems.append(f"{cmd.actor} is not a producer")
    if cmd.agreed_by in state.people and (
        cmd.agreed_by == cmd.actor or not state.has_role(cmd.agreed_by, "armorer")
    ):
        problems.append(f"agreed_by must be another person with the armorer role, not "
                        f"{cmd.agreed_by}")  # fmt: skip
    if not problems:
        return None
    return Finding(
        "A vendor is approved by a producer with an armorer agreeing: " + "; ".join(problems) + ".",
        "Ask a producer to approve it, naming the armorer who agrees (agreed_by).",
    )


def _gone(state: State, cmd: Command) -> list[str]:
    """The disposed firearms and lots the command would use or move."""
    named: list[str] = []
    firearm = getattr(cmd, "firearm", None)
    lot = getattr(cmd, "lot", None)
    if firearm is not None and state.firearms[firearm].disposed is not None:
        named.append(f"firearm {firearm}")
    if lot is not None and state.lots[lot].disposed is not None:
        named.append(f"lot {lot}")
    return named


USES = (Load, Issue, Secure, Retrieve, VerifyRounds, InspectLot)


@rule("SC-V02", "BLOCK", "load", "issue", "secure", "retrieve", "verify_rounds", "inspect_lot",
      "dispose", "close_production")  # fmt: skip
def recorded_dispositions(state: State, cmd: Command) -> Finding | None:
    if isinstance(cmd, USES):
        gone = _gone(state, cmd)
        if not gone:
            return None
        named = " and ".join(gone)  # "firearm g1", or "firearm g1 and lot b1"
        if len(gone) == 1:
            fate = "has left the production (disposed of): it is never used or moved again."
        else:
            fate = "have left the production (disposed of): neither is used or moved again."
        return Finding(
            f"{named[0].upper()}{named[1:]} {fate}",
            "Use another firearm or lot; its history stays on the record.",
        )
    if isinstance(cmd, Dispose):
        return _disposal_problem(state, cmd)
    assert isinstance(cmd, CloseProduction)
    firearms = [f.id for f in state.firearms.values() if f.disposed is None]
    lots = [x.id for x in state.lots.values() if x.disposed is None and x.on_hand > 0]
    if not firearms and not lots:
        return None
    left = [*firearms, *(f"lot {lot}" for lot in lots)]
    shown = ", ".join(left[:8]) + (f" and {len(left) - 8} more" if len(left) > 8 else "")
    return Finding(
        f"Not every item has a recorded disposition: {shown}.",
        "Return, transfer or destroy each of them (dispose), then close the production.",
    )


def _disposal_problem(state: State, cmd: Dispose) -> Finding | None:
    found: list[tuple[str, str]] = []  # (what is wrong, what to do)
    if _gone(state, cmd):
        found.append(("it was already disposed of", "Nothing to do: its disposition is recorded."))
    if cmd.firearm is not None:
        f = state.firearms[cmd.firearm]
        if f.loaded:
            found.append((f"{f.id} is loaded ({f.rounds} rounds): only an unloaded firearm leaves",
                          f"Unload {f.id} first."))  # fmt: skip
    else:
        lot = state.lots[str(cmd.lot)]
        if lot.in_firearms:
            found.append((f"{lot.in_firearms} rounds of lot {lot.id} are still loaded in firearms",
                          "Unload them first."))  # fmt: skip
    if cmd.how == "destroyed":
        if cmd.to is not None:
            found.append(("a destroyed item goes to no one", "Leave out `to`."))
        witness = cmd.witness
        if witness is None:
            found.append(
                (
                    "a destruction needs a witness",
                    "Name a safety supervisor or producer who watches it (witness).",
                )
            )
        elif witness == cmd.actor or not state.has_role(witness, "safety_supervisor", "producer"):
            found.append((f"{witness} cannot witness it: the witness is a safety supervisor or "
                          "producer other than the person destroying it",
                          "Name a safety supervisor or producer as the witness."))  # fmt: skip
    elif cmd.to is None:
        found.append((f"it must say to whom it was {cmd.how}", "Name the vendor (to)."))
    if not found:
        return None
    return Finding(
        "Cannot record this disposition: " + "; ".join(p for p, _ in found) + ".",
        " ".join(dict.fromkeys(step for _, step in found)),
    )
