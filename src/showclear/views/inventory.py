"""The inventory record: every firearm and lot, as a bound acquisition and disposition book (pure).

One row per item, in the order the items came in (the acquisition's event number), like the
lines of a bound book: the acquisition on the left (date received, from whom with the vendor's
licence as it stood that day, invoice, what it is), the disposition on the right once there is
one (date, how, to whom, before whom, reference). A prop house or an inspector checks it line
by line against their own papers; the CSV carries both event numbers so that every
acquisition and disposition in the ledger is found exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from showclear.domain import State

Env = dict[str, Any]

INVENTORY_COLUMNS = ("seq", "acquired", "source", "invoice", "item", "id", "description",
                     "serial", "count", "disposed_seq", "disposed", "how", "to", "left",
                     "reference", "flag")  # fmt: skip
INVENTORY_HEADERS = ("#", "Received", "From · licence", "Invoice", "Item", "ID",
                     "Make / model / class or kind / caliber", "Serial", "Count", "Out #",
                     "Disposed", "How", "To / witness", "Left", "Reference",
                     "Flag")  # fmt: skip
ACQUIRED = ("firearm_registered", "ammo_received")
DISPOSED = "item_disposed"


def _vendor_text(vendors: dict[str, dict[str, Any]], vendor: str | None) -> str:
    """A vendor on a line of the book: its ID and licence number as they stood that day
    ("acme · FFL 9-95-037"; the summary names each vendor); free text (vendors not required
    to be approved) as it was written."""
    if not vendor:
        return ""
    v = vendors.get(vendor)
    if v is None:
        return vendor
    return f"{vendor} · {v['licence']}"


def _description(d: dict[str, Any], firearm: bool) -> str:
    if firearm:
        parts = [" ".join(p for p in (d.get("make"), d.get("model")) if p)]
        parts += [d.get("class") or "", str(d.get("kind", "")).replace("_", " "),
                  str(d.get("caliber", ""))]  # fmt: skip
    else:
        parts = [str(d.get("kind", "")), str(d.get("caliber", ""))]
    return ", ".join(p for p in parts if p)


def inventory_rows(state: State, envs: Sequence[Env]) -> list[dict[str, Any]]:
    """One row per firearm and lot, in acquisition order, with its disposition when it left.

    A vendor's licence is printed as it stood when the item came in or left (a renewal later
    does not rewrite an earlier line); people are named from `state` (nobody is ever removed).
    """
    vendors: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for env in envs:
        t, d = env["type"], env["data"]
        if t == "vendor_approved":
            vendors[d["vendor"]] = d
        elif t in ACQUIRED:
            firearm = t == "firearm_registered"
            key = ("firearm", d["firearm"]) if firearm else ("lot", d["lot"])
            rows[key] = {
                "seq": env["seq"],
                "acquired": str(env["at"])[:10],
                "source": _vendor_text(vendors, d.get("vendor")),
                "invoice": d.get("invoice") or "",
                "item": key[0],
                "id": key[1],
                "description": _description(d, firearm),
                "serial": d.get("serial") or "",
                "count": None if firearm else d.get("count"),
                "disposed_seq": None,
                "disposed": "",
                "how": "",
                "to": "",
                "left": None,
                "reference": "",
                "flag": "",
            }
        elif t == DISPOSED:
            row = rows.get((d["item"], d["id"]))
            if row is None:  # a disposal the record never acquired: cannot happen; shown anyway
                continue
            if d["how"] == "destroyed":
                witness = state.people.get(d.get("witness") or "")
                to = f"witness {witness.name} ({witness.id})" if witness else "witness ?"
            else:  # the vendor's ID: the summary names it, with its licence
                to = d.get("to") or ""
            row.update(
                disposed_seq=env["seq"],
                disposed=str(env["at"])[:10],
                how=d["how"],
                to=to,
                left=d.get("count"),
                reference=d.get("reference") or "",
            )
            if d["item"] == "lot" and d.get("count") != d.get("on_hand"):
                row["flag"] = "DIFFERENCE"  # SC-V03: the papers and the count disagree
    out = sorted(rows.values(), key=lambda r: r["seq"])
    for r in out:  # SC-R01: the line stays as recorded; the correction is in the history
        if r["seq"] in state.corrections or r["disposed_seq"] in state.corrections:
            r["flag"] = (r["flag"] + " CORRECTED").strip()
    return out


def vendor_legend(state: State) -> list[tuple[str, str]]:
    """Each approved vendor as the summary names it: ID, name, licence and its expiry."""
    return [
        (f"Vendor {v.id}", f"{v.name}, licence {v.licence} valid through {v.licence_expires}")
        for v in sorted(state.vendors.values(), key=lambda v: v.id)
    ]


def inventory_summary(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    firearms = [r for r in rows if r["item"] == "firearm"]
    lots = [r for r in rows if r["item"] == "lot"]
    held_f = sum(1 for r in firearms if r["disposed_seq"] is None)
    held_l = sum(1 for r in lots if r["disposed_seq"] is None)
    diffs = sum(1 for r in rows if r["flag"] == "DIFFERENCE")
    return [
        ("Firearms", f"{len(firearms)} acquired, {len(firearms) - held_f} disposed, "
                     f"{held_f} on hand"),
        ("Lots", f"{len(lots)} acquired, {len(lots) - held_l} disposed, {held_l} on hand"),
        ("Count differences", str(diffs) if diffs else "none"),
    ]  # fmt: skip


# -- the armory's inventory screen -----------------------------------------------------------


def due_text(due: date | None, today: date) -> tuple[str, bool]:
    """A rental's due date as shown, and whether it is overdue (SC-V04: by the end of it)."""
    if due is None:
        return "", False
    return due.isoformat(), due < today


def inventory_screen(state: State, today: date) -> dict[str, Any]:
    """What the inventory screen lists: vendors, firearms with their due-back date, lots."""
    vendors = [
        {
            "id": v.id,
            "name": v.name,
            "licence": v.licence,
            "expires": v.licence_expires.isoformat(),
            "valid": v.valid_on(today),
            "approved_by": v.approved_by,
            "agreed_by": v.agreed_by,
        }
        for v in sorted(state.vendors.values(), key=lambda v: v.id)
    ]
    firearms = []
    for f in sorted(state.firearms.values(), key=lambda f: f.id):
        due, overdue = due_text(f.due_back, today)
        firearms.append(
            {
                "id": f.id,
                "what": ", ".join(
                    p for p in (f.kind.replace("_", " "), f.caliber, f.firearm_class) if p
                ),
                "serial": f.serial or "",
                "vendor": f.vendor or "",
                "invoice": f.invoice or "",
                "due_back": due,
                "overdue": overdue and f.disposed is None,
                "disposed": f.disposed,
                "loaded": f.rounds,
            }
        )
    lots = [
        {
            "id": lot.id,
            "what": f"{lot.kind} {lot.caliber}",
            "vendor": lot.vendor,
            "invoice": lot.invoice or "",
            "received": lot.received,
            "on_hand": lot.on_hand,
            "disposed": lot.disposed,
        }
        for lot in sorted(state.lots.values(), key=lambda x: x.id)
    ]
    open_items = sum(1 for f in state.firearms.values() if f.disposed is None)
    open_items += sum(1 for x in state.lots.values() if x.disposed is None and x.on_hand > 0)
    return {"vendors": vendors, "firearms": firearms, "lots": lots, "open_items": open_items}
