"""The web demo: production `demo`, a running day dated today, and documented demo PINs.

Seeded through the real domain (every line is decided by the rules; a refused seed line is a
bug and stops the seeding), so the board shows what a well-run morning looks like. The demo
opens like any new production, with the safety switches of rules V and F on, so its morning
has what they ask for: two approved vendors, rented firearms due back next week, the police
told of today's blank fire well ahead, each firearm's barrel checked after the day started, a
safety meeting held, a blank-fire setup with PPE, a medic and a written risk assessment, two
more approved setups and one still waiting for the 1st AD, a dummy lot inspected, blanks
verified, everything with the armorer on duty.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from showclear.app.application import Application
from showclear.app.new_production import opening_commands
from showclear.app.signin import Auth

DEMO = "demo"

# person, name, roles, PIN (demo only: printed by `showclear serve --demo` and in the README)
PEOPLE: list[tuple[str, str, list[str], str]] = [
    ("prod", "Pat Producer", ["producer"], "1001"),
    ("arm", "Alex Armorer", ["armorer"], "2002"),
    ("ad", "Dana First-AD", ["first_ad"], "3003"),
    ("safety", "Sam Safety", ["safety_supervisor"], "4004"),
    ("lead", "Lee Lead", ["performer"], "5005"),
    ("villain", "Val Villain", ["performer"], "6006"),
    ("crew", "Chris Crew", ["crew"], "7007"),
    ("medic", "Mo Medic", ["medic"], "8008"),
]
# The written risk assessment for the blank-fire setup: its SHA-256 and its controls (SC-F04).
RISK_ASSESSMENT = {
    "sha256": "5f2b8c1e0d9a4b7c6e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",
    "controls": "Quarter-load blanks; 6 m exclusion zone; shield for the camera operator; "
    "hearing and eye protection for everyone in range; medic on set.",
}
# How long before the end of the seeded morning the police were told (SC-F02 asks 30 min).
NOTICE_AHEAD_MINUTES = 45
PINS = {pid: pin for pid, _, _, pin in PEOPLE}


def seed_lines(now: datetime) -> Iterator[dict[str, Any]]:
    """The demo morning, one command a minute, ending a little before `now`."""
    today = now.date().isoformat()
    valid = (now.date() + timedelta(days=365)).isoformat()
    due_back = (now.date() + timedelta(days=7)).isoformat()
    producer, producer_name = PEOPLE[0][0], PEOPLE[0][1]
    opening = opening_commands(DEMO, "Night Shift (demo)", producer, producer_name)
    lines: list[dict[str, Any]] = [
        *opening,
        *(
            {"actor": "prod", "type": "add_person", "person": pid, "name": name, "roles": roles}
            for pid, name, roles, _ in PEOPLE[1:]
        ),
        {
            "actor": "prod",
            "type": "add_credential",
            "person": "arm",
            "kind": "armorer_license",
            "expires": valid,
        },
        {
            "actor": "arm",
            "type": "add_credential",
            "person": "lead",
            "kind": "firearms_training",
            "expires": valid,
        },
        {
            "actor": "arm",
            "type": "add_credential",
            "person": "villain",
            "kind": "firearms_training",
            "expires": valid,
        },
        {
            "actor": "prod",
            "type": "approve_vendor",
            "vendor": "acme-props",
            "name": "Acme Prop House",
            "licence": "FFL 9-95-037-01-2D-04418",
            "licence_expires": valid,
            "agreed_by": "arm",
        },
        {
            "actor": "prod",
            "type": "approve_vendor",
            "vendor": "blankco",
            "name": "Blankco Theatrical Supply",
            "licence": "FFL 5-77-001-07-4A-00912",
            "licence_expires": valid,
            "agreed_by": "arm",
        },
        {
            "actor": "arm",
            "type": "register_container",
            "container": "safe1",
            "kind": "safe",
            "lockable": True,
        },
        {
            "actor": "arm",
            "type": "register_container",
            "container": "cart",
            "kind": "cart",
            "lockable": False,
        },
        {
            "actor": "arm",
            "type": "register_firearm",
            "firearm": "colt45",
            "kind": "blank_firing",
            "caliber": ".45 Colt",
            "make": "Uberti",
            "model": "1873 SAA",
            "serial": "U45-1001",
            "vendor": "acme-props",
            "invoice": "ACME-2417",
            "due_back": due_back,
            "class": "handgun",
        },
        {
            "actor": "arm",
            "type": "register_firearm",
            "firearm": "g17",
            "kind": "blank_firing",
            "caliber": "9mm PAK",
            "make": "Glock",
            "model": "17 blank conversion",
            "serial": "GBK-0017",
            "vendor": "acme-props",
            "invoice": "ACME-2417",
            "due_back": due_back,
            "class": "handgun",
        },
        {
            "actor": "arm",
            "type": "register_firearm",
            "firearm": "rubber-ar",
            "kind": "rubber",
            "caliber": "n/a",
            "make": "Prop shop",
            "model": "AR rubber",
            "vendor": "acme-props",
            "invoice": "ACME-2417",
            "due_back": due_back,
        },
        {
            "actor": "arm",
            "type": "receive_ammo",
            "lot": "dummy45",
            "kind": "dummy",
            "caliber": ".45 Colt",
            "count": 50,
            "vendor": "acme-props",
            "invoice": "ACME-2417",
        },
        {
            "actor": "arm",
            "type": "inspect_lot",
            "lot": "dummy45",
            "method": "rattle",
            "checked": 50,
            "failed": 0,
        },
        {
            "actor": "arm",
            "type": "receive_ammo",
            "lot": "blank9",
            "kind": "blank",
            "caliber": "9mm PAK",
            "count": 100,
            "vendor": "blankco",
            "invoice": "BC-5510",
        },
        {
            "actor": "ad",
            "type": "record_notification",
            "day": today,
            "agency": "police",
            "reference": "PD-FILM-NOTICE-0042",
            "officer": "Sgt. Ruiz",
        },
        {"actor": "arm", "type": "start_day", "day": today, "armorer": "arm"},
        {"actor": "arm", "type": "inspect_firearm", "firearm": "colt45", "barrel_clear": True},
        {"actor": "arm", "type": "inspect_firearm", "firearm": "g17", "barrel_clear": True},
        {
            "actor": "ad",
            "type": "safety_meeting",
            "attendees": ["arm", "ad", "safety", "lead", "villain", "crew", "medic"],
        },
        {
            "actor": "ad",
            "type": "plan_setup",
            "setup": "sc12-saloon",
            "scene": "12",
            "firearms": ["colt45"],
            "performers": ["lead"],
            "action": "display",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
        {"actor": "arm", "type": "approve_setup", "setup": "sc12-saloon"},
        {"actor": "ad", "type": "approve_setup", "setup": "sc12-saloon"},
        {
            "actor": "ad",
            "type": "plan_setup",
            "setup": "sc14-alley",
            "scene": "14",
            "firearms": ["g17"],
            "performers": ["villain"],
            "action": "fire_blanks",
            "toward_people": False,
            "shields": True,
            "remote_camera": False,
            "rehearsal": False,
            "ppe": True,
            "medic": "medic",
            "risk_assessment": RISK_ASSESSMENT,
        },
        {"actor": "arm", "type": "approve_setup", "setup": "sc14-alley"},
        {"actor": "ad", "type": "approve_setup", "setup": "sc14-alley"},
        {
            "actor": "arm",
            "type": "plan_setup",
            "setup": "sc20-roof",
            "scene": "20",
            "firearms": ["rubber-ar"],
            "performers": ["lead"],
            "action": "point",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": True,
        },
        {"actor": "arm", "type": "approve_setup", "setup": "sc20-roof"},
        {"actor": "arm", "type": "verify_rounds", "lot": "blank9", "count": 12, "method": "visual"},
        {"actor": "arm", "type": "secure", "lot": "dummy45", "container": "safe1"},
    ]
    # One line a minute, and the police notice NOTICE_AHEAD_MINUTES before the end, so that
    # blanks can be loaded as soon as the demo opens.
    notice = next(i for i, line in enumerate(lines) if line["type"] == "record_notification")
    start = now - timedelta(minutes=max(len(lines), notice + NOTICE_AHEAD_MINUTES) + 5)
    for i, line in enumerate(lines):
        yield {**line, "at": (start + timedelta(minutes=i)).isoformat(timespec="seconds")}


def seed(app: Application, now: datetime) -> int:
    """Run the demo morning through the application; returns the number of commands."""
    count = 0
    for raw in seed_lines(now):
        answer = app.replay(DEMO, raw)
        if answer.verdict != "accepted":
            raise RuntimeError(f"demo seed refused {raw['type']}: {answer.message}")
        count += 1
    return count


def ensure_demo(app: Application, auth: Auth) -> list[tuple[str, str, str, str]]:
    """Seed `demo` unless the store has it; give each demo person without a PIN their demo PIN.

    Returns (person, name, roles, PIN) for the sign-in help that `serve --demo` prints.
    """
    if DEMO not in [p for p, _ in app.productions()]:
        seed(app, app.clock())
    state = app.state(DEMO)
    have = auth.people_with_pins(DEMO)
    rows = []
    for pid, name, _, pin in PEOPLE:
        if pid not in state.people:
            continue
        if pid not in have:
            auth.set_pin(DEMO, pid, pin, set_by="demo")
        rows.append((pid, name, ", ".join(sorted(state.people[pid].roles)), pin))
    return rows
