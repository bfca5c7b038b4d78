"""The drill runner (docs/drills.md): replay a shooting day written as JSON Lines.

Each line is a command with its time and actor, optionally with the verdict a correct
ShowClear must give. The runner prints a verdict per line and `N passed, M failed` last.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from showclear.app.application import Application
from showclear.app.service import Service
from showclear.domain import Malformed
from showclear.domain.parsing import read_json


@dataclass
class LineResult:
    line: int
    type: str | None
    verdict: str  # accepted | refused | error
    rules: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    message: str = ""
    expected: bool = False  # the line carried an `expect`
    passed: bool | None = None  # None when nothing was expected and nothing went wrong
    mismatch: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "type": self.type,
            "verdict": self.verdict,
            "rules": self.rules,
            "alerts": self.alerts,
            "message": self.message,
        }


@dataclass
class Expect:
    verdict: str
    rules: list[str]
    alerts: list[str]


def _parse_expect(raw: Any) -> Expect | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Malformed("expect", "must be an object")
    verdict = raw.get("verdict")
    if verdict not in ("accepted", "refused"):
        raise Malformed("expect.verdict", 'must be "accepted" or "refused"')
    lists = {}
    for key in ("rules", "alerts"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Malformed(f"expect.{key}", "must be a list of rule IDs")
        lists[key] = value
    return Expect(verdict, lists["rules"], lists["alerts"])


def _judge(result: LineResult, expect: Expect) -> None:
    problems = []
    if result.verdict != expect.verdict:
        problems.append(f"expected {expect.verdict}, got {result.verdict}")
    if expect.verdict == "refused":
        missing = [r for r in expect.rules if r not in result.rules]
        if missing:
            problems.append(f"rules missing: {', '.join(missing)}")
    missing_alerts = [a for a in expect.alerts if a not in result.alerts]
    if missing_alerts:
        problems.append(f"alerts missing: {', '.join(missing_alerts)}")
    result.passed = not problems
    result.mismatch = "; ".join(problems)


class DrillRun:
    """Runs lines against one production through the application (in memory or a store)."""

    def __init__(self, app: Application | None = None) -> None:
        self.app = app if app is not None else Application(Service())  # in memory
        self.production = ""

    def run_line(self, number: int, text: str) -> LineResult:
        raw: Any = None
        type_name: str | None = None
        try:
            raw = read_json(text)  # within the input limits, as the API reads a body
            if isinstance(raw, dict) and isinstance(raw.get("type"), str):
                type_name = raw["type"]
            expect = _parse_expect(raw.get("expect")) if isinstance(raw, dict) else None
            if not isinstance(raw, dict):
                raise Malformed(None, "a command must be a JSON object")
            answer = self.app.replay(self.production or None, raw)
            self.production = answer.production
        except Malformed as exc:
            return LineResult(number, type_name, "error", message=str(exc), passed=False,
                              expected=isinstance(raw, dict) and "expect" in raw,
                              mismatch="malformed line")  # fmt: skip
        result = LineResult(
            number,
            answer.type,
            answer.verdict,
            sorted({r["rule"] for r in answer.rules}),
            list(answer.alerts),
            answer.message,
            expected=expect is not None,
        )
        if expect is not None:
            _judge(result, expect)
        return result

    def run(self, lines: Iterable[str]) -> Iterator[LineResult]:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            yield self.run_line(number, text)


def summary(results: Iterable[LineResult]) -> tuple[int, int]:
    """(passed, failed), counting lines with an expect and every malformed line."""
    passed = failed = 0
    for r in results:
        if r.passed is True:
            passed += 1
        elif r.passed is False:
            failed += 1
    return passed, failed
