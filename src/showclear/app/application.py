"""The one application service: every entry point sends a command in and gets an answer out.

    web page / API      execute(production, raw, actor=signed-in person)   time: this node's clock
    drill runner, demo  replay(production, raw)                            the line's actor, time
    sign-in             record_lockout, record_pin_set                     facts the shell saw
        -> written by another node?  WrittenByAnotherNode: nothing stored  (`check_writable`)
        -> parse (domain.parse_command)                                    Malformed: nothing stored
        -> command ID seen before?  answer it again from the record (idempotency.AnswerBook)
        -> Service.execute_many: decide on the projection, append, evolve  group commit
        -> the ledger signs a checkpoint of the new head (LedgerNode, off the writer)
        <- Answer (answers.py): verdict, rules with reason and next step, alerts, events, head

All of it runs on the writer (writer.py): one thread of its own in the web app, the caller's
thread on the command line and in drills. Requests queue up (`submit`) while the writer is
busy; its next turn decides all of them in arrival order, each on the state the previous ones
left, and records them in one durable transaction per production (one fsync, one signed
checkpoint). Nobody is answered before the commit that holds their events.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar

from showclear.app.answers import Answer, Recorded, answer_of
from showclear.app.clock import Clock, command_time, local_now
from showclear.app.idempotency import AnswerBook
from showclear.app.ledger import LedgerNode
from showclear.app.service import Service, Subscriber
from showclear.app.writer import InlineWriter, Writer
from showclear.domain import Command, Event, Malformed, Outcome, State, due, parse_command
from showclear.domain import events as ev
from showclear.domain.commands import SetContact
from showclear.domain.contacts import parse_contact
from showclear.errors import CommandIdReused, NoStore, UnknownProduction, WrittenByAnotherNode
from showclear.ports import AlertOutbox, LedgerBackend

T = TypeVar("T")
WrittenBy = Callable[[str], str | None]
"""The node that writes a production, by name, when that is another node (a set node enrolled
at the studio); None when this node may write it."""
Raw = Mapping[str, Any]
Item = tuple[Raw, str | None]
"""A command as sent, and the signed-in person sending it (None: a replayed line names its
actor and its time itself)."""


class Application:
    """Command in, answer out; and the reads the views make, on the writer."""

    def __init__(
        self,
        service: Service,
        *,
        backend: LedgerBackend | None = None,
        ledger: LedgerNode | None = None,
        writer: Writer | None = None,
        clock: Clock = local_now,
        outbox: AlertOutbox | None = None,
        written_by: WrittenBy | None = None,
    ) -> None:
        self.service = service
        self.written_by = written_by
        # Where contact addresses are kept (out of the record: see domain/contacts.py).
        self.outbox = outbox
        self.backend = backend
        self.ledger = ledger
        self.writer: Writer = writer or InlineWriter()
        self.clock = clock
        self.book = AnswerBook(service.store, self.service.state)
        # Commands waiting for the writer's next batch (see `submit`).
        self._queue: list[tuple[str | None, Raw, str | None, Future[Answer]]] = []
        self._queue_lock = threading.Lock()
        self._drain_scheduled = False

    # -- commands -----------------------------------------------------------------------------

    def execute(self, production: str, raw: Raw, *, actor: str) -> Answer:
        """Parse, de-duplicate and record one command of the signed-in `actor`, at this node's
        clock. Raises MalformedInput's domain cause (Malformed), CommandIdReused or
        UnknownProduction."""
        return self.submit(production, raw, actor).result()

    async def aexecute(self, production: str, raw: Raw, *, actor: str) -> Answer:
        """`execute` through the writer's queue, awaited (group commit with its neighbours)."""
        return await asyncio.wrap_future(self.submit(production, raw, actor))

    def replay(self, production: str | None, raw: Raw) -> Answer:
        """One line of a drill or of the demo seed: it names its actor and its time. Without a
        production yet, the line must open one (Answer.production says which)."""
        if not production:
            opened = raw.get("production") if raw.get("type") == "open_production" else None
            production = opened if isinstance(opened, str) else ""
        return self.submit(production, raw, None).result()

    def submit(self, production: str, raw: Raw, actor: str | None) -> Future[Answer]:
        """Queue a command for the writer (from any thread); the future gets its answer.

        While the writer is busy (deciding, fsyncing), commands pile up here; its next turn
        takes all of them and records them in one transaction per production.
        """
        future: Future[Answer] = Future()
        with self._queue_lock:
            self._queue.append((production, raw, actor, future))
            if self._drain_scheduled:
                return future
            self._drain_scheduled = True
        self.writer.schedule(self._drain)
        return future

    def _drain(self) -> None:
        """On the writer: answer every queued command, one batch per production."""
        with self._queue_lock:
            queued, self._queue = self._queue, []
            self._drain_scheduled = False
        groups: dict[str, list[tuple[Raw, str | None, Future[Answer]]]] = {}
        for production, raw, actor, future in queued:
            if future.set_running_or_notify_cancel():  # skip requests given up meanwhile
                groups.setdefault(production or "", []).append((raw, actor, future))
        for production, group in groups.items():
            try:
                results = self.execute_batch(production, [(raw, actor) for raw, actor, _ in group])
            except BaseException as exc:
                for _, _, future in group:
                    future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, _, future), result in zip(group, results, strict=True):
                if isinstance(result, Answer):
                    future.set_result(result)
                else:
                    future.set_exception(result)

    def execute_batch(self, production: str, items: Sequence[Item]) -> list[Answer | Exception]:
        """Each item in order, recorded in one append (group commit); on the writer.

        Each item gets its answer or its own exception (Malformed, CommandIdReused,
        UnknownProduction). A command ID repeated inside the batch is answered like a later
        repeat: from what the first one recorded. An error of the whole batch (a busy store) is
        raised.
        """
        self.check_writable(production)
        state = self.service.state(production)
        results: list[Answer | Exception | None] = [None] * len(items)
        stored: list[tuple[int, str]] = []  # (item, fingerprint) of addresses stored here
        cmds: list[Command] = []
        slots: list[int] = []  # the item index of each command in cmds
        first_in_batch: dict[str, int] = {}  # command_id -> the item that brought it first
        repeats: list[tuple[int, Command]] = []
        for i, (raw, actor) in enumerate(items):
            try:
                if isinstance(raw, Mapping) and raw.get("type") == SetContact.TYPE:
                    raw = self._contact_command(production, raw)
                    if raw.get("fingerprint"):
                        stored.append((i, raw["fingerprint"]))
                if actor is None:
                    cmd = parse_command(raw)
                else:
                    if state.production is None:
                        raise UnknownProduction(production)
                    at = command_time(state, self.clock)
                    cmd = parse_command(raw, actor=actor, at=at, extra=True)
            except Exception as exc:  # Malformed; never the other commands' problem
                results[i] = exc
                continue
            cid = cmd.command_id
            if cid is not None:
                if cid in first_in_batch:
                    repeats.append((i, cmd))
                    continue
                seen = self.book.lookup(production, cmd)
                if seen is not None:
                    results[i] = seen
                    continue
                first_in_batch[cid] = i
            cmds.append(cmd)
            slots.append(i)
        if cmds:
            outcomes = self.service.execute_many(production, cmds)
            head = self.service.state(production).version
            seq = head - sum(len(o.events) for o in outcomes if isinstance(o, Outcome)) + 1
            for i, cmd, outcome in zip(slots, cmds, outcomes, strict=True):
                if not isinstance(outcome, Outcome):  # that command's own failure
                    results[i] = outcome
                    continue
                results[i] = answer_of(production, cmd, outcome, seq)
                recorded: list[Recorded] = [
                    (seq + k, e.type, e.actor, e.data) for k, e in enumerate(outcome.events)
                ]
                self.book.remember(production, cmd, recorded)
                seq += len(outcome.events)
        retry: list[int] = []
        for i, cmd in repeats:
            seen = self.book.lookup(production, cmd)
            if seen is None:  # the first recorded nothing (it was malformed): decide this one
                retry.append(i)
            else:
                results[i] = seen
        if retry:
            again = self.execute_batch(production, [items[i] for i in retry])
            for i, result in zip(retry, again, strict=True):
                results[i] = result
        self._drop_unused_addresses(production, stored, results)
        return [r if r is not None else RuntimeError("no answer") for r in results]

    def _drop_unused_addresses(
        self,
        production: str,
        stored: list[tuple[int, str]],
        results: Sequence[Answer | Exception | None],
    ) -> None:
        """An address stored for a set_contact that was then refused (or failed) is deleted
        again, unless the record names it for someone: nobody fills the node with addresses
        they may not set."""
        if not stored or self.outbox is None:
            return
        state = self.service.state(production)
        named = {c.fingerprint for held in state.contacts.values() for c in held.values()}
        for i, fp in stored:
            result = results[i]
            accepted = isinstance(result, Answer) and result.verdict == "accepted"
            if not accepted and fp not in named:
                self.outbox.drop_address(production, fp)

    def _contact_command(self, production: str, raw: Raw) -> Raw:
        """`set_contact` as sent (with the `address`) -> as decided (its fingerprint and masked
        form): the address is stored by the node, before the command (a crash then leaves an
        unused address, never a record naming one the node lacks), and never recorded."""
        if "fingerprint" in raw or "shown" in raw:
            raise Malformed("fingerprint", "is worked out by the node; send the address")
        rest = {k: v for k, v in raw.items() if k != "address"}
        address = raw.get("address")
        if address is None or address == "":
            return rest  # no address: remove the channel's
        contact = parse_contact(raw.get("channel"), address)
        if self.outbox is None:  # a drill run in memory
            raise Malformed(
                "address",
                "this node keeps no alert addresses (a drill run in memory): set them on the "
                "People screen of the node that serves the production",
            )
        self.outbox.put_address(production, contact.fingerprint, contact.address)
        return {**rest, "fingerprint": contact.fingerprint, "shown": contact.shown}

    # -- facts the shell observed -------------------------------------------------------------

    def fire_due(self, production: str) -> int:
        """Record the watchdog alerts that have fallen due by this node's clock, with nobody
        acting (the web app's timer calls this); how many events were recorded."""
        state = self.loaded_state(production)
        if state is None or (state.next_deadline is None and state.next_due_back is None):
            return 0  # nothing can fall due: no trip through the writer
        return self.writer.call(self._fire_due, production)

    def _fire_due(self, production: str) -> int:
        self.check_writable(production)
        self._known(production)

        def fallen_due(state: State) -> list[Event]:
            at = command_time(state, self.clock)
            return due(state, datetime.fromisoformat(at), at)

        outcome = self.service.record_events(production, fallen_due, "")
        return len(outcome.events)

    def record_fact(self, production: str, type_: str, actor: str, data: dict[str, Any]) -> None:
        """Record a fact the node observed (an alert's delivery), at this node's clock."""
        self.writer.call(self._record, production, type_, actor, data)

    def record_pin_set(self, production: str, person: str, by: str, replaced: bool) -> None:
        """The record of a PIN set (first PIN) or reset (replaced; sessions end): never the PIN."""
        self.writer.call(self._record, production, ev.PIN_RESET if replaced else ev.PIN_SET,
                         by, {"person": person, "by": by})  # fmt: skip

    def record_lockout(self, production: str, person: str, until: datetime, where: str) -> None:
        """The record of a lockout after five wrong PINs."""
        data = {
            "person": person,
            "until": until.isoformat(timespec="seconds"),
            "where": where,
            "failures": 5,
        }
        self.writer.call(self._record, production, ev.PIN_LOCKED_OUT, person, data)

    def _record(self, production: str, type_: str, actor: str, data: dict[str, Any]) -> None:
        self.check_writable(production)
        state = self._known(production)
        at = command_time(state, self.clock)
        self.service.record_system_event(production, type_, actor, at, data)

    # -- one writer per production ------------------------------------------------------------

    def check_writable(self, production: str) -> None:
        """Raise WrittenByAnotherNode when another node writes `production`.

        On the studio a production a set node is enrolled to write arrives by that node's
        pushes only: an event of the studio's own there (a command, a PIN change or lockout,
        an alert or its delivery) would fork the record the node pushes next, and its next push
        would be refused. Every append of this application passes here first (`execute_batch`,
        `_fire_due`, `_record`), and sign-in asks before it checks a PIN. Asked afresh each time
        (`written_by` reads the studio's current writer), so an enrolment or a writer move made
        while the server runs holds at once.
        """
        if self.written_by is None:
            return
        writer = self.written_by(production)
        if writer is not None:
            raise WrittenByAnotherNode.naming(production, writer)

    def may_write(self, production: str) -> bool:
        """Whether this node may append to `production` (`check_writable` as a question): asked
        before an action that is not itself an append but ends in one, such as sending an alert
        whose outcome must be recorded. Raises when the studio's records cannot be read."""
        try:
            self.check_writable(production)
        except WrittenByAnotherNode:
            return False
        return True

    # -- reading ------------------------------------------------------------------------------

    def _known(self, production: str) -> State:
        state = self.service.state(production)
        if state.production is None:
            raise UnknownProduction(production)
        return state

    def state(self, production: str) -> State:
        """The production's projection (raises UnknownProduction)."""
        return self.writer.call(self._known, production)

    async def astate(self, production: str) -> State:
        loaded = self.loaded_state(production)
        if loaded is not None:  # no trip through the writer's queue for a state in memory
            return loaded
        return await self.writer.acall(self._known, production)

    def loaded_state(self, production: str) -> State | None:
        """The production's projection when already loaded (from any thread, no writer hop).

        Commits update it before their requests are answered, so a client reads its own
        writes. None when not loaded yet or not a production: ask the writer (`state`).
        """
        state = self.service.cached_state(production)
        return state if state is not None and state.production is not None else None

    def productions(self) -> list[tuple[str, str]]:
        """(ID, title) of every production in the store."""

        def listed() -> list[tuple[str, str]]:
            names = self.service.store.productions() if self.service.store is not None else []
            return [(p, self.service.state(p).title) for p in names]

        return self.writer.call(listed)

    def read(self, fn: Callable[[LedgerBackend], T]) -> T:
        """Run a view over the store on the writer (a connection belongs to its thread)."""
        return self.writer.call(lambda: self._read(fn))

    async def aread(self, fn: Callable[[LedgerBackend], T]) -> T:
        return await self.writer.acall(lambda: self._read(fn))

    def _read(self, fn: Callable[[LedgerBackend], T]) -> T:
        if self.backend is None:
            raise NoStore("This node keeps no store (a drill run in memory).")
        return fn(self.backend)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on the writer and wait (from any other thread)."""
        return self.writer.call(fn, *args)

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Call `fn(production, outcome, state)` after every commit."""
        return self.service.subscribe(fn)

    def close(self) -> None:
        self.writer.close()


__all__ = ["Answer", "Application", "CommandIdReused", "Item", "UnknownProduction", "WrittenBy"]
