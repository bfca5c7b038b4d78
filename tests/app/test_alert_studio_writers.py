"""The studio's server holds the records set nodes push; their deadlines and alerts are the set
node's. A studio server running its watchdogs and alert delivery (`serve --store --alerts send`)
raises and sends for the productions it writes itself, and appends nothing to a production a
set node is enrolled to write: an event of its own there would fork the record the node pushes
next (and mail people the set node already told)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alerting import (
    ESCALATION_DEADLINE,
    FIRST_DEADLINE,
    drill_lines,
    smtp_server,
    wait_until,
)

from backends import node_store
from showclear.adapters.postgres.studio import PostgresStudioRecords
from showclear.app.application import Application
from showclear.bootstrap import AlertSettings, open_node, open_store

PUSHED = "cover-up"  # a set node writes it; the studio holds it by its pushes
NATIVE = "studio-own"  # opened on the studio server itself


@pytest.fixture
def url(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new database on the session's PostgreSQL: the studio's (keys in $SHOWCLEAR_KEYS)."""
    return str(node_store("postgresql", tmp_path, request, monkeypatch, ""))


def _replay(app: Application, production: str) -> None:
    """The 1984 drill up to its completed setup (the SC-C07 watch), under `production`."""
    for raw in drill_lines():
        if raw["type"] == "open_production":
            answer = app.replay(None, {**raw, "production": production})
        else:
            answer = app.replay(production, raw)
        assert answer.verdict == "accepted", answer
    for person in ("arm", "prod"):
        address = f"{person}.{production}@example.org"
        raw = {"type": "set_contact", "person": person, "channel": "email", "address": address}
        assert app.execute(production, raw, actor=person).verdict == "accepted"


def _rows(url: str, production: str) -> list[dict[str, Any]]:
    with open_store(url) as store:
        return [json.loads(e.payload) for e in store.read(production)]


def test_the_studio_raises_and_sends_nothing_for_a_production_a_set_node_writes(
    url: str,
) -> None:
    before = FIRST_DEADLINE.replace(minute=0)
    # The set node's record as its pushes leave it at the studio: the first SC-C07 alert is
    # raised (with a delivery to the armorer that the set node makes), the escalation pending.
    with open_node(url, signin=False, ledger=False, clock=lambda: before) as pushed:
        _replay(pushed.app, PUSHED)
        _replay(pushed.app, NATIVE)
    with open_node(url, signin=False, ledger=False, clock=lambda: FIRST_DEADLINE.replace(
            second=1)) as pushed:  # fmt: skip
        pushed.app.state(PUSHED)  # loaded: the timer asks only loaded productions
        assert pushed.app.fire_due(PUSHED) == 1
        assert pushed.app.state(PUSHED).outbox  # ... an armorer's e-mail to send
    records = PostgresStudioRecords(url)
    try:
        records.add_writer(PUSHED, 1, "harbor.set+0badc0de+AAAAAAAA", "enrolled", "")
    finally:
        records.close()
    head = len(_rows(url, PUSHED))

    with smtp_server() as (inbox, port):
        settings = AlertSettings(smtp_host="127.0.0.1", smtp_port=port, tick_interval=0.1,
                                 poll=0.1)  # fmt: skip
        after = ESCALATION_DEADLINE.replace(second=1)
        with open_node(url, threaded=True, signin=False, clock=lambda: after) as studio:
            alerts = studio.start_alerts(settings)
            inbox.wait_for(lambda ms: len(ms) >= 2, 60)  # its own production's two alerts

            wait_until(lambda: sum(r["type"] == "alert_delivered" for r in _rows(url, NATIVE))
                       >= 2, 60, "the studio's own deliveries recorded")  # fmt: skip
            assert alerts.deliverer is not None
            assert alerts.timer.tick() == 0 and alerts.deliverer.run_once() == 0
            assert studio.app.state(PUSHED).outbox  # seen, and left to the set node

    native = _rows(url, NATIVE)
    assert [r["data"]["rule"] for r in native if r["type"] == "alert_raised"] == ["SC-C07"] * 2
    assert len(_rows(url, PUSHED)) == head  # nothing appended to the set node's record
    assert sorted(a for rcpts, _ in inbox.messages for a in rcpts) == [
        f"arm.{NATIVE}@example.org",
        f"prod.{NATIVE}@example.org",
    ]
