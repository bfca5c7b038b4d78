"""One predicate for "this event names that item": the web's history and the custody report
show the same events for a firearm (a disposal included), and an ID shared by a lot and a
firearm does not mix their histories."""

from __future__ import annotations

from pathlib import Path

import pytest

from showclear.app.drills import DrillRun
from showclear.bootstrap import open_node
from showclear.views.envelopes import envelopes
from showclear.views.history import history, mentions
from showclear.views.report_tables import QUIET, firearm_history

DRILLS = Path(__file__).resolve().parents[2] / "drills"


@pytest.mark.parametrize(
    "drill", ["inventory-dispositions.jsonl", "records.jsonl", "action-day.jsonl"]
)
def test_the_web_history_and_the_custody_report_name_the_same_events(
    tmp_path: Path, drill: str
) -> None:
    with open_node(tmp_path / "h.db", ledger=False, signin=False) as node:
        results = list(DrillRun(node.app).run((DRILLS / drill).read_text().splitlines()))
        assert all(r.passed is not False for r in results)
        assert node.backend is not None
        production = node.backend.productions()[0]
        envs = envelopes(node.backend, production)
        firearms = sorted(node.app.state(production).firearms)
    assert firearms
    disposals = 0
    for f in firearms:
        web = [r["seq"] for r in history(envs, [("firearm", f)]) if r["type"] not in QUIET]
        _, rows = firearm_history(envs, f)
        assert web == [r["seq"] for r in rows], f
        disposals += sum(1 for r in history(envs, [("firearm", f)]) if r["type"] == "item_disposed")
    if drill == "inventory-dispositions.jsonl":
        assert disposals > 0  # a disposal names its firearm as item and id


def test_a_lot_with_a_firearms_id_is_not_that_firearm() -> None:
    load_lot = {"type": "inspect_lot", "actor": "a", "at": "2024-01-01T08:00:00Z", "seq": 5,
                "data": {"lot": "x1", "method": "rattle", "checked": 1, "failed": 0}}  # fmt: skip
    refused = {"type": "command_refused", "actor": "a", "at": "2024-01-01T08:00:00Z", "seq": 6,
               "data": {"command": {"type": "inspect_lot", "lot": "x1"}, "rules": ["SC-R05"],
                        "message": "m"}}  # fmt: skip
    for env in (load_lot, refused):
        assert mentions(env, "lot", "x1") and not mentions(env, "firearm", "x1")
    disposed = {"type": "item_disposed", "actor": "a", "at": "2024-01-01T08:00:00Z", "seq": 7,
                "data": {"item": "firearm", "id": "x1", "how": "returned"}}  # fmt: skip
    assert mentions(disposed, "firearm", "x1") and not mentions(disposed, "lot", "x1")
    assert mentions(disposed, "person", "a")  # who acted
