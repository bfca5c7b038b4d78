"""The web demo: production `demo`, a running day dated today, and documented demo PINs.

Seeded through the real domain (every line is decided by the rules; a refused seed line is a
bug and stops the seeding), so the board shows what a well-run morning looks like: a safety
meeting held, two approved setups, one setup still waiting for the 1st AD, a dummy lot
inspected, blanks verified, everything with the armorer on duty.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from showclear.api.auth import Auth
from showclear.api.runtime import Runtime
from showclear.domain import parse_command
from showclear.service import Service

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
]
PINS = {pid: pin for pid, _, _, pin in PEOPLE}


def seed_lines(now: datetime) -> Iterator[dict[str, Any]]:
    """The demo morning, one command a minute, ending a little before `now`."""
    today = now.date().isoformat()
    valid = (now.date() + timedelta(days=365)).isoformat()
    lines: list[dict[str, Any]] = [
        {
            "actor": "prod",
            "type": "open_production",
            "production": DEMO,
            "title": "Night Shift (demo)",
        },
        *(
            {"actor": "prod", "type": "add_person", "person": pid, "name": name, "roles": roles}
            for pid, name, roles, _ in PEOPLE
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
        },
        {
            "actor": "arm",
            "type": "register_firearm",
            "firearm": "rubber-ar",
            "kind": "rubber",
            "caliber": "n/a",
            "make": "Prop shop",
            "model": "AR rubber",
        },
        {
            "actor": "arm",
            "type": "receive_ammo",
            "lot": "dummy45",
            "kind": "dummy",
            "caliber": ".45 Colt",
            "count": 50,
            "vendor": "acme-props",
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
        },
        {"actor": "arm", "type": "start_day", "day": today, "armorer": "arm"},
        {
            "actor": "ad",
            "type": "safety_meeting",
            "attendees": ["arm", "ad", "safety", "lead", "villain", "crew"],
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
    start = now - timedelta(minutes=len(lines) + 5)
    for i, line in enumerate(lines):
        yield {**line, "at": (start + timedelta(minutes=i)).isoformat(timespec="seconds")}


def seed(service: Service, now: datetime) -> int:
    """Run the demo morning through the service; returns the number of commands."""
    count = 0
    for raw in seed_lines(now):
        cmd = parse_command(raw)
        outcome = service.execute(DEMO, cmd)
        if outcome.verdict != "accepted":
            raise RuntimeError(f"demo seed refused {raw['type']}: {outcome.message}")
        count += 1
    return count


def ensure_demo(runtime: Runtime, auth: Auth) -> list[tuple[str, str, str, str]]:
    """Seed `demo` unless the store has it; give each demo person without a PIN their demo PIN.

    Returns (person, name, roles, PIN) for the sign-in help that `serve --demo` prints.
    """
    if DEMO not in runtime.call(runtime.store.productions):
        runtime.call(seed, runtime.service, runtime.clock())
    state = runtime.call(runtime.state, DEMO)
    have = auth.people_with_pins(DEMO)
    rows = []
    for pid, name, _, pin in PEOPLE:
        if pid not in state.people:
            continue
        if pid not in have:
            auth.set_pin(DEMO, pid, pin, set_by="demo")
        rows.append((pid, name, ", ".join(sorted(state.people[pid].roles)), pin))
    return rows
