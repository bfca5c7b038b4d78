"""Documentation that cannot drift: docs/events.md and docs/rules.md are regenerated and
compared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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


def test_shipped_docs_point_nowhere_outside_the_repository() -> None:
    for path in (ROOT / "docs").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "/work/" not in text, path.name
