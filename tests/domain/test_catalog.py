"""The rule catalog as code, the purity of the core, and the DRILLS.md "Rust" example."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import showclear.domain
from showclear.domain.rules import REGISTRY, load_all
from showclear.drills import DrillRun, summary

# RULES.md, every ID with its severity (IDs are stable: never renumbered, never reused).
CATALOG = {
    "SC-A01": "BLOCK",
    "SC-A02": "ALERT",
    "SC-A03": "BLOCK",
    "SC-A04": "BLOCK",
    "SC-A05": "BLOCK",
    "SC-A06": "BLOCK",
    "SC-A07": "BLOCK",
    "SC-A08": "ALERT",
    "SC-C01": "BLOCK",
    "SC-C02": "BLOCK",
    "SC-C03": "BLOCK",
    "SC-C04": "BLOCK",
    "SC-C05": "BLOCK",
    "SC-C06": "BLOCK",
    "SC-C07": "ALERT",
    "SC-C08": "ALERT",
    "SC-C09": "BLOCK",
    "SC-C10": "BLOCK",
    "SC-C11": "BLOCK",
    "SC-P01": "BLOCK",
    "SC-P02": "GUARD",
    "SC-P03": "BLOCK",
    "SC-P04": "GUARD",
    "SC-P05": "BLOCK",
    "SC-S01": "BLOCK",
    "SC-S02": "BLOCK",
    "SC-S03": "ALERT",
    "SC-S04": "BLOCK",
    "SC-S05": "BLOCK",
    "SC-S06": "GUARD",
    "SC-M01": "BLOCK",
    "SC-M02": "GUARD",
    "SC-M03": "BLOCK",
    "SC-R01": "BLOCK",
    "SC-R02": "BLOCK",
    "SC-R03": "BLOCK",
    "SC-R04": "BLOCK",
    "SC-R05": "BLOCK",
}

# Properties of the record rather than checks on a command: SC-R01 (corrections append) and
# SC-R03 (refusals recorded) are tested in test_records.py; SC-R04 with the ledger.
NOT_A_CHECK = {"SC-R01", "SC-R03", "SC-R04"}

GUARD_OVERRIDERS = {
    "SC-P02": {frozenset({"armorer"}), frozenset({"safety_supervisor"})},
    "SC-P04": {frozenset({"armorer"})},
    "SC-S06": {frozenset({"producer"})},
    "SC-M02": {frozenset({"armorer"})},
}


def test_every_rule_id_has_a_registered_rule() -> None:
    load_all()
    registered = {r.id for r in REGISTRY}
    missing = sorted(set(CATALOG) - NOT_A_CHECK - registered)
    assert missing == [], f"rules in RULES.md with no registered rule: {missing}"
    assert registered <= set(CATALOG), "a registered rule ID that RULES.md does not define"


# RULES.md: SC-S06 is a GUARD rule on start_day whose overdue concern "alerts producers (ALERT)".
ALERT_PARTS = {"SC-S06"}


def test_registered_severity_matches_the_catalog() -> None:
    load_all()
    for r in REGISTRY:
        if r.severity == "ALERT" and r.id in ALERT_PARTS:
            continue
        assert r.severity == CATALOG[r.id], r.id


def test_guard_rules_name_who_may_override() -> None:
    load_all()
    guards = {r.id: set(r.override_roles) for r in REGISTRY if r.severity == "GUARD"}
    assert guards == GUARD_OVERRIDERS


def test_every_registered_rule_applies_to_a_known_command() -> None:
    from showclear.domain.commands import COMMANDS, EXTRA_COMMANDS

    load_all()
    known = set(COMMANDS) | set(EXTRA_COMMANDS)
    for r in REGISTRY:
        assert r.commands <= known, r.id


FORBIDDEN = {"sqlite3", "psycopg", "psycopg2", "fastapi", "typer", "jinja2", "rich"}


def test_domain_imports_no_io_or_framework() -> None:
    root = Path(showclear.domain.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 5
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(root)}:{node.lineno} imports {name}")
    assert offenders == []


RUST = """\
{"at":"2021-10-21T06:30:00-06:00","actor":"prod","type":"open_production","production":"rust","title":"Rust"}
{"at":"2021-10-21T06:31:00-06:00","actor":"prod","type":"add_person","person":"prod","name":"Producer","roles":["producer"]}
{"at":"2021-10-21T06:32:00-06:00","actor":"prod","type":"add_person","person":"arm","name":"Armorer","roles":["armorer","prop_master"]}
{"at":"2021-10-21T06:33:00-06:00","actor":"prod","type":"add_person","person":"ad","name":"1st AD","roles":["first_ad","safety_supervisor"]}
{"at":"2021-10-21T06:34:00-06:00","actor":"prod","type":"add_person","person":"lead","name":"Lead actor","roles":["performer"]}
{"at":"2021-10-21T06:35:00-06:00","actor":"arm","type":"register_firearm","firearm":"colt45","kind":"real_firing","caliber":".45 Colt"}
{"at":"2021-10-21T06:36:00-06:00","actor":"arm","type":"receive_ammo","lot":"box1","kind":"dummy","caliber":".45 Colt","count":50,"vendor":"vendor-a"}
{"at":"2021-10-21T06:37:00-06:00","actor":"arm","type":"register_container","container":"cart","kind":"cart","lockable":false}
{"at":"2021-10-21T07:00:00-06:00","actor":"arm","type":"start_day","day":"2021-10-21","armorer":"arm","expect":{"verdict":"refused","rules":["SC-M01"]}}
{"at":"2021-10-21T12:30:00-06:00","actor":"arm","type":"secure","lot":"box1","container":"cart","expect":{"verdict":"refused","rules":["SC-C05"]}}
{"at":"2021-10-21T13:00:00-06:00","actor":"arm","type":"load","firearm":"colt45","lot":"box1","rounds":6,"expect":{"verdict":"refused","rules":["SC-A03"]}}
{"at":"2021-10-21T13:05:00-06:00","actor":"ad","type":"issue","firearm":"colt45","to":"lead","setup":"church-1","shown":false,"witnesses":[],"expect":{"verdict":"refused","rules":["SC-C01","SC-C03"]}}
"""  # noqa: E501


def test_the_rust_day_from_drills_md_is_stopped() -> None:
    results = list(DrillRun().run(RUST.splitlines()))
    assert summary(results) == (4, 0), [r.mismatch for r in results if r.passed is False]
    for r in results:
        if r.verdict == "refused":
            for rule in r.rules:
                assert rule in r.message
    json.dumps([r.as_json() for r in results])  # the --json output is serialisable
