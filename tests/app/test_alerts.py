"""Alerts that reach people: addresses per person, the outbox in the record, the delivery worker
(real SMTP server: aiosmtpd; real HTTP endpoint for Apprise), the watchdogs' timer in the web
app, delivery outcomes in the record and the incident report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alerting import (
    ESCALATION_DEADLINE,
    FIRST_DEADLINE,
    PRODUCTION,
    MovableClock,
    http_endpoint,
    replay_until_watch,
    set_contact,
    smtp_server,
)

from showclear.adapters.notify import SmtpSender, senders
from showclear.app.delivery import Deliverer, RetryPolicy
from showclear.app.timer import WatchdogTimer
from showclear.bootstrap import AlertSettings, Node, open_node, open_store
from showclear.domain import Malformed
from showclear.domain import events as ev
from showclear.domain.contacts import fingerprint
from showclear.ports import StoreUnavailableError
from showclear.views.envelopes import envelopes
from showclear.views.history import history
from showclear.views.report_tables import incident_timeline
from showclear.web.app import create_app
from showclear.web.background import BackgroundServer, free_port


def _events(node: Node, type_: str | None = None) -> list[dict[str, Any]]:
    assert node.backend is not None
    rows = [json.loads(e.payload) for e in node.app.read(lambda b: list(b.read(PRODUCTION)))]
    return [r for r in rows if type_ is None or r["type"] == type_]


def _stored(where: str | Path, type_: str) -> list[dict[str, Any]]:
    with open_store(where) as store:
        rows = [json.loads(e.payload) for e in store.read(PRODUCTION)]
    return [r for r in rows if r["type"] == type_]


def _node(where: str | Path, clock: MovableClock, *, web: bool = False) -> Node:
    node = open_node(where, clock=clock, signin=web, threaded=web)
    clock.set(FIRST_DEADLINE.replace(minute=0), frozen=True)  # before the drill's first line
    replay_until_watch(node.app)
    return node


# -- addresses ------------------------------------------------------------------------------------


def test_an_address_is_kept_by_the_node_and_only_its_fingerprint_is_recorded(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        secret = "tgram://123456:SECRET-bot-token/987"
        answer = set_contact(node.app, "prod", "apprise", secret)
        assert answer.verdict == "accepted", answer.message
        assert "SECRET" not in answer.message and "tgram://…" in answer.message
        set_contact(node.app, "arm", "email", "Armorer@Example.org", actor="arm")  # self-service
        recorded = _events(node, ev.CONTACT_SET)
        assert [e["data"]["person"] for e in recorded] == ["prod", "arm"]
        assert recorded[0]["data"]["fingerprint"] == fingerprint("apprise", secret)
        assert recorded[0]["data"]["shown"] == "tgram://…"
        assert recorded[1]["data"]["shown"] == "A…@Example.org"
        payloads = b"".join(e.payload for e in node.app.read(lambda b: list(b.read(PRODUCTION))))
        assert b"SECRET" not in payloads and b"Armorer@" not in payloads
        assert node.outbox is not None
        assert node.outbox.address(PRODUCTION, fingerprint("apprise", secret)) == secret
        state = node.app.state(PRODUCTION)
        assert state.contacts["prod"]["apprise"].shown == "tgram://…"
        # A change is a new event; removing is one without an address.
        set_contact(node.app, "prod", "apprise", "ntfy://showclear-alerts")
        assert node.app.state(PRODUCTION).contacts["prod"]["apprise"].shown == "ntfy://…"
        set_contact(node.app, "prod", "apprise", None)
        assert "prod" not in node.app.state(PRODUCTION).contacts


def test_only_producers_armorers_and_the_person_themself_may_set_an_address(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        answer = set_contact(node.app, "arm", "email", "evil@example.org", actor="cam")
        assert answer.verdict == "refused"
        assert [r["rule"] for r in answer.rules] == ["SC-R05"]
        refusal = _events(node, ev.COMMAND_REFUSED)[-1]
        assert "evil@" not in json.dumps(refusal)  # a refusal records no address either
        assert node.outbox is not None  # ... and the node does not keep it
        assert node.outbox.address(PRODUCTION, fingerprint("email", "evil@example.org")) is None
        set_contact(node.app, "arm", "email", "arm@example.org", actor="arm")
        refused = set_contact(node.app, "arm", "email", "arm@example.org", actor="cam")
        assert refused.verdict == "refused"  # the same address, refused for cam: still arm's
        assert node.outbox.address(PRODUCTION, fingerprint("email", "arm@example.org"))
        assert set_contact(node.app, "cam", "email", "cam@example.org", actor="cam").verdict == (
            "accepted"
        )
        assert set_contact(node.app, "nobody", "email", "x@example.org").verdict == "refused"


@pytest.mark.parametrize(
    ("channel", "address", "field"),
    [
        ("email", "not an address", "address"),
        ("email", "a@b", "address"),
        ("email", "x" * 250 + "@example.org", "address"),
        ("email", "line@example.org\r\nBcc: all@example.org", "address"),
        ("email", "bidi\u202e@example.org", "address"),
        ("apprise", "javascript:alert(1)", "address"),
        ("apprise", "json://" + "a" * 2000, "address"),
        ("sms", "+15550100", "channel"),
        ("email", 42, "address"),
    ],
)
def test_hostile_addresses_are_refused_naming_the_field(
    alert_store: str | Path, channel: str, address: Any, field: str
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        head = node.app.state(PRODUCTION).version
        with pytest.raises(Malformed) as caught:
            set_contact(node.app, "prod", channel, address)
        assert caught.value.field == field
        assert node.app.state(PRODUCTION).version == head  # nothing recorded


def test_a_fingerprint_cannot_be_sent_instead_of_an_address(alert_store: str | Path) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        raw = {"type": "set_contact", "person": "prod", "channel": "email", "fingerprint": "0" * 64,
               "shown": "x"}  # fmt: skip
        with pytest.raises(Malformed) as caught:
            node.app.execute(PRODUCTION, raw, actor="prod")
        assert caught.value.field == "fingerprint"


def test_a_drill_in_memory_keeps_no_addresses_and_says_where_to_set_them() -> None:
    with open_node(None) as node:
        replay_until_watch(node.app)
        head = node.app.state(PRODUCTION).version
        with pytest.raises(Malformed) as caught:
            set_contact(node.app, "prod", "email", "prod@example.org")
        assert caught.value.field == "address"
        assert "drill run in memory" in str(caught.value) and "People screen" in str(caught.value)
        assert node.app.state(PRODUCTION).version == head  # nothing recorded


# -- the outbox is the record -------------------------------------------------------------------


def test_an_alert_puts_one_delivery_per_person_and_address_in_the_outbox(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        set_contact(node.app, "prod", "email", "prod@example.org")
        set_contact(node.app, "prod", "apprise", "json://127.0.0.1:9/")
        set_contact(node.app, "arm", "email", "arm@example.org")
        set_contact(node.app, "lead", "email", "lead@example.org")
        clock.set(ESCALATION_DEADLINE.replace(second=1))
        assert node.app.fire_due(PRODUCTION) == 2  # both SC-C07 stages fall due at once
        alerts = _events(node, ev.ALERT_RAISED)
        first, escalation = (a["seq"] for a in alerts)
        outbox = node.app.state(PRODUCTION).outbox
        assert sorted(outbox) == [
            (first, "arm", "email"),
            (escalation, "prod", "apprise"),
            (escalation, "prod", "email"),
        ]
        # Rebuilt from the record alone (a restart): the same outbox.
        node.app.service._states.clear()
        assert sorted(node.app.state(PRODUCTION).outbox) == sorted(outbox)


# -- the worker: SMTP, Apprise, retries ------------------------------------------------------------


def test_the_worker_sends_by_smtp_and_apprise_and_records_who_was_told(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with (
        smtp_server() as (inbox, port),
        http_endpoint() as (hooks, http_port),
        _node(alert_store, clock) as node,
    ):
        set_contact(node.app, "prod", "email", "prod@example.org")
        set_contact(node.app, "prod", "apprise", f"json://127.0.0.1:{http_port}/")
        clock.set(ESCALATION_DEADLINE.replace(second=1))
        node.app.fire_due(PRODUCTION)
        assert node.outbox is not None
        smtp = SmtpSender("127.0.0.1", "showclear@set.example", port)
        worker = Deliverer(node.app, node.outbox, senders("send", smtp))
        assert worker.run_once() == 2
        assert worker.run_once() == 0  # recorded: never sent again
        (message,) = inbox.to("prod@example.org")
        assert "SC-C07" in message["Subject"] and "sw29" in message["Subject"]
        assert message["Message-ID"].startswith("<alert-")
        (post,) = hooks.bodies
        assert "STILL with lead" in post["message"]
        told = _events(node, ev.ALERT_DELIVERED)
        assert sorted((t["data"]["person"], t["data"]["channel"], t["data"]["transport"])
                      for t in told) == [("prod", "apprise", "apprise"),
                                         ("prod", "email", "smtp")]  # fmt: skip
        assert all(t["data"]["attempts"] == 1 and t["actor"] == "showclear" for t in told)
        assert not node.app.state(PRODUCTION).outbox


def test_a_failing_channel_is_retried_with_backoff_then_recorded_as_failed(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    closed = free_port()  # nothing listens there: every connection is refused
    with _node(alert_store, clock) as node:
        set_contact(node.app, "prod", "email", "prod@example.org")
        clock.set(ESCALATION_DEADLINE.replace(second=1), frozen=True)
        node.app.fire_due(PRODUCTION)
        assert node.outbox is not None
        smtp = SmtpSender("127.0.0.1", "showclear@set.example", closed, timeout=5)
        retry = RetryPolicy(max_attempts=3, first_backoff=60)
        worker = Deliverer(node.app, node.outbox, senders("send", smtp), retry=retry)
        assert worker.run_once() == 1  # attempt 1 fails
        assert worker.run_once() == 0  # not before its backoff
        clock.advance(59)
        assert worker.run_once() == 0
        clock.advance(1)
        assert worker.run_once() == 1  # attempt 2, 60 s later
        clock.advance(119)
        assert worker.run_once() == 0  # the backoff doubled
        clock.advance(1)
        assert worker.run_once() == 1  # attempt 3: the last
        assert worker.run_once() == 0
        (failed,) = _events(node, ev.ALERT_DELIVERY_FAILED)
        assert failed["data"]["attempts"] == 3
        assert failed["data"]["person"] == "prod" and failed["data"]["channel"] == "email"
        assert "cannot reach the SMTP server" in failed["data"]["error"]
        assert not _events(node, ev.ALERT_DELIVERED)
        assert not node.app.state(PRODUCTION).outbox
        assert node.outbox.attempts(PRODUCTION) == {}


def test_a_permanent_failure_is_recorded_at_once(alert_store: str | Path) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        set_contact(node.app, "prod", "email", "prod@example.org")
        set_contact(node.app, "prod", "apprise", "nosuchservice://x")
        clock.set(ESCALATION_DEADLINE.replace(second=1))
        node.app.fire_due(PRODUCTION)
        assert node.outbox is not None
        worker = Deliverer(node.app, node.outbox, senders("send", None))  # no SMTP server set
        assert worker.run_once() == 2
        failed = {e["data"]["channel"]: e["data"] for e in _events(node, ev.ALERT_DELIVERY_FAILED)}
        assert "--smtp-host" in failed["email"]["error"]
        assert "Apprise does not know" in failed["apprise"]["error"]
        assert failed["email"]["attempts"] == failed["apprise"]["attempts"] == 1


# -- the web app: the timer and the worker run by themselves -------------------------------------


def test_smtp_receives_the_sc_c07_escalation_within_60_s_of_its_deadline_with_no_request(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with smtp_server() as (inbox, port):
        node = _node(alert_store, clock, web=True)
        set_contact(node.app, "prod", "email", "prod@example.org")
        set_contact(node.app, "ad", "email", "ad@example.org", actor="ad")
        settings = AlertSettings(smtp_host="127.0.0.1", smtp_port=port)  # default 10 s timer
        app = create_app(node, alerts=settings)
        with BackgroundServer(app):  # started, and no request is ever made
            clock.set(ESCALATION_DEADLINE, frozen=False)  # time runs from the deadline on
            inbox.wait_for(lambda ms: any("prod@example.org" in r for r, _ in ms), 60)
            received_at = clock()
            assert received_at - ESCALATION_DEADLINE <= timedelta(seconds=60)
            (escalation,) = inbox.to("prod@example.org")
            assert "STILL" in escalation["Subject"] and "SC-C07" in escalation["Subject"]
            inbox.wait_for(lambda ms: any("ad@example.org" in r for r, _ in ms), 60)
        db = alert_store
        alerts = [e for e in _stored(db, ev.ALERT_RAISED) if e["data"]["rule"] == "SC-C07"]
        assert [e["actor"] for e in alerts] == ["showclear", "showclear"]
        assert {e["data"]["to"][0] for e in alerts} == {"armorer", "producer"}
        escalated = next(e for e in alerts if e["data"]["to"] == ["producer"])
        raised_at = datetime.fromisoformat(escalated["at"])
        assert timedelta(0) < raised_at - ESCALATION_DEADLINE <= timedelta(seconds=30)
        told = {e["data"]["person"] for e in _stored(db, ev.ALERT_DELIVERED)}
        assert told == {"prod", "ad"}


def test_the_incident_report_and_the_history_show_who_was_told_when_and_how(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    closed = free_port()
    with smtp_server() as (inbox, port), _node(alert_store, clock) as node:
        set_contact(node.app, "prod", "email", "prod@example.org")
        set_contact(node.app, "ad", "email", "ad@example.org", actor="ad")
        clock.set(ESCALATION_DEADLINE.replace(second=1), frozen=True)
        node.app.fire_due(PRODUCTION)
        assert node.outbox is not None
        good = Deliverer(node.app, node.outbox,
                         {"email": SmtpSender("127.0.0.1", "sc@set.example", port)})  # fmt: skip
        bad = Deliverer(node.app, node.outbox,
                        {"email": SmtpSender("127.0.0.1", "sc@set.example", closed, timeout=5)},
                        retry=RetryPolicy(max_attempts=1))  # fmt: skip
        # The producer's escalation goes out; the 1st AD's first alert meets a dead server.
        state = node.app.state(PRODUCTION)
        first = min(k[0] for k in state.outbox)
        held = (first, "ad", "email")
        node.outbox.begin_attempt(PRODUCTION, held, clock().isoformat())
        later = "9999-01-01T00:00:00+00:00"
        node.outbox.end_attempt(PRODUCTION, held, next_at=later, error="held back by the test")
        assert good.run_once() == 1
        node.outbox.forget(PRODUCTION, held)
        assert bad.run_once() == 1
        node.app.execute(PRODUCTION, {"type": "file_incident", "incident": "inc-1",
                                      "cause": "sw29 not returned"}, actor="ss")  # fmt: skip
        envs = node.app.read(lambda b: envelopes(b, PRODUCTION))
        report = incident_timeline(node.app.state(PRODUCTION), envs, "inc-1", window=60)
        rows = {(r["event"], r["people"]): r for r in report.rows}
        told = rows[("Alert SC-C07 delivered", "to Producer (prod; producer)")]
        assert "email p…@example.org" in told["details"] and "via smtp" in told["details"]
        missed = rows[("Alert SC-C07 NOT delivered", "to 1st AD (ad; first ad)")]
        assert "cannot reach the SMTP server" in missed["details"] and missed["flag"] == "alert"
        assert len(inbox.to("prod@example.org")) == 1
        prod_history = history(envs, [("person", "prod")])
        assert [r["type"] for r in prod_history if r["type"].startswith("alert_deliver")] == [
            "alert_delivered"
        ]


def test_the_timer_raises_each_deadline_once_by_the_injected_clock(alert_store: str | Path) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        timer = WatchdogTimer(node.app, interval=3600)  # ticked by hand here
        clock.set(FIRST_DEADLINE, frozen=True)
        assert timer.tick() == 0  # at the deadline is still in time
        clock.set(FIRST_DEADLINE + timedelta(seconds=1))
        assert timer.tick() == 1
        assert timer.tick() == 0
        clock.set(ESCALATION_DEADLINE + timedelta(seconds=1))
        assert timer.tick() == 1
        assert timer.tick() == 0
        raised = _events(node, ev.ALERT_RAISED)
        assert [(e["data"]["to"], e["at"]) for e in raised] == [
            (["armorer", "first_ad"], "1984-10-12T09:20:01-07:00"),
            (["producer"], "1984-10-12T09:25:01-07:00"),
        ]


def test_the_timer_and_delivery_leave_alone_a_production_another_node_writes(
    tmp_path: Path,
) -> None:
    """The studio holds a set node's production by its pushes: its deadlines and alerts are the
    node's. Both threads ask the application's one guard (`written_by`, read at each check);
    when it cannot be read they fire and send nothing rather than fork the node's record."""
    writer: dict[str, str | None] = {PRODUCTION: "set node harbor-laptop"}

    def written_by(production: str) -> str | None:
        if production in lost:
            raise StoreUnavailableError("lost the connection to PostgreSQL")
        return writer.get(production)

    lost: set[str] = set()
    clock = MovableClock(FIRST_DEADLINE)
    with _node(tmp_path / "set.db", clock) as node:
        assert node.outbox is not None
        set_contact(node.app, "prod", "email", "prod@example.org")
        node.app.written_by = written_by  # as the studio's bootstrap wires it
        clock.set(ESCALATION_DEADLINE + timedelta(seconds=1), frozen=True)
        timer = WatchdogTimer(node.app, 3600)
        assert timer.tick() == 0  # another node writes it
        lost.add(PRODUCTION)
        assert timer.tick() == 0  # no telling who writes it
        assert not _events(node, ev.ALERT_RAISED)  # rather late than a fork of another's record
        lost.clear()
        writer[PRODUCTION] = None  # the writer moved to this node
        assert timer.tick() == 2  # the first deadline and its escalation

        deliver = Deliverer(node.app, node.outbox, senders("log", None))
        writer[PRODUCTION] = "set node harbor-laptop"
        assert deliver.run_once() == 0  # the alert is the writer's to send and record
        lost.add(PRODUCTION)
        with pytest.raises(StoreUnavailableError):
            deliver.run_once()  # the worker's loop logs it and tries again
        assert not _events(node, ev.ALERT_DELIVERED)
        lost.clear()
        writer[PRODUCTION] = None
        assert deliver.run_once() == 1
        assert [e["data"]["transport"] for e in _events(node, ev.ALERT_DELIVERED)] == ["log"]


def test_log_mode_sends_nothing_out_and_records_the_log_as_the_transport(
    alert_store: str | Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with _node(alert_store, clock) as node:
        set_contact(node.app, "prod", "email", "prod@example.org")
        clock.set(ESCALATION_DEADLINE.replace(second=1))
        node.app.fire_due(PRODUCTION)
        assert node.outbox is not None
        with caplog.at_level("WARNING", logger="showclear.alerts"):
            assert Deliverer(node.app, node.outbox, senders("log", None)).run_once() == 1
        assert "ALERT for prod (email)" in caplog.text and "prod@example.org" not in caplog.text
        (told,) = _events(node, ev.ALERT_DELIVERED)
        assert told["data"]["transport"] == "log"


def test_a_mail_server_that_refuses_for_good_is_not_asked_again_but_one_that_defers_is(
    alert_store: str | Path,
) -> None:
    clock = MovableClock(FIRST_DEADLINE)
    with smtp_server() as (inbox, port), _node(alert_store, clock) as node:
        inbox.refuse = {"prod@example.org": "550 5.1.1 no such mailbox",
                        "ad@example.org": "451 4.3.0 try again later"}  # fmt: skip
        set_contact(node.app, "prod", "email", "prod@example.org")
        set_contact(node.app, "ad", "email", "ad@example.org", actor="ad")
        clock.set(ESCALATION_DEADLINE.replace(second=1), frozen=True)
        node.app.fire_due(PRODUCTION)
        assert node.outbox is not None
        smtp = SmtpSender("127.0.0.1", "sc@set.example", port)
        worker = Deliverer(node.app, node.outbox, {"email": smtp},
                           retry=RetryPolicy(max_attempts=2, first_backoff=30))  # fmt: skip
        assert worker.run_once() == 2
        (refused,) = _events(node, ev.ALERT_DELIVERY_FAILED)
        assert refused["data"]["person"] == "prod" and refused["data"]["attempts"] == 1
        assert "refused the address (550)" in refused["data"]["error"]
        inbox.refuse.pop("ad@example.org")  # the server takes it now
        clock.advance(30)
        assert worker.run_once() == 1
        (told,) = _events(node, ev.ALERT_DELIVERED)
        assert told["data"]["person"] == "ad" and told["data"]["attempts"] == 2
        assert inbox.rcpt_attempts.count("prod@example.org") == 1
        assert inbox.rcpt_attempts.count("ad@example.org") == 2
        assert len(inbox.to("ad@example.org")) == 1
