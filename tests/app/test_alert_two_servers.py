"""Two studio server processes on one PostgreSQL database, both running the watchdogs' timer
and the alert delivery worker (what two `showclear serve --store URL --alerts send` do): every
message goes out exactly once, and each delivery is recorded once.

Both children see the same outbox: one records the SC-C07 alerts, the other meets that commit
(its own append loses the race), folds it in, and finds the same deliveries to make. The SMTP
server (aiosmtpd) takes its time over each message so that the two workers are sending at the
same moment; each child sends From an address of its own, so the test sees that both did send.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from alerting import (
    ESCALATION_DEADLINE,
    PRODUCTION,
    Inbox,
    replay_until_watch,
    set_contact,
    wait_until,
)

from backends import node_store
from showclear.bootstrap import open_node, open_store
from showclear.web.background import free_port

# The child's clock is read from a file, so that both children are running before either sees
# the deadline pass: they start competing at the same moment.
CHILD = r"""
import sys, time
from datetime import datetime
from pathlib import Path
from showclear.bootstrap import AlertSettings, open_node

url, port, name, clock_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
clock = lambda: datetime.fromisoformat(clock_file.read_text())
node = open_node(url, threaded=True, signin=False, clock=clock)
node.start_alerts(AlertSettings(smtp_host="127.0.0.1", smtp_port=port, tick_interval=0.1,
                                poll=0.1, smtp_from=f"{name}@studio.example"))
print("STARTED", flush=True)
time.sleep(600)
"""

EXTRA_PRODUCERS = [f"exec{i}" for i in range(1, 7)]


class SlowInbox(Inbox):
    """Takes 0.3 s over each message, as a busy mail server does."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.3)
        return await super().handle_DATA(server, session, envelope)


def _stored(url: str) -> list[dict[str, Any]]:
    with open_store(url) as store:
        return [json.loads(e.payload) for e in store.read(PRODUCTION)]


@pytest.fixture
def url(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new database on the session's PostgreSQL: the studio's (keys in $SHOWCLEAR_KEYS)."""
    return str(node_store("postgresql", tmp_path, request, monkeypatch, ""))


def test_two_servers_on_one_database_send_each_alert_once(url: str, tmp_path: Path) -> None:
    before = ESCALATION_DEADLINE.replace(minute=0)
    with open_node(url, signin=False, clock=lambda: before) as node:
        replay_until_watch(node.app)
        for person in EXTRA_PRODUCERS:  # more producers: more deliveries to compete for
            line = {
                "type": "add_person",
                "actor": "prod",
                "at": "1984-10-12T09:16:00-07:00",
                "person": person,
                "name": f"Executive {person}",
                "roles": ["producer"],
            }
            answer = node.app.replay(PRODUCTION, line)
            assert answer.verdict == "accepted", answer
        people = ["prod", "arm", "ad", *EXTRA_PRODUCERS]
        for person in people:
            answer = set_contact(node.app, person, "email", f"{person}@example.org", actor=person)
            assert answer.verdict == "accepted", answer.message
    clock_file = tmp_path / "now"
    clock_file.write_text(before.isoformat())

    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(port), name, str(clock_file)],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for name in ("one", "two")
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "STARTED"
        clock_file.write_text(ESCALATION_DEADLINE.replace(second=1).isoformat())

        def recorded() -> int:
            return sum(r["type"] == "alert_delivered" for r in _stored(url))

        wait_until(lambda: recorded() >= len(people), 120, "every delivery recorded")
        # Give a second send of any message the time to show before the servers stop.
        time.sleep(1.5)
    finally:
        for child in children:
            child.kill()
            child.wait(30)
        controller.stop()

    rows = _stored(url)
    raised = [r for r in rows if r["type"] == "alert_raised"]
    assert [r["data"]["rule"] for r in raised] == ["SC-C07", "SC-C07"]  # each raised once
    told = [r["data"] for r in rows if r["type"] == "alert_delivered"]
    assert sorted(t["person"] for t in told) == sorted(people)  # each recorded once
    assert not [r for r in rows if r["type"] == "alert_delivery_failed"]
    received = Counter(address for rcpts, _ in inbox.messages for address in rcpts)
    assert received == {f"{p}@example.org": 1 for p in people}, inbox.summary()
    assert all(t["attempts"] == 1 and "after_interrupted_attempt" not in t for t in told)
    senders = Counter(str(m["From"]) for _, m in inbox.messages)
    assert set(senders) == {"one@studio.example", "two@studio.example"}, senders
