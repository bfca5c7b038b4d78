"""The studio dashboard's read model (views/studio.py): pure, the states and the time in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.conftest import ready_day
from showclear.domain import State
from showclear.domain.state import Alert, Concern, Stop
from showclear.ports import NodeSyncStatus, RefusedPush
from showclear.views.studio import node_row, production_row, studio_board

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def day_state() -> State:
    """A production ready to shoot (the domain tests' day), as the service holds it."""
    day = ready_day()
    return day.service.state(day.production)


def test_a_node_silent_for_more_than_an_hour_shows_so() -> None:
    def status(minutes: int | None) -> NodeSyncStatus:
        at = None if minutes is None else (NOW - timedelta(minutes=minutes)).isoformat()
        return NodeSyncStatus("p", "node", at, 10, 10, at)

    assert not node_row(status(60), NOW)["silent"]  # an hour exactly: not yet
    row = node_row(status(61), NOW)
    assert row["silent"] and row["silent_hours"] == 1.0
    never = node_row(status(None), NOW)
    assert never["silent"] and never["silent_hours"] is None


def test_stopped_productions_come_first_and_loading_ones_are_named() -> None:
    state = day_state()
    stopped = state._replace(stop=Stop("2024-01-01T09:00:00+00:00", "arm", "smoke", frozenset()))
    board = studio_board(
        {"a-calm": state, "z-stopped": stopped, "m-big": None},
        [],
        [RefusedPush("q", "node", "fork", 42, "forked at event 42", "2030-01-01T11:00:00+00:00")],
        NOW,
    )
    assert [r["production"] for r in board["productions"]] == ["z-stopped", "a-calm"]
    assert board["stop_work"] == ["z-stopped"] and board["loading"] == ["m-big"]
    assert board["refused_pushes"][0]["first_diverging"] == 42


def test_a_production_row_names_the_day_the_armorer_and_what_is_out() -> None:
    state = day_state()
    row = production_row("p", state, NOW)
    assert state.day is not None and row["day"] == state.day.day.isoformat()
    assert row["armorer"].endswith(f"({state.day.armorer})")
    stored = [f.id for f in state.firearms.values() if state.in_storage(f.custodian)]
    assert {f["id"] for f in row["firearms_out"]}.isdisjoint(stored)
    assert len(row["firearms_out"]) + len(stored) == len(state.firearms)
    empty = production_row("e", State(), NOW)
    assert empty["day"] is None and empty["armorer"] is None and empty["firearms_out"] == []


def test_live_alerts_are_the_current_days_and_concerns_go_oldest_first() -> None:
    state = day_state()
    assert state.day is not None
    today = state.day.day.isoformat()
    alerts = (
        Alert(1, "SC-A02", ("arm",), "yesterday's", "2000-01-01T10:00:00+00:00"),
        Alert(2, "SC-S03", ("arm",), "today's", f"{today}T10:00:00+00:00"),
    )
    raised = NOW - timedelta(hours=30)
    concerns = {
        "new": Concern("new", "newer", "crew", NOW - timedelta(hours=2), NOW),
        "old": Concern("old", "older", "crew", raised, NOW, overdue=True),
        "done": Concern("done", "answered", "crew", raised, NOW, acknowledged_by="arm"),
    }
    row = production_row("p", state._replace(alerts=alerts, concerns=concerns), NOW)
    assert [a["message"] for a in row["live_alerts"]] == ["today's"]
    assert [(c["id"], c["age_hours"]) for c in row["open_concerns"]] == [
        ("old", 30.0),
        ("new", 2.0),
    ]
    board = studio_board({"p": state._replace(concerns=concerns)}, [], [], NOW)
    assert [c["id"] for c in board["open_concerns"]] == ["old", "new"]
