"""A: ammunition. No live rounds, inspected dummies, verified rounds, right kind and caliber."""

from __future__ import annotations

from showclear.domain.commands import Command, Load, ReceiveAmmo
from showclear.domain.rules import Finding, rule
from showclear.domain.state import State
from showclear.domain.values import FIRING_CAPABLE, NEVER_LOADED


@rule("SC-A01", "BLOCK", "receive_ammo")
def no_live_ammunition(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, ReceiveAmmo)
    if cmd.kind != "live":
        return None
    return Finding(
        f"Lot {cmd.lot} is declared live: live ammunition never enters a production.",
        f"Refuse the delivery and send it back to {cmd.vendor}; tell the safety supervisor.",
    )


@rule("SC-A03", "BLOCK", "load")
def lot_passed_inspection(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load)
    lot = state.lots[cmd.lot]
    if lot.quarantined:
        return Finding(
            f"Lot {lot.id} is quarantined ({lot.quarantined}): nothing is ever loaded from it.",
            "Use another lot; the quarantined lot stays locked away for investigation.",
        )
    if lot.kind == "dummy" and not lot.inspected_ok:
        return Finding(
            f"Dummy lot {lot.id} has not passed a receiving inspection of all {lot.received} "
            "rounds.",
            f"Inspect every round of lot {lot.id} first (inspect_lot, checked {lot.received}).",
        )
    return None


@rule("SC-A04", "BLOCK", "load")
def rounds_verified_today(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load)
    lot = state.lots[cmd.lot]
    if cmd.rounds <= lot.verified:
        return None
    short = cmd.rounds - lot.verified
    return Finding(
        f"{short} of the {cmd.rounds} rounds of lot {lot.id} have not been verified today "
        f"({lot.verified} verified and not yet loaded).",
        f"Verify the rounds first: {short} rounds of lot {lot.id} (verify_rounds, every round).",
    )


@rule("SC-A05", "BLOCK", "load")
def one_kind_at_a_time(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load)
    f, lot = state.firearms[cmd.firearm], state.lots[cmd.lot]
    if f.loaded_kind is None or f.loaded_kind == lot.kind:
        return None
    return Finding(
        f"{f.id} holds {f.loaded_kind} rounds; lot {lot.id} is {lot.kind}: never mix kinds.",
        f"Unload {f.id} first.",
    )


@rule("SC-A06", "BLOCK", "load")
def caliber_matches(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load)
    f, lot = state.firearms[cmd.firearm], state.lots[cmd.lot]
    if f.caliber == lot.caliber:
        return None
    return Finding(
        f"Lot {lot.id} is {lot.caliber}; {f.id} takes {f.caliber}.",
        f"Load only {f.caliber} rounds into {f.id}.",
    )


@rule("SC-A07", "BLOCK", "load")
def blanks_only_where_planned(state: State, cmd: Command) -> Finding | None:
    assert isinstance(cmd, Load)
    f, lot = state.firearms[cmd.firearm], state.lots[cmd.lot]
    if f.kind in NEVER_LOADED:
        return Finding(
            f"{f.id} is a {f.kind} firearm: nothing is ever loaded into it.",
            "Use it unloaded.",
        )
    if lot.kind != "blank":
        return None
    if f.kind not in FIRING_CAPABLE:
        return Finding(
            f"{f.id} is {f.kind.replace('_', '-')}: blanks go only into a blank-firing or "
            "real-firing firearm.",
            "Use a blank-firing firearm for this shot.",
        )
    if state.blank_setups_for(f.id):
        return None
    return Finding(
        f"{f.id} is in no approved, open fire_blanks setup today.",
        f"Plan a fire_blanks setup naming {f.id} and have the armorer and the 1st AD approve it.",
    )
