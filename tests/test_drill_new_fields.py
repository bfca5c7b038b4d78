"""Bad input in the new fields, through a drill run into a SQLite store: each malformed line
names its field and records nothing; an unknown vendor or medic is a recorded refusal citing
SC-V01 or SC-R02 (DRILLS.md, "Exact semantics")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.views.envelopes import envelopes

ROOT = Path(__file__).resolve().parents[1]
SHOWCLEAR = str(Path(sys.executable).parent / "showclear")
OPENING = 16  # rental-production.jsonl up to the vendors' approval: people, licences, a safe
AT = "2025-02-03T05:{:02d}:30+00:00"

FIREARM = {"actor": "d.mercer", "type": "register_firearm", "firearm": "r1",
           "kind": "blank_firing", "caliber": ".38 Special", "vendor": "acme-props"}  # fmt: skip
SETUP = {"actor": "f.kowalski", "type": "plan_setup", "setup": "s1", "scene": "1",
         "firearms": ["r1"], "performers": ["o.hughes"], "action": "fire_blanks",
         "toward_people": False, "shields": True, "remote_camera": False,
         "rehearsal": False}  # fmt: skip
MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({**FIREARM, "due_back": "next week"}, "due_back"),
    ({**FIREARM, "class": "cannon"}, "class"),
    ({**FIREARM, "invoice": 7}, "invoice"),
    (
        {
            "actor": "h.grant",
            "type": "approve_vendor",
            "vendor": "v",
            "name": "V",
            "licence": "L",
            "licence_expires": "2026-02-30",
            "agreed_by": "d.mercer",
        },
        "licence_expires",
    ),
    ({"actor": "d.mercer", "type": "dispose", "firearm": "r1", "how": "sold", "to": "x"}, "how"),
    (
        {
            "actor": "d.mercer",
            "type": "dispose",
            "lot": "none",
            "how": "destroyed",
            "witness": "r.adebayo",
            "count": 1,
        },
        "lot",
    ),
    (
        {
            "actor": "h.grant",
            "type": "record_notification",
            "day": "2025-02-03",
            "agency": "sheriff",
            "reference": "x",
        },
        "agency",
    ),
    ({**SETUP, "ppe": "yes"}, "ppe"),
    ({**SETUP, "risk_assessment": {"sha256": "00", "controls": "c"}}, "risk_assessment.sha256"),
    ({**SETUP, "risk_assessment": {"sha256": "a" * 64}}, "risk_assessment.controls"),
    (
        {
            "actor": "h.grant",
            "type": "add_credential",
            "person": "d.mercer",
            "kind": "armorer_license",
            "expires": "2027-12-31",
            "classes": ["tank"],
        },
        "classes[0]",
    ),
]


def _run(tmp: Path, name: str, lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Path]:
    drill = tmp / f"{name}.jsonl"
    drill.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    db = tmp / f"{name}.db"
    r = subprocess.run([SHOWCLEAR, "drill", "run", drill, "--json", "--db", db],
                       capture_output=True, text=True, check=False)  # fmt: skip
    verdicts = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    return verdicts, db


def _events(db: Path) -> list[dict[str, Any]]:
    store = SQLiteEventStore(db)
    try:
        return envelopes(store, "north-light")
    finally:
        store.close()


def _opening() -> list[dict[str, Any]]:
    text = (ROOT / "drills" / "rental-production.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(x) for x in text.splitlines() if x.strip()][: OPENING + 2]
    for line in lines:
        line.pop("expect", None)
    return lines


def test_malformed_new_fields_name_the_field_and_record_nothing(tmp_path: Path) -> None:
    opening = _opening()
    bad = [{**line, "at": AT.format(40 + i)} for i, (line, _) in enumerate(MALFORMED)]
    verdicts, db = _run(tmp_path, "bad", opening + bad)
    clean_verdicts, clean_db = _run(tmp_path, "clean", opening)
    assert [v["verdict"] for v in clean_verdicts] == ["accepted"] * len(opening)
    errors = verdicts[len(opening) :]
    assert len(errors) == len(MALFORMED)
    for v, (_, field) in zip(errors, MALFORMED, strict=True):
        assert v["verdict"] == "error", v
        assert f"field '{field}'" in v["message"], (field, v["message"])
    # Nothing recorded from any of them: the same events as the run without them.
    assert [(e["type"], e["data"]) for e in _events(db)] == [
        (e["type"], e["data"]) for e in _events(clean_db)
    ]


def test_unknown_vendor_and_medic_are_recorded_refusals(tmp_path: Path) -> None:
    opening = _opening()
    day = [
        {**FIREARM, "at": AT.format(40), "vendor": "gunshop-employee"},
        {**FIREARM, "at": AT.format(41)},
        {
            "actor": "d.mercer",
            "type": "start_day",
            "day": "2025-02-03",
            "armorer": "d.mercer",
            "at": AT.format(42),
        },
        {**SETUP, "at": AT.format(43), "medic": "dr-nobody", "ppe": True},
        {
            "actor": "d.mercer",
            "type": "dispose",
            "firearm": "r1",
            "how": "returned",
            "to": "gunshop-employee",
            "at": AT.format(44),
        },
    ]
    verdicts, db = _run(tmp_path, "unknown", opening + day)
    got = [(v["verdict"], v["rules"]) for v in verdicts[len(opening) :]]
    assert got == [
        ("refused", ["SC-V01"]),
        ("accepted", []),
        ("accepted", []),
        ("refused", ["SC-R02"]),
        ("refused", ["SC-V01"]),
    ]
    refused = [e for e in _events(db) if e["type"] == "command_refused"]
    assert [r["data"]["command"]["type"] for r in refused] == [
        "register_firearm",
        "plan_setup",
        "dispose",
    ]
