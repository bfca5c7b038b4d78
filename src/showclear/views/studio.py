"""The studio dashboard: every production at a glance, as plain, JSON-ready answers.

Per production: its current shooting day and the armorer on duty, the firearms out of storage
and who holds them, the alerts of its current day, stop-work, and its open concerns with their
age. Per set node: when it last synced and the last tree the studio co-signed, and whether it
has been silent for more than an hour. Pure: the states, the sync records and the time in,
the dashboard out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from showclear.app.studio_board import StudioBoard
from showclear.domain.state import State
from showclear.ports import NodeSyncStatus, RefusedPush
from showclear.views.board import holder_text

SILENT_AFTER = timedelta(hours=1)


def _name(state: State, person: str | None) -> str | None:
    if person is None:
        return None
    p = state.people.get(person)
    return f"{p.name} ({person})" if p else person


def _hours(since: datetime, now: datetime) -> float:
    return round(max((now - since).total_seconds(), 0.0) / 3600, 1)


def production_row(production: str, state: State, now: datetime) -> dict[str, Any]:
    """One production's line on the dashboard (`now`: the studio's clock, for ages)."""
    day = state.day
    out = [
        {"id": f.id, "holder": holder_text(state, f.custodian), "issued_to": f.issued_to}
        for f in state.firearms.values()
        if f.disposed is None and not state.in_storage(f.custodian)
    ]
    today = day.day.isoformat() if day is not None else None
    alerts = [
        {"rule": a.rule, "message": a.message, "at": a.at}
        for a in state.alerts
        if today is not None and a.at[:10] == today
    ]
    concerns: list[dict[str, Any]] = sorted(
        (
            {
                "id": c.id,
                "text": c.text,
                "raised_by": c.raised_by,
                "raised_at": c.raised_at.isoformat(),
                "age_hours": _hours(c.raised_at, now),
                "overdue": c.overdue,
            }
            for c in state.concerns.values()
            if c.acknowledged_by is None
        ),
        key=lambda c: str(c["raised_at"]),
    )
    stop = state.stop
    return {
        "production": production,
        "title": state.title,
        "head": state.version,
        "day": today,
        "day_number": day.number if day is not None else None,
        "armorer": _name(state, day.armorer) if day is not None else None,
        "firearms_out": out,
        "live_alerts": alerts,
        "stop": None if stop is None else {"by": stop.by, "at": stop.at, "reason": stop.reason},
        "open_concerns": concerns,
        "closed": state.closed,
    }


def node_row(status: NodeSyncStatus, now: datetime) -> dict[str, Any]:
    last = datetime.fromisoformat(status.last_sync_at) if status.last_sync_at else None
    return {
        "production": status.production,
        "node": status.node,
        "last_sync_at": status.last_sync_at,
        "tree_size": status.tree_size,
        "cosigned_size": status.cosigned_size,
        "cosigned_at": status.cosigned_at,
        "silent": last is None or now - last > SILENT_AFTER,
        "silent_hours": None if last is None else _hours(last, now),
    }


def studio_board(
    states: Mapping[str, State | None],
    nodes: Iterable[NodeSyncStatus],
    refused: Sequence[RefusedPush],
    now: datetime,
) -> dict[str, Any]:
    """The whole dashboard. A production whose state is not loaded yet (None: the studio is
    still reading it after a restart) is listed as loading, never left out."""
    rows = []
    loading = []
    for production in sorted(states):
        state = states[production]
        if state is None:
            loading.append(production)
        else:
            rows.append(production_row(production, state, now))
    # What needs someone first: stop-work, then live alerts, then overdue concerns.
    rows.sort(key=lambda r: (r["stop"] is None, not r["live_alerts"], r["production"]))
    concerns = sorted(
        ({**c, "production": r["production"]} for r in rows for c in r["open_concerns"]),
        key=lambda c: c["raised_at"],
    )
    node_rows = [node_row(n, now) for n in nodes]
    return {
        "now": now.isoformat(timespec="seconds"),
        "productions": rows,
        "loading": loading,
        "stop_work": [r["production"] for r in rows if r["stop"] is not None],
        "live_alerts": sum(len(r["live_alerts"]) for r in rows),
        "open_concerns": concerns,
        "nodes": node_rows,
        "silent_nodes": sum(1 for n in node_rows if n["silent"]),
        "refused_pushes": [
            {
                "production": p.production,
                "node": p.node,
                "reason": p.reason,
                "first_diverging": p.first_diverging,
                "message": p.message,
                "at": p.at,
            }
            for p in refused
        ],
    }


def dashboard(board: StudioBoard) -> dict[str, Any]:
    """The studio dashboard as of now: every production caught up with its head."""
    states = board.refresh()
    reads = board.reads
    return studio_board(states, reads.node_sync_status(), reads.refused_pushes(), board.clock())
