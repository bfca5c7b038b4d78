"""Generate drills/action-day.jsonl: a well-run night-exterior action day, every line accepted.

Production "demo" ("Night Shift — Ep. 104"): a licensed armorer and an assistant armorer act as
one armory; blank-firing pistols, revolvers and a rifle fire blanks only inside setups approved by
the armorer and the 1st AD; every handover is a witnessed show-clear or show-load; everything is
locked away for the meal break and at wrap, and every round reconciles.

Deterministic and stdlib only. Regenerate with:

    python drills/make_action_day.py > drills/action-day.jsonl
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from typing import Any

DAY = "2025-03-14"
OFFSET = "-04:00"  # Atlanta, daylight time

PRODUCER = "n.okafor"
ARMORER = "r.castillo"
ASSISTANT = "t.brandt"
FIRST_AD = "j.whitfield"
SAFETY = "m.haddad"
PROP_MASTER = "p.dubois"
CAMERA = "h.nakamura"
PERFORMERS = {
    "a.moreno": "Ana Moreno",
    "k.lindqvist": "Karin Lindqvist",
    "d.osei": "Daniel Osei",
    "s.park": "Soo-jin Park",
    "e.novak": "Emil Novak",
    "l.ferreira": "Lucas Ferreira",
    "b.adeyemi": "Bola Adeyemi",
}

FIREARMS = [
    # id, kind, caliber, make, model, serial
    ("bf-pistol-1", "blank_firing", "9mm PAK", "Zoraki", "917", "ZK917-40311"),
    ("bf-pistol-2", "blank_firing", "9mm PAK", "Zoraki", "917", "ZK917-40312"),
    ("rev-1", "real_firing", ".38 Special", "Smith & Wesson", "Model 10", "D884512"),
    ("rev-2", "real_firing", ".38 Special", "Smith & Wesson", "Model 10", "D884517"),
    ("ar-1", "real_firing", "5.56 NATO", "Colt", "M4 Carbine (blank adaptor)", "LE6920-118834"),
    ("rubber-1", "rubber", "9mm PAK", "Rubber Gun Co.", "G17 replica", None),
    ("rubber-2", "rubber", "9mm PAK", "Rubber Gun Co.", "G17 replica", None),
    ("nf-m4", "non_firing", "5.56 NATO", "Denix", "M4 non-firing replica", None),
]
LOTS = [
    # id, kind, caliber, count, vendor
    ("blk-9pak-01", "blank", "9mm PAK", 200, "Northline FX"),
    ("blk-38-01", "blank", ".38 Special", 100, "Northline FX"),
    ("blk-556-01", "blank", "5.56 NATO", 120, "Ironhill Blanks"),
    ("dum-38-01", "dummy", ".38 Special", 50, "Ironhill Blanks"),
]
CALIBER = {f[0]: f[2] for f in FIREARMS}
KIND = {f[0]: f[1] for f in FIREARMS}
LOT_OF_CALIBER = {(k, c): lot for lot, k, c, _, _ in LOTS}


class Day:
    def __init__(self) -> None:
        self.clock = datetime.fromisoformat(f"{DAY}T13:00:00")
        self.lines: list[str] = []
        self.on_hand = {lot: n for lot, _, _, n, _ in LOTS}
        self.loaded: dict[str, int] = {}  # firearm -> rounds
        self.issues = 0

    def at(self, hhmm: str) -> None:
        new = datetime.fromisoformat(f"{DAY}T{hhmm}:00")
        assert new >= self.clock, (hhmm, self.clock)
        self.clock = new

    def __call__(self, actor: str, type_: str, step: int = 1, **fields: Any) -> None:
        line: dict[str, Any] = {
            "at": self.clock.isoformat() + OFFSET,
            "actor": actor,
            "type": type_,
        }
        line.update({k.rstrip("_"): v for k, v in fields.items()})
        line["expect"] = {"verdict": "accepted"}
        self.lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        self.clock += timedelta(minutes=step)
        if type_ == "issue":
            self.issues += 1


def setup_lines(d: Day) -> None:
    d(PRODUCER, "open_production", production="demo", title="Night Shift — Ep. 104")
    d(PRODUCER, "add_person", person=PRODUCER, name="Nneka Okafor", roles=["producer"])
    people = [
        (ARMORER, "Rosa Castillo", ["armorer"]),
        (ASSISTANT, "Tomas Brandt", ["assistant_armorer"]),
        (FIRST_AD, "June Whitfield", ["first_ad"]),
        (SAFETY, "Malik Haddad", ["safety_supervisor"]),
        (PROP_MASTER, "Pierre Dubois", ["prop_master"]),
        (CAMERA, "Hana Nakamura", ["crew"]),
    ] + [(pid, name, ["performer"]) for pid, name in PERFORMERS.items()]
    for pid, name, roles in people:
        d(PRODUCER, "add_person", person=pid, name=name, roles=roles)
    d(PRODUCER, "add_credential", person=ARMORER, kind="armorer_license", expires="2026-09-30")
    d(PRODUCER, "add_credential", person=ASSISTANT, kind="armorer_license", expires="2025-11-30")
    for pid in PERFORMERS:
        d(ARMORER, "add_credential", person=pid, kind="firearms_training", expires="2026-01-31")
    d(ARMORER, "register_container", container="safe-a", kind="safe", lockable=True)
    d(ARMORER, "register_container", container="truck-safe", kind="truck_safe", lockable=True)
    d(ARMORER, "register_container", container="case-rifle", kind="case", lockable=True)
    for fid, kind, caliber, make, model, serial in FIREARMS:
        fields: dict[str, Any] = {"firearm": fid, "kind": kind, "caliber": caliber}
        fields.update(make=make, model=model)
        if serial:
            fields["serial"] = serial
        d(ARMORER, "register_firearm", **fields)
    for lot, kind, caliber, count, vendor in LOTS:
        d(ARMORER, "receive_ammo", lot=lot, kind=kind, caliber=caliber, count=count, vendor=vendor)
    d(ARMORER, "inspect_lot", lot="dum-38-01", method="rattle", checked=50, failed=0)
    d(ARMORER, "inspect_lot", lot="dum-38-01", method="drilled_case", checked=50, failed=0)
    # Everything goes into locked storage until the day starts.
    for fid, *_ in FIREARMS:
        container = "case-rifle" if fid in ("ar-1", "nf-m4") else "safe-a"
        d(ARMORER, "secure", firearm=fid, container=container)
    for lot, *_ in LOTS:
        d(ARMORER, "secure", lot=lot, container="truck-safe")


def plan(
    d: Day,
    setup: str,
    scene: str,
    firearms: list[str],
    performers: list[str],
    action: str,
    toward: bool = False,
    distance: float | None = None,
    rehearsal: bool = False,
) -> None:
    fields: dict[str, Any] = {
        "setup": setup,
        "scene": scene,
        "firearms": firearms,
        "performers": performers,
        "action": action,
        "toward_people": toward,
    }
    if distance is not None:
        fields["distance_m"] = distance
    fields.update(shields=action == "fire_blanks", remote_camera=toward, rehearsal=rehearsal)
    d(FIRST_AD, "plan_setup", **fields)
    d(FIRST_AD, "approve_setup", setup=setup)
    d(ARMORER, "approve_setup", setup=setup)


def take(
    d: Day,
    setup: str,
    pairs: list[tuple[str, str]],
    lot_kind: str | None = None,
    load: int = 0,
    fire: int = 0,
    handler: str = ARMORER,
) -> None:
    """One take: (verify, load), witnessed issue, (fire), return, (unload)."""
    if lot_kind:
        for fid, _ in pairs:
            lot = LOT_OF_CALIBER[(lot_kind, CALIBER[fid])]
            d(
                handler,
                "verify_rounds",
                lot=lot,
                count=load,
                method="visual" if lot_kind == "blank" else "rattle",
            )
            d(handler, "load", firearm=fid, lot=lot, rounds=load)
            d.on_hand[lot] -= load
            d.loaded[fid] = load
    for fid, performer in pairs:
        d(
            handler,
            "issue",
            firearm=fid,
            to=performer,
            setup=setup,
            shown=True,
            witnesses=[performer, FIRST_AD],
        )
    d.clock += timedelta(minutes=2)  # rolling
    if fire:
        for fid, _ in pairs:
            d(SAFETY, "discharge", firearm=fid, planned=True, rounds=fire)
            d.loaded[fid] -= fire
    for fid, performer in pairs:
        d(handler, "return", firearm=fid, from_=performer)
    for fid, _ in pairs:
        if d.loaded.get(fid):
            d(handler, "unload", firearm=fid)
            lot = LOT_OF_CALIBER[(lot_kind or "", CALIBER[fid])]
            d.on_hand[lot] += d.loaded.pop(fid)
        else:
            d.loaded.pop(fid, None)
    d.clock += timedelta(minutes=2)  # reset


def fetch(d: Day, who: str, firearms: list[str], lots: tuple[str, ...] = ()) -> None:
    for fid in firearms:
        container = "case-rifle" if fid in ("ar-1", "nf-m4") else "safe-a"
        d(who, "retrieve", firearm=fid, container=container)
    for lot in lots:
        d(who, "retrieve", lot=lot, container="truck-safe")


def stow(d: Day, who: str, firearms: list[str], lots: tuple[str, ...] = ()) -> None:
    for fid in firearms:
        container = "case-rifle" if fid in ("ar-1", "nf-m4") else "safe-a"
        d(who, "secure", firearm=fid, container=container)
    for lot in lots:
        d(who, "secure", lot=lot, container="truck-safe")


def main() -> None:
    d = Day()
    setup_lines(d)
    d.at("14:30")
    d(PRODUCER, "start_day", day=DAY, armorer=ARMORER, assistant_armorer=ASSISTANT)
    everyone = [PRODUCER, ARMORER, ASSISTANT, SAFETY, PROP_MASTER, CAMERA, *PERFORMERS]
    d(FIRST_AD, "safety_meeting", step=20, attendees=everyone)

    # 104-09: dry fire with an empty revolver (show-clear), the assistant handling.
    d.at("15:00")
    plan(
        d,
        "104-09",
        "Ext. parking garage — Osei checks the cylinder",
        ["rev-1"],
        ["d.osei"],
        "dry_fire",
    )
    fetch(d, ASSISTANT, ["rev-1"])
    for _ in range(3):
        take(d, "104-09", [("rev-1", "d.osei")], handler=ASSISTANT)

    # 104-12A: background display with rubber and non-firing replicas.
    plan(
        d,
        "104-12A",
        "Ext. garage roof — patrol in the background",
        ["rubber-1", "rubber-2", "nf-m4"],
        ["a.moreno", "k.lindqvist", "b.adeyemi"],
        "display",
    )
    fetch(d, ARMORER, ["rubber-1", "rubber-2", "nf-m4"])
    for _ in range(2):
        take(
            d,
            "104-12A",
            [("rubber-1", "a.moreno"), ("rubber-2", "k.lindqvist"), ("nf-m4", "b.adeyemi")],
        )
    d(FIRST_AD, "complete_setup", setup="104-12A")
    d(FIRST_AD, "complete_setup", setup="104-09")
    stow(d, ARMORER, ["nf-m4"])

    # 104-14: revolver with dummies pointed toward a remote camera (show-load).
    plan(
        d,
        "104-14",
        "Ext. garage — Osei covers the stairwell (dummies)",
        ["rev-1"],
        ["d.osei"],
        "point",
        toward=True,
        distance=2.5,
    )
    fetch(d, ARMORER, [], ("dum-38-01",))
    for _ in range(3):
        take(d, "104-14", [("rev-1", "d.osei")], lot_kind="dummy", load=6, handler=ARMORER)
    d(FIRST_AD, "complete_setup", setup="104-14")
    # rev-1 held dummies: the barrel is inspected before it sees blanks later.
    d(ARMORER, "inspect_firearm", firearm="rev-1", barrel_clear=True)
    stow(d, ARMORER, ["rev-1"], ("dum-38-01",))

    # 104-17R: rehearsal of the shoot-out with rubber replicas.
    plan(
        d,
        "104-17R",
        "Ext. garage level 2 — shoot-out, rehearsal",
        ["rubber-1", "rubber-2"],
        ["s.park", "e.novak"],
        "point",
        rehearsal=True,
    )
    for _ in range(2):
        take(d, "104-17R", [("rubber-1", "s.park"), ("rubber-2", "e.novak")])
    d(FIRST_AD, "complete_setup", setup="104-17R")
    stow(d, ARMORER, ["rubber-1", "rubber-2"])

    # 104-17: the shoot-out with blank-firing pistols, toward people at 8 m behind shields.
    plan(
        d,
        "104-17",
        "Ext. garage level 2 — Park and Novak exchange fire",
        ["bf-pistol-1", "bf-pistol-2"],
        ["s.park", "e.novak"],
        "fire_blanks",
        toward=True,
        distance=8.0,
    )
    fetch(d, ARMORER, ["bf-pistol-1", "bf-pistol-2"], ("blk-9pak-01",))
    for n in range(7):
        take(
            d,
            "104-17",
            [("bf-pistol-1", "s.park"), ("bf-pistol-2", "e.novak")],
            lot_kind="blank",
            load=8,
            fire=5 + n % 3,
        )
    d(FIRST_AD, "complete_setup", setup="104-17")
    stow(d, ARMORER, ["bf-pistol-1", "bf-pistol-2"], ("blk-9pak-01",))

    # Meal break: everything is already locked; the check at the deadline finds nothing out.
    d(FIRST_AD, "call_break", step=15, kind="meal")
    d(SAFETY, "tick", step=30)
    d(FIRST_AD, "end_break")

    # 104-18: the rifle fires blanks into the dark, away from people (assistant handling).
    plan(
        d,
        "104-18",
        "Ext. garage roof — Ferreira lays down cover fire",
        ["ar-1"],
        ["l.ferreira"],
        "fire_blanks",
    )
    fetch(d, ASSISTANT, ["ar-1"], ("blk-556-01",))
    for n in range(6):
        take(
            d,
            "104-18",
            [("ar-1", "l.ferreira")],
            lot_kind="blank",
            load=10,
            fire=10 - n % 2,
            handler=ASSISTANT,
        )
    d(FIRST_AD, "complete_setup", setup="104-18")
    stow(d, ASSISTANT, ["ar-1"], ("blk-556-01",))

    # 104-21: two revolvers with blanks toward people at 7 m, shields and a remote camera.
    plan(
        d,
        "104-21",
        "Ext. garage exit — Adeyemi and Moreno fire at the fleeing van",
        ["rev-1", "rev-2"],
        ["b.adeyemi", "a.moreno"],
        "fire_blanks",
        toward=True,
        distance=7.0,
    )
    fetch(d, ARMORER, ["rev-1", "rev-2"], ("blk-38-01",))
    for n in range(5):
        take(
            d,
            "104-21",
            [("rev-1", "b.adeyemi"), ("rev-2", "a.moreno")],
            lot_kind="blank",
            load=5,
            fire=3 + n % 3,
        )
    d(FIRST_AD, "complete_setup", setup="104-21")
    stow(d, ARMORER, ["rev-1", "rev-2"], ("blk-38-01",))

    # 104-23: display, the assistant handing out the replicas.
    plan(
        d,
        "104-23",
        "Ext. street — aftermath, replicas holstered",
        ["nf-m4", "rubber-1"],
        ["k.lindqvist", "s.park"],
        "display",
    )
    fetch(d, ASSISTANT, ["nf-m4", "rubber-1"])
    for _ in range(3):
        take(d, "104-23", [("nf-m4", "k.lindqvist"), ("rubber-1", "s.park")], handler=ASSISTANT)
    d(FIRST_AD, "complete_setup", setup="104-23")
    stow(d, ASSISTANT, ["nf-m4", "rubber-1"])

    # Everything is locked and cold: the armorer can take on other work; then wrap.
    d(PRODUCER, "assign_task", person=ARMORER, task="clean and log every firearm")
    d(ARMORER, "wrap_day", counts=dict(d.on_hand))

    assert not d.loaded, d.loaded
    assert d.clock.date().isoformat() == DAY, d.clock
    assert d.issues >= 50, d.issues
    sys.stdout.write("\n".join(d.lines) + "\n")


if __name__ == "__main__":
    main()
