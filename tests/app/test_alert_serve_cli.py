"""`showclear serve` as a person starts it: the SMTP settings from the environment, the timer and
the worker running with nobody at a screen. A store whose SC-C07 deadlines passed long ago (the
1984 drill) gets its alerts raised and mailed within the timer's 10 s of the server starting:
`serve --db` (a set node) and `serve --store` (the studio's node on PostgreSQL) alike."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from alerting import COMPLETED, PRODUCTION, replay_until_watch, set_contact, smtp_server

from showclear.bootstrap import open_node
from showclear.web.background import free_port

SHOWCLEAR = str(Path(sys.executable).with_name("showclear"))


def test_serve_takes_its_smtp_settings_from_the_environment_and_mails_by_itself(
    alert_store: str | Path,
) -> None:
    db = alert_store
    where = ["--store", db] if isinstance(db, str) else ["--db", str(db)]
    with open_node(db, signin=False, clock=lambda: COMPLETED) as node:  # before the deadlines
        replay_until_watch(node.app)
        set_contact(node.app, "prod", "email", "prod@example.org")
    with smtp_server() as (inbox, port):
        smtp = {"HOST": "127.0.0.1", "PORT": str(port), "FROM": "armory@set.example"}
        env = {**os.environ, **{f"SHOWCLEAR_SMTP_{k}": v for k, v in smtp.items()}}
        server = subprocess.Popen(
            [SHOWCLEAR, "serve", *where, "--port", str(free_port())],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            inbox.wait_for(lambda ms: any("prod@example.org" in r for r, _ in ms), 60)
        finally:
            server.send_signal(signal.SIGINT)
            out, _ = server.communicate(timeout=30)
        (mail,) = inbox.to("prod@example.org")
        assert mail["From"] == "armory@set.example"
        assert "SC-C07" in mail["Subject"] and PRODUCTION in str(mail.get_payload(decode=True))
        assert "Alerts: send, e-mail via 127.0.0.1" in out
        assert server.returncode == 0, out
