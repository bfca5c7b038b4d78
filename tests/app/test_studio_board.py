"""The studio dashboard's states (app/studio_board.py) on PostgreSQL: events that reach the
store by another way (a set node's push) show up; big productions load off the request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg import PostgresServer, database_for, database_name, store_url
from showclear.bootstrap import open_backend, open_node
from showclear.ports import NewEvent
from showclear.views.studio import dashboard

DRILL = Path(__file__).resolve().parents[2] / "drills" / "rust-day.jsonl"


@pytest.fixture
def url(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[str]:
    yield store_url(database_for(tmp_path / "studio"))
    postgres_server.drop_database(database_name(tmp_path / "studio"))


def test_events_appended_by_another_writer_reach_the_dashboard(url: str) -> None:
    lines = [json.loads(line) for line in DRILL.read_text(encoding="utf-8").splitlines()]
    with open_node(url, ledger=False) as node:
        for raw in lines[:6]:
            raw.pop("expect", None)
            node.app.replay("rust", raw)
        assert node.studio is not None
        first = dashboard(node.studio)
        assert [r["production"] for r in first["productions"]] == ["rust"]
        head = first["productions"][0]["head"]
        # Another connection appends (as the sync endpoint does): the next look folds it in.
        other = open_backend(url)
        try:
            at = lines[5]["at"]
            note = NewEvent("concern_raised", "prod", at,
                            {"concern": "c9", "text": "pushed", "deadline": at})  # fmt: skip
            other.append("rust", head, [note])
        finally:
            other.close()
        second = dashboard(node.studio)
        row = second["productions"][0]
        assert row["head"] == head + 1 and [c["id"] for c in row["open_concerns"]] == ["c9"]


def test_a_big_production_loads_on_a_thread_and_is_listed_as_loading(url: str) -> None:
    lines = [json.loads(line) for line in DRILL.read_text(encoding="utf-8").splitlines()]
    with open_node(url, ledger=False) as node:
        for raw in lines:
            raw.pop("expect", None)
            node.app.replay("rust", raw)
    with open_node(url, ledger=False) as node:  # a restart: nothing held yet
        assert node.studio is not None
        node.studio.load_inline = 5
        board = dashboard(node.studio)
        assert board["loading"] == ["rust"] and board["productions"] == []
        node.studio.wait_loaded(60)
        board = dashboard(node.studio)
        assert board["loading"] == [] and board["productions"][0]["production"] == "rust"
