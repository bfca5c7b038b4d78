"""Each rule of V, F and SC-M04 carries weight: with its function taken out, the drills that
cite it fail. (The drills pass with every rule in place: tests/test_drills.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from showclear.app.drills import DrillRun
from showclear.domain import events as ev
from showclear.domain import rules, watchdogs
from showclear.domain.effects import EFFECTS, Effect

DRILLS = Path(__file__).resolve().parents[2] / "drills"
REFUSING = ["SC-V01", "SC-V02", "SC-F01", "SC-F02", "SC-F03", "SC-F04", "SC-F05", "SC-M04"]


def citing(rule_id: str) -> list[Path]:
    """The drills with a line whose expected verdict names `rule_id`."""
    found = []
    for path in sorted(DRILLS.glob("*.jsonl")):
        if path.name == "malformed.jsonl":  # malformed on purpose; it cites no new rule
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            expect = json.loads(line).get("expect", {}) if line.strip() else {}
            if rule_id in expect.get("rules", []) + expect.get("alerts", []):
                found.append(path)
                break
    return found


def failures(path: Path, rule_id: str) -> list[int]:
    """Lines of the drill expecting `rule_id` whose verdict no longer matches."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for result in DrillRun().run(lines):
        expect: dict[str, Any] = json.loads(lines[result.line - 1]).get("expect", {})
        if rule_id in expect.get("rules", []) + expect.get("alerts", []) and not result.passed:
            out.append(result.line)
    return out


@pytest.mark.parametrize("rule_id", REFUSING)
def test_removing_a_refusing_rule_fails_its_drills(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drills = citing(rule_id)
    assert drills, f"no drill cites {rule_id}"
    assert all(not failures(p, rule_id) for p in drills)  # in place: every such line passes
    monkeypatch.setattr(rules, "REGISTRY", [r for r in rules.REGISTRY if r.id != rule_id])
    monkeypatch.setattr(rules, "_BY_COMMAND", {})
    assert all(failures(p, rule_id) for p in drills), f"{rule_id} removed, its drills still pass"


def test_removing_the_v03_alert_fails_its_drill(monkeypatch: pytest.MonkeyPatch) -> None:
    drills = citing("SC-V03")
    assert drills and all(not failures(p, "SC-V03") for p in drills)
    original = EFFECTS["dispose"]

    def without_alert(state: Any, cmd: Any) -> Any:
        out = original(state, cmd)
        assert isinstance(out, Effect)
        return Effect([e for e in out.events if e.type == ev.ITEM_DISPOSED], out.message)

    monkeypatch.setitem(EFFECTS, "dispose", without_alert)
    assert all(failures(p, "SC-V03") for p in drills)


def test_removing_the_v04_watchdog_fails_its_drill(monkeypatch: pytest.MonkeyPatch) -> None:
    drills = citing("SC-V04")
    assert drills and all(not failures(p, "SC-V04") for p in drills)
    monkeypatch.setattr(watchdogs, "rental_overdue", lambda *_: [])
    assert all(failures(p, "SC-V04") for p in drills)
