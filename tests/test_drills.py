"""The drills in drills/ run through the CLI, as DRILLS.md defines the format.

Every drill except malformed.jsonl must pass in full: exit status 0 and a last line
"N passed, 0 failed" where N is the number of lines carrying an `expect`. The expectations in
the drills were written from RULES.md and DRILLS.md ("Exact semantics"), not from the code.
malformed.jsonl is meant to fail: its malformed lines print "error" and count as failed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from showclear.cli import app
from showclear.domain.rules.catalog import CATALOG, RECORD_PROPERTIES

ROOT = Path(__file__).resolve().parents[1]
DRILLS = ROOT / "drills"
MALFORMED = DRILLS / "malformed.jsonl"
ALL_DRILLS = sorted(DRILLS.glob("*.jsonl"))
PASSING_DRILLS = [p for p in ALL_DRILLS if p != MALFORMED]
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")

# Properties of the record, never cited by a verdict, so no drill line can expect them:
# SC-R01 (append-only; corrections are an app command, not a drill line), SC-R03 (a refusal
# is recorded: checked below on a SQLite store) and SC-R04 (the ledger: `showclear verify`).
NOT_CITED_BY_VERDICTS = RECORD_PROPERTIES

runner = CliRunner()


def rule_catalog() -> list[str]:
    """Every rule ID of the project's own generated catalog, docs/rules.md (tests/test_docs.py
    keeps it equal to the registry it is generated from), checked against that registry."""
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    ids = re.findall(r"^\| (SC-[A-Z]\d\d) \|", text, flags=re.MULTILINE)
    assert len(ids) == len(set(ids)), "a rule ID listed twice in docs/rules.md"
    assert sorted(ids) == sorted(CATALOG), "docs/rules.md is stale: run scripts/rules_doc.py"
    return sorted(ids)


def drill_lines(path: Path) -> list[tuple[int, dict[str, Any] | None]]:
    """(line number, parsed object or None when it is not a JSON object), blank lines skipped."""
    out: list[tuple[int, dict[str, Any] | None]] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            obj = None
        out.append((number, obj if isinstance(obj, dict) else None))
    return out


def expectations(path: Path) -> dict[int, dict[str, Any]]:
    return {
        n: obj["expect"]
        for n, obj in drill_lines(path)
        if obj is not None and isinstance(obj.get("expect"), dict)
    }


def run_drill(path: Path, *extra: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run `showclear drill run PATH --json`; return exit code, per-line results, summary."""
    result = runner.invoke(app, ["drill", "run", str(path), "--json", *extra])
    lines = result.stdout.strip().splitlines()
    assert lines, result.output
    return result.exit_code, [json.loads(line) for line in lines[:-1]], lines[-1]


@pytest.mark.parametrize("path", PASSING_DRILLS, ids=lambda p: p.name)
def test_drill_passes(path: Path) -> None:
    code, results, last = run_drill(path)
    expected = expectations(path)
    failures = []
    for r in results:
        exp = expected.get(r["line"])
        if r["verdict"] == "error":
            failures.append(f"line {r['line']}: malformed: {r['message']}")
        elif exp is not None and (
            r["verdict"] != exp["verdict"]
            or (exp["verdict"] == "refused" and not set(exp.get("rules", [])) <= set(r["rules"]))
            or not set(exp.get("alerts", [])) <= set(r["alerts"])
        ):
            failures.append(f"line {r['line']} {r['type']}: expected {exp}, got {r}")
    assert not failures, "\n".join(failures)
    assert last == f"{len(expected)} passed, 0 failed"
    assert code == 0
    # Every non-blank line gets exactly one verdict, numbered by physical line.
    assert [r["line"] for r in results] == [n for n, _ in drill_lines(path)]


@pytest.mark.parametrize("path", ALL_DRILLS, ids=lambda p: p.name)
def test_drill_file_format(path: Path) -> None:
    """DRILLS.md line format: time with offset never going backwards, a known first line."""
    lines = drill_lines(path)
    objs = [obj for _, obj in lines if obj is not None and "at" in obj and "actor" in obj]
    if path != MALFORMED:
        assert all(obj is not None for _, obj in lines), "every line is a JSON object"
        assert objs[0]["type"] == "open_production"
        stamps = [obj["at"] for obj in objs]
        assert all(re.search(r"[+-]\d\d:\d\d$", at) for at in stamps), "times carry an offset"
        times = [datetime.fromisoformat(at) for at in stamps]
        assert times == sorted(times), "time never goes backwards"
        assert sum("expect" in obj for obj in objs) >= len(objs) // 2, "many lines expect"


def test_nonsense_refusals_cite_no_rule() -> None:
    """A line expecting a refusal with an explicit empty `rules` is a command that makes no
    sense in the state (DRILLS.md): it must be refused citing no rule at all."""
    checked = 0
    for path in ALL_DRILLS:
        nonsense = {
            n
            for n, e in expectations(path).items()
            if e["verdict"] == "refused" and e.get("rules") == []
        }
        if not nonsense:
            continue
        _, results, _ = run_drill(path)
        for r in results:
            if r["line"] in nonsense:
                assert r["verdict"] == "refused" and r["rules"] == [], (path.name, r)
                assert r["message"], (path.name, r)
                checked += 1
    assert checked >= 15


def test_there_are_enough_drills() -> None:
    assert len(ALL_DRILLS) >= 12
    names = {p.name for p in ALL_DRILLS}
    for required in (
        "rust-day.jsonl",
        "action-day.jsonl",
        "squib-1993.jsonl",
        "contact-blank-1984.jsonl",
        "malformed.jsonl",
        "multi-day.jsonl",
    ):
        assert required in names


def test_every_rule_is_exercised_by_some_drill() -> None:
    seen: set[str] = set()
    for path in ALL_DRILLS:
        for e in expectations(path).values():
            seen |= set(e.get("rules", [])) | set(e.get("alerts", []))
    catalog = rule_catalog()
    assert len(catalog) >= 48
    missing = [r for r in catalog if r not in seen and r not in NOT_CITED_BY_VERDICTS]
    assert not missing, f"no drill expects {missing}"


def test_rust_day_keeps_the_drills_md_example() -> None:
    """The DRILLS.md "Rust" example, its lines as written, is inside the full Rust day."""
    example = [
        '{"at":"2021-10-21T06:30:00-06:00","actor":"prod","type":"open_production",'
        '"production":"rust","title":"Rust"}',
        '{"at":"2021-10-21T07:00:00-06:00","actor":"arm","type":"start_day","day":"2021-10-21",'
        '"armorer":"arm","expect":{"verdict":"refused","rules":["SC-M01"]}}',
        '{"at":"2021-10-21T12:30:00-06:00","actor":"arm","type":"secure","lot":"box1",'
        '"container":"cart","expect":{"verdict":"refused","rules":["SC-C05"]}}',
        '{"at":"2021-10-21T13:00:00-06:00","actor":"arm","type":"load","firearm":"colt45",'
        '"lot":"box1","rounds":6,"expect":{"verdict":"refused","rules":["SC-A03"]}}',
        '{"at":"2021-10-21T13:05:00-06:00","actor":"ad","type":"issue","firearm":"colt45",'
        '"to":"lead","setup":"church-1","shown":false,"witnesses":[],'
        '"expect":{"verdict":"refused","rules":["SC-C01","SC-C03"]}}',
    ]
    text = (DRILLS / "rust-day.jsonl").read_text(encoding="utf-8").splitlines()
    positions = [text.index(line) for line in example]
    assert positions == sorted(positions)
    assert positions[0] == 0


def test_action_day_is_a_clean_well_run_day() -> None:
    path = DRILLS / "action-day.jsonl"
    objs = [obj for _, obj in drill_lines(path)]
    assert all(obj is not None and obj["expect"] == {"verdict": "accepted"} for obj in objs)
    assert objs[0]["production"] == "demo"  # type: ignore[index]
    types = Counter(obj["type"] for obj in objs if obj is not None)
    assert types["issue"] >= 50
    assert types["return"] == types["issue"]
    code, results, last = run_drill(path)
    assert code == 0 and last == f"{len(objs)} passed, 0 failed"
    bad = [r for r in results if r["verdict"] != "accepted" or r["alerts"]]
    assert not bad, bad


def test_action_day_is_generated_by_its_script() -> None:
    import runpy
    import sys
    from io import StringIO

    out = StringIO()
    saved, sys.stdout = sys.stdout, out
    try:
        runpy.run_path(str(DRILLS / "make_action_day.py"), run_name="__main__")
    finally:
        sys.stdout = saved
    assert out.getvalue() == (DRILLS / "action-day.jsonl").read_text(encoding="utf-8")


# -- malformed.jsonl ---------------------------------------------------------------------------

# The error lines of malformed.jsonl, in order, and the field each message must name.
MALFORMED_FIELDS = [
    "'type'",  # something before open_production
    "JSON",  # bad JSON (no field to name)
    "'type'",  # unknown command type
    "'witnesses'",  # missing required field
    "'at'",  # missing at
    "'actor'",  # missing actor
    "'at'",  # at without a UTC offset
    "'rounds'",  # wrong type
    "'lockable'",  # wrong type
    "'kind'",  # not one of the allowed values
    "'count'",  # negative number
    "'day'",  # not a date
    "'attendees'",  # not a list
    "'distance_m'",  # required when toward_people
    "'firearm'",  # both firearm and lot
    "'firearm'",  # unknown firearm
    "'lot'",  # unknown lot
    "'container'",  # unknown container
    "'concern'",  # unknown concern
    "'firearms[0]'",  # unknown firearm in a list
    "'counts.blk-99'",  # unknown lot as a counts key
    "'policy.max_rounds'",  # unknown policy setting
    "'override'",  # override of the wrong type
    "'type'",  # a second open_production
    "'expect.verdict'",  # a drill expectation that is not a verdict
    "'at'",  # time going backwards
]


def test_malformed_drill_reports_each_error_and_fails() -> None:
    code, results, last = run_drill(MALFORMED)
    errors = [r for r in results if r["verdict"] == "error"]
    assert len(errors) == len(MALFORMED_FIELDS), [r["message"] for r in errors]
    for r, field in zip(errors, MALFORMED_FIELDS, strict=True):
        assert field in r["message"], (r["line"], field, r["message"])
        assert r["rules"] == [] and r["alerts"] == []
    # The lines with an expect all pass; only the malformed lines fail.
    expected = expectations(MALFORMED)
    error_lines = {r["line"] for r in errors}
    assert last == f"{len(set(expected) - error_lines)} passed, {len(errors)} failed"
    assert code == 1
    # A malformed line changes nothing and does not advance the clock: the line after the
    # errors is at 11:00, earlier than the malformed 12:00 lines, and is accepted.
    after = [r for r in results if r["line"] > max(error_lines)]
    assert after and after[0]["type"] == "tick" and after[0]["verdict"] == "accepted"
    # A blank line gets no verdict.
    blank = [
        n
        for n, text in enumerate(MALFORMED.read_text(encoding="utf-8").splitlines(), start=1)
        if not text.strip()
    ]
    assert blank and not {r["line"] for r in results} & set(blank)


def test_malformed_drill_nonsense_refusals() -> None:
    _, results, _ = run_drill(MALFORMED)
    nonsense = Counter(r["type"] for r in results if r["verdict"] == "refused")
    for kind in (
        "resume_work",
        "end_break",
        "wrap_day",
        "start_day",
        "add_person",
        "register_container",
        "register_firearm",
        "receive_ammo",
        "report_concern",
        "file_incident",
    ):
        assert nonsense[kind] >= 1, kind
    assert all(r["rules"] == [] for r in results if r["verdict"] == "refused")


# -- persistence -------------------------------------------------------------------------------


def test_drill_into_sqlite_then_list_events(tmp_path: Path) -> None:
    db = tmp_path / "set.db"
    path = DRILLS / "contact-blank-1984.jsonl"
    code, results, last = run_drill(path, "--db", str(db))
    assert code == 0, last
    assert db.exists()
    listed = runner.invoke(app, ["events", "--db", str(db), "--json"])
    assert listed.exit_code == 0, listed.output
    events = [json.loads(line) for line in listed.stdout.strip().splitlines()]
    types = Counter(e["type"] for e in events)
    # One production_opened, a person_added per add_person line, and so on.
    objs = [obj for _, obj in drill_lines(path) if obj is not None]
    assert types["production_opened"] == 1
    assert types["person_added"] == sum(o["type"] == "add_person" for o in objs)
    assert types["firearm_issued"] == sum(
        o["type"] == "issue" and o["expect"]["verdict"] == "accepted" for o in objs
    )
    # SC-R03: every refused line is itself recorded, with the rules that refused it.
    refused = [r for r in results if r["verdict"] == "refused"]
    recorded = [e for e in events if e["type"] == "command_refused"]
    assert len(recorded) == len(refused) > 0
    assert [e["data"]["rules"] for e in recorded] == [r["rules"] for r in refused]
    # Alerts are events too (a line shows each rule once; two alerts of one rule are two events).
    assert types["alert_raised"] >= sum(len(r["alerts"]) for r in results) > 0
    # The events are listed in order, every one belonging to the production.
    assert all(e["production"] == "cover-up" for e in events)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    plain = runner.invoke(app, ["events", "--db", str(db)])
    assert plain.exit_code == 0 and "production_opened" in plain.stdout
