"""A crash between an alert's commit and its send: the alert is sent exactly once after the
restart. The serving node is a real child process killed with SIGKILL:

- `before_attempt`: the child runs the watchdogs' timer with delivery off; it is killed once
  the SC-C07 alerts are committed, before any send could begin;
- `while_connecting`: the child's worker has durably begun its attempt and is waiting for an
  SMTP server that accepted the connection and never greets (a black hole); it is killed there.

After each, a restarted node sends to a real SMTP server (aiosmtpd): one message, recorded as
`alert_delivered`; a further restart sends nothing more. Both on a set node's SQLite file and on
the studio's PostgreSQL (`alert_store`, tests/app/conftest.py).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alerting import (
    ESCALATION_DEADLINE,
    PRODUCTION,
    replay_until_watch,
    set_contact,
    smtp_server,
    wait_until,
)

from showclear.bootstrap import AlertSettings, open_node, open_store
from showclear.ports import Attempts

CHILD = r"""
import sys, time
from datetime import datetime, timedelta
from showclear.bootstrap import AlertSettings, open_node

path, mode, port, now = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
clock = lambda: datetime.fromisoformat(now)
node = open_node(path, threaded=True, signin=False, clock=clock)
node.start_alerts(AlertSettings(mode=mode, smtp_host="127.0.0.1", smtp_port=port,
                                tick_interval=0.1, poll=0.1))
print("STARTED", flush=True)
time.sleep(600)
"""


def _stored(db: str | Path) -> list[dict[str, Any]]:
    with open_store(db) as store:
        return [json.loads(e.payload) for e in store.read(PRODUCTION)]


def _attempts(db: str | Path) -> list[Attempts]:
    with open_node(db, signin=False, ledger=False) as node:
        assert node.outbox is not None
        return list(node.outbox.attempts(PRODUCTION).values())


def _of(rows: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["type"] == type_]


@pytest.mark.parametrize("where", ["before_attempt", "while_connecting"])
def test_a_crash_between_the_alert_and_its_send_sends_exactly_once_after_restart(
    alert_store: str | Path, where: str
) -> None:
    db = alert_store
    before = ESCALATION_DEADLINE.replace(minute=0)
    with open_node(db, signin=False, clock=lambda: before) as node:
        replay_until_watch(node.app)
        assert set_contact(node.app, "prod", "email", "prod@example.org").verdict == "accepted"
    now = ESCALATION_DEADLINE.replace(second=1).isoformat()

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    hole.settimeout(60)
    mode = "off" if where == "before_attempt" else "send"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), mode, str(hole.getsockname()[1]), now],
        stdout=subprocess.PIPE,
        text=True,
    )
    held: list[socket.socket] = []  # kept open until the child is dead: it never hears back
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "STARTED"
        if where == "before_attempt":
            wait_until(lambda: len(_of(_stored(db), "alert_raised")) == 2, 60, "the alerts")
        else:
            held.append(hole.accept()[0])  # the worker began its attempt and is connecting
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        for conn in held:
            conn.close()
        hole.close()

    rows = _of(_stored(db), "alert_raised")
    assert [r["data"]["rule"] for r in rows] == ["SC-C07", "SC-C07"]
    assert not _of(_stored(db), "alert_delivered")
    (attempt,) = _attempts(db) if where == "while_connecting" else [None]
    if attempt is not None:  # on disk before the send began, and never ended
        assert attempt.attempts == 1 and attempt.in_flight

    with smtp_server() as (inbox, port):
        settings = AlertSettings(smtp_host="127.0.0.1", smtp_port=port, tick_interval=0.1,
                                 poll=0.1)  # fmt: skip
        for restart in (1, 2):
            clock = lambda: ESCALATION_DEADLINE.replace(second=5)  # noqa: E731
            with open_node(db, threaded=True, signin=False, clock=clock) as node:
                alerts = node.start_alerts(settings)
                if restart == 1:
                    inbox.wait_for(lambda ms: len(ms) >= 1, 60)
                    wait_until(lambda: bool(_of(_stored(db), "alert_delivered")), 60, "the record")
                assert alerts.deliverer is not None
                assert not node.app.state(PRODUCTION).outbox  # loaded: nothing left to send
                assert alerts.deliverer.run_once() == 0
        assert len(inbox.to("prod@example.org")) == 1
        (told,) = _of(_stored(db), "alert_delivered")
        assert told["data"]["person"] == "prod" and told["data"]["transport"] == "smtp"
        if where == "while_connecting":
            assert told["data"]["attempts"] == 2
            assert told["data"]["after_interrupted_attempt"] is True
        else:
            assert told["data"]["attempts"] == 1
