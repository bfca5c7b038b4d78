"""Documentation that cannot drift: docs/events.md is regenerated and compared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _events_doc() -> object:
    spec = importlib.util.spec_from_file_location("events_doc", ROOT / "scripts/events_doc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_events_page_lists_every_event_type_with_its_current_keys() -> None:
    expected = _events_doc().render()  # type: ignore[attr-defined]
    actual = (ROOT / "docs/events.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/events.md is stale: run scripts/events_doc.py > docs/events.md"
    assert "(no drill produces it)" not in actual
