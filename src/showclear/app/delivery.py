"""Alert delivery: tell the people an alert is routed to, by e-mail and Apprise, and record it.

The outbox is the record itself. Every committed `alert_raised` puts one entry per person it
is routed to and per address they have into the projection's `outbox` (domain/evolve.py), so
what must be sent is fixed by the very transaction that recorded the alert; an entry leaves
the outbox only when its outcome is recorded as an event (`alert_delivered`, or
`alert_delivery_failed` with the attempts and the last error). A crash therefore never loses
a send: whatever the record holds without an outcome is sent after the restart.

Sending at most once needs one more fact, kept durably next to the record (`AlertOutbox`):
each attempt is counted and marked in flight, fsynced, before the send begins, and closed
after it. And one worker at a time: a worker claims a delivery (`AlertOutbox.claim`; on the
studio's PostgreSQL, held in the server, so two server processes on one database never both
send a message), then reads the record again (a worker that held the claim before may have
recorded the outcome) and only then counts its attempt. What that guarantees:

- a crash between the alert's commit and the send (before an attempt began, or while one was
  still connecting): sent once after the restart;
- a crash after the outcome is recorded: never sent again;
- a crash after the server took the message and before its outcome was recorded (the few
  milliseconds between the SMTP server's "250" and our commit): sent again after the
  restart, with the same Message-ID, and the outcome says `after_interrupted_attempt`. We
  choose at-least-once there: for a safety alert a repeat is better than silence.

Retries: a failure that may pass (the server unreachable, a 4xx answer) is tried again after
`first_backoff` seconds, doubling each time, up to `max_attempts`; then, or at once for a
permanent failure (a 5xx, an address the service does not know), the failure is recorded.
Times come from the node's clock (injectable), so tests move time instead of waiting.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from showclear.app.application import Application
from showclear.domain import Outcome, State
from showclear.domain import events as ev
from showclear.domain.contacts import fingerprint
from showclear.domain.state import PendingDelivery
from showclear.domain.watchdogs import SYSTEM
from showclear.ports import (
    AlertOutbox,
    AlertSender,
    Attempts,
    ConcurrencyError,
    DeliveryError,
    DeliveryKey,
    OutgoingAlert,
)

log = logging.getLogger("showclear.alerts")

RECORD_ATTEMPTS = 20
"""How many times an outcome is offered to a production other servers keep appending to."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    first_backoff: float = 30.0  # seconds; doubled after each failure
    max_backoff: float = 1800.0

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.first_backoff * 2 ** (attempts - 1), self.max_backoff))


def message_id(production: str, key: DeliveryKey) -> str:
    """One delivery's Message-ID, the same on every attempt (hostile IDs hashed away)."""
    digest = hashlib.sha256(f"{production}\0{key[0]}\0{key[1]}\0{key[2]}".encode()).hexdigest()
    return f"<alert-{key[0]}.{digest[:32]}@showclear>"


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def outgoing(production: str, title: str, item: PendingDelivery, address: str) -> OutgoingAlert:
    subject = _one_line(f"ShowClear ALERT {item.rule} ({title or production}): {item.message}", 150)
    body = (
        f"{item.message}\n\n"
        f"Rule {item.rule}, raised at {item.at} on production {production}.\n"
        f"You get this because you are on that production in a role this alert goes to.\n"
        f"Open ShowClear to see the board and act.\n"
    )
    key = (item.alert, item.person, item.channel)
    return OutgoingAlert(
        item.channel, address, item.person, subject, body, message_id(production, key)
    )


class Deliverer:
    """A thread that empties the outbox of every production: started and stopped by the web
    app's lifecycle (`showclear serve`). Woken by each commit that raised an alert, and every
    `poll` seconds for retries that have come due."""

    def __init__(
        self,
        app: Application,
        outbox: AlertOutbox,
        senders: Mapping[str, AlertSender],
        *,
        retry: RetryPolicy | None = None,
        poll: float = 1.0,
    ) -> None:
        self.app = app
        self.outbox = outbox
        self.senders = dict(senders)
        self.retry = retry or RetryPolicy()
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe = app.subscribe(self._on_commit)

    def _on_commit(self, production: str, outcome: Outcome, state: State) -> None:
        if state.outbox:
            self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="showclear-alerts", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self.app.productions()  # loads every production: its outbox may hold unsent alerts
        except Exception:
            log.exception("alert delivery could not load the productions")
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception:  # a store error: keep the thread, try again on the next turn
                log.exception("alert delivery failed; trying again")
            self._wake.wait(self.poll)

    def run_once(self) -> int:
        """One pass over every production's outbox; how many sends were tried."""
        tried = 0
        for production in self.app.service.loaded():
            if self._stop.is_set():
                break
            if not self.app.may_write(production):
                continue  # another node writes it: its alerts are that node's to send
            state = self.app.loaded_state(production)
            if state is not None and state.outbox:
                tried += self._production(production, state)
        return tried

    def _production(self, production: str, state: State) -> int:
        records = self.outbox.attempts(production)
        tried = 0
        for key, item in sorted(state.outbox.items()):
            if self._stop.is_set():
                break
            if item.channel not in self.senders:
                continue  # a channel this worker does not send: left for one that does
            if not self._due(records.get(key)):
                continue
            if not self.outbox.claim(production, key):
                continue  # another worker (a second server on this database) is sending it
            try:
                # Read the record again under the claim: a worker that held it before us has
                # recorded its outcome by now, and that message must not go out twice.
                current = self.app.call(self.app.service.refresh, production)
                fresh = current.outbox.get(key)
                record = self.outbox.attempts(production).get(key)
                if fresh is None or not self._due(record):
                    continue
                tried += 1
                self._deliver(production, current, key, fresh, record, self.app.clock())
            finally:
                self.outbox.release(production, key)
        return tried

    def _due(self, record: Attempts | None) -> bool:
        """Not waiting out the backoff of a failed attempt."""
        if record is None or record.in_flight or record.next_at is None:
            return True
        return datetime.fromisoformat(record.next_at) <= self.app.clock()

    def _deliver(
        self,
        production: str,
        state: State,
        key: DeliveryKey,
        item: PendingDelivery,
        record: Attempts | None,
        now: datetime,
    ) -> None:
        done = record.attempts if record is not None else 0
        interrupted = record is not None and record.in_flight
        held = state.contacts.get(item.person)
        contact = held.get(item.channel) if held is not None else None
        if contact is None:
            self._failed(production, key, item, None, done, "the address was removed before "
                         "the alert could be sent")  # fmt: skip
            return
        address = self.outbox.address(production, contact.fingerprint)
        if address is None or fingerprint(item.channel, address) != contact.fingerprint:
            self._failed(production, key, item, contact.shown, done, "this node does not hold "
                         "the address the record names: set it again (People screen)")  # fmt: skip
            return
        began = self.outbox.begin_attempt(production, key, now.isoformat())
        try:
            transport = self.senders[item.channel].send(
                outgoing(production, state.title, item, address)
            )
        except DeliveryError as exc:
            error = str(exc)
            if exc.permanent or began.attempts >= self.retry.max_attempts:
                self._failed(production, key, item, contact.shown, began.attempts, error)
            else:
                retry_at = now + self.retry.backoff(began.attempts)
                self.outbox.end_attempt(production, key, next_at=retry_at.isoformat(), error=error)
                log.warning("alert %s to %s (%s): attempt %d failed (%s); next at %s",
                            item.alert, item.person, item.channel, began.attempts, error,
                            retry_at.isoformat(timespec="seconds"))  # fmt: skip
            return
        data: dict[str, Any] = {
            "alert": item.alert,
            "rule": item.rule,
            "person": item.person,
            "channel": item.channel,
            "shown": contact.shown,
            "attempts": began.attempts,
            "transport": transport,
            "message_id": message_id(production, key),
        }
        if interrupted:
            data["after_interrupted_attempt"] = True
        self._record(production, ev.ALERT_DELIVERED, key, data)

    def _failed(
        self,
        production: str,
        key: DeliveryKey,
        item: PendingDelivery,
        shown: str | None,
        attempts: int,
        error: str,
    ) -> None:
        data = {"alert": item.alert, "rule": item.rule, "person": item.person,
                "channel": item.channel, "shown": shown, "attempts": attempts,
                "error": error}  # fmt: skip
        self._record(production, ev.ALERT_DELIVERY_FAILED, key, data)

    def _record(self, production: str, type_: str, key: DeliveryKey, data: dict[str, Any]) -> None:
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                self.app.record_fact(production, type_, SYSTEM, data)
                break
            except ConcurrencyError:
                # Another server appended to the production between our reading its head and
                # our append, twice (record_fact re-reads once). Nothing of ours was stored,
                # and the claim keeps the delivery ours: try again rather than leave a message
                # sent and unrecorded, which the next holder would send a second time.
                if attempt == RECORD_ATTEMPTS:
                    raise
        self.outbox.forget(production, key)  # after the outcome is durable, never before
