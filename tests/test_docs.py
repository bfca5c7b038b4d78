"""Documentation that cannot drift: docs/events.md and docs/rules.md are regenerated and
compared, docs/drills.md names every command type and its example runs, and nothing in the
repository links outside it."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

from showclear.app.drills import DrillRun, summary
from showclear.domain.commands import COMMANDS, EXTRA_COMMANDS

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / f"scripts/{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_events_page_lists_every_event_type_with_its_current_keys() -> None:
    expected = _script("events_doc").render()  # type: ignore[attr-defined]
    actual = (ROOT / "docs/events.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/events.md is stale: run scripts/events_doc.py > docs/events.md"
    assert "(no drill produces it)" not in actual


def test_rules_page_is_the_rule_registry() -> None:
    expected = _script("rules_doc").render()  # type: ignore[attr-defined]
    actual = (ROOT / "docs/rules.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/rules.md is stale: run scripts/rules_doc.py > docs/rules.md"
    from showclear.domain.rules.catalog import CATALOG

    for entry in CATALOG.values():
        assert f"| {entry.id} | {entry.severity} | {entry.text} |" in actual


def test_nothing_in_the_repository_points_outside_it() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = ("../" + "shared", "/" + "work/")  # spelled apart: this file is checked too
    for name in files:
        path = ROOT / name
        if path.suffix in (".png", ".pdf", ".sqlite", ".db") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for bad in outside:
            assert bad not in text, f"{name} points outside the repository ({bad})"
        if path.suffix == ".md":
            for target in re.findall(r"\]\(([^)#\s]+)", text):
                if "://" in target or target.startswith("mailto:"):
                    continue
                linked = (path.parent / target).resolve()
                assert linked.is_relative_to(ROOT), f"{name} links outside: {target}"
                assert linked.exists(), f"{name} links to a missing file: {target}"


def test_drills_page_names_every_command_type_and_its_example_runs() -> None:
    text = (ROOT / "docs/drills.md").read_text(encoding="utf-8")
    for name in [*COMMANDS, *EXTRA_COMMANDS]:
        assert f"`{name}`" in text, f"docs/drills.md does not describe {name}"
    example = text.split("```json\n", 1)[1].split("```", 1)[0].splitlines()
    assert all(json.loads(line) for line in example)
    results = list(DrillRun().run(example))
    assert summary(results) == (sum('"expect"' in line for line in example), 0)
    assert all(r.verdict != "error" for r in results)


def test_studio_page_explains_every_reason_a_push_is_refused() -> None:
    """A node's operator reads `reason` in `showclear sync --json`: each one is in the table."""
    from typing import get_args

    from showclear.ledger.witness import RefusalReason

    page = (ROOT / "docs/studio.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z-]+)` \|", page, flags=re.MULTILINE))
    assert set(get_args(RefusalReason)) | {"not-enrolled"} <= rows
