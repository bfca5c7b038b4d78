"""The one path from a signed-in request to the service: clock, actor, duplicates, the writer.

    raw JSON + signed-in person
      -> parse_command(raw, actor=person, at=server clock)     422 when malformed
      -> same command_id seen before?  answer it again from the record, record nothing
      -> Service.execute_many (on the writer thread)            200 accepted | 409 refused
                                                                403 when refused by SC-R05

A single writer thread owns the SQLite store (a `sqlite3` connection belongs to the thread
that opened it) and runs every command and every read of the projection. Commands are
serialised by the service anyway, so one thread costs no throughput, and checking a
command_id and executing the command can never interleave with a duplicate.

Group commit: requests queue up (`submit`) while the writer is busy; its next turn decides
all of them in arrival order, each on the state the previous ones left, and records them in
one durable transaction (one fsync, one signed checkpoint). Nobody is answered before the
commit that holds their events.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.service import Service
from showclear.app.signin import Auth
from showclear.bootstrap import open_service
from showclear.domain import Command, Malformed, Outcome, State, parse_command
from showclear.domain import events as ev
from showclear.domain.parsing import command_digest, wire_digest
from showclear.domain.rules.records import WHO, may_act_as

T = TypeVar("T")
Clock = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


def command_time(state: State, clock: Clock) -> str:
    """The server's wall clock, never earlier than the record's clock.

    A store that holds later times (a drill replayed from the future) would otherwise make
    every command malformed ("time goes backwards"); the record then keeps its last time.
    """
    now = clock()
    if state.now is not None and now < state.now:
        now = state.now
    return now.isoformat(timespec="seconds")


def forbidden_type(state: State, person: str, type_name: str) -> bool:
    """DRILLS.md "who": this person can never issue this command type (SC-R05)."""
    roles = WHO.get(type_name)
    return roles is not None and not may_act_as(state, person, roles)


@dataclass
class Answer:
    """What the API says about one command; `status` is 200, 403 or 409."""

    status: int
    verdict: str
    type: str
    message: str
    command_id: str | None = None
    actor: str = ""
    rules: list[dict[str, str]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    head: int = 0
    duplicate: bool = False
    digest: str | None = None  # command_digest: a reused command_id is told from a repeat

    def body(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "type": self.type,
            "message": self.message,
            "command_id": self.command_id,
            "rules": self.rules,
            "alerts": self.alerts,
            "events": self.events,
            "head": self.head,
            "duplicate": self.duplicate,
        }


class UnknownProduction(LookupError):
    pass


class IdReused(ValueError):
    """A command_id came back with a different command (type, actor or content)."""


def _same_command(seen: Answer, cmd: Command) -> bool:
    if seen.type != cmd.TYPE or seen.actor != cmd.actor:
        return False
    # Answers rebuilt from events recorded before digests were kept have none to compare.
    return seen.digest is None or seen.digest == command_digest(cmd)


def _status(outcome: Outcome, forbidden: bool) -> int:
    if outcome.verdict == "accepted":
        return 200
    return 403 if forbidden and "SC-R05" in outcome.rules else 409


class Runtime:
    """Owns the store, the service and the writer thread."""

    def __init__(self, store_path: str | Path, clock: Clock = local_now) -> None:
        self.clock = clock
        self.path = Path(store_path)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="showclear-writer")
        self.store: SQLiteEventStore
        self.service: Service
        self.store, self.service = self._writer.submit(self._open).result()
        # production -> command_id -> the answer given (rebuilt from the record on first use)
        self._answers: dict[str, dict[str, Answer]] = {}
        # Commands waiting for the writer's next batch (see `submit`).
        self._queue: list[tuple[str, dict[str, Any], str, Future[Answer]]] = []
        self._queue_lock = threading.Lock()
        self._drain_scheduled = False

    def _open(self) -> tuple[SQLiteEventStore, Service]:
        # open_service adds the ledger: every commit is covered by a signed checkpoint (SC-R04).
        service = open_service(self.path)
        store: SQLiteEventStore = service.store  # type: ignore[assignment]
        return store, service

    def close(self) -> None:
        self._writer.submit(self.store.close).result()
        self._writer.shutdown()

    # -- running on the writer thread ---------------------------------------------------------

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on the writer thread and wait (from any other thread)."""
        return self._writer.submit(fn, *args).result()

    async def acall(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    def loaded_state(self, production: str) -> State | None:
        """The production's projection when already loaded (from any thread, no writer hop).

        Commits update it before their requests are answered, so a client reads its own
        writes. None when not loaded yet or not a production: ask the writer (`state`).
        """
        state = self.service.cached_state(production)
        return state if state is not None and state.production is not None else None

    # -- everything below runs on the writer thread --------------------------------------------

    def state(self, production: str) -> State:
        state = self.service.state(production)
        if state.production is None:
            raise UnknownProduction(production)
        return state

    def productions(self) -> list[tuple[str, str]]:
        return [(p, self.service.state(p).title) for p in self.store.productions()]

    def stored_events(self, production: str) -> list[dict[str, Any]]:
        """Every event of the production, as envelopes with their sequence numbers."""
        out = []
        for seq, payload in self.store.read_payloads(production, 0):
            env = json.loads(payload)
            env["seq"] = seq
            out.append(env)
        return out

    def execute(self, production: str, raw: dict[str, Any], actor: str) -> Answer:
        """Parse, de-duplicate and execute one command as `actor`. Raises Malformed/IdReused."""
        result = self.execute_batch(production, [(raw, actor)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def execute_batch(
        self, production: str, items: list[tuple[dict[str, Any], str]]
    ) -> list[Answer | Exception]:
        """`execute` for each (raw, actor) in order, recorded in one append (group commit).

        Each item gets its answer or the exception `execute` would raise for it (Malformed,
        IdReused). A command_id repeated inside the batch is answered like a repeat of an
        earlier request: the first one's answer, marked duplicate, nothing recorded twice.
        An error of the whole batch (unknown production, busy store) is raised.
        """
        state = self.state(production)
        answers = self._answers_for(production)
        results: list[Answer | Exception | None] = [None] * len(items)
        cmds: list[Command] = []
        slots: list[int] = []  # the item index of each command in cmds
        first_in_batch: dict[str, int] = {}  # command_id -> the item that brought it first
        repeats: list[tuple[int, int, Command]] = []  # (item, the first item, command)
        for i, (raw, actor) in enumerate(items):
            try:
                cmd = parse_command(
                    raw, actor=actor, at=command_time(state, self.clock), extra=True
                )
            except Exception as exc:  # Malformed; never the other commands' problem
                results[i] = exc
                continue
            cid = cmd.command_id
            if cid is not None and cid in answers:
                seen = answers[cid]
                same = _same_command(seen, cmd)
                results[i] = replace(seen, duplicate=True) if same else IdReused(cid)
                continue
            if cid is not None and cid in first_in_batch:
                repeats.append((i, first_in_batch[cid], cmd))
                continue
            if cid is not None:
                first_in_batch[cid] = i
            cmds.append(cmd)
            slots.append(i)
        if cmds:
            decided_on: list[State] = []
            outcomes = self.service.execute_many(production, cmds, decided_on=decided_on)
            head = self.service.state(production).version
            seq = head - sum(len(o.events) for o in outcomes if isinstance(o, Outcome)) + 1
            for i, cmd, before, outcome in zip(slots, cmds, decided_on, outcomes, strict=True):
                if not isinstance(outcome, Outcome):  # that command's own failure
                    results[i] = outcome
                    continue
                forbidden = forbidden_type(before, cmd.actor, cmd.TYPE)
                answer = self._answer(cmd, outcome, forbidden, seq)
                seq += len(outcome.events)
                if cmd.command_id is not None:
                    answers[cmd.command_id] = answer
                results[i] = answer
        retry: list[int] = []
        for i, first, cmd in repeats:
            earlier = results[first]
            if not isinstance(earlier, Answer):  # the first recorded nothing: decide this one
                retry.append(i)
            elif _same_command(earlier, cmd):
                results[i] = replace(earlier, duplicate=True)
            else:
                results[i] = IdReused(cmd.command_id)
        if retry:
            again = self.execute_batch(production, [items[i] for i in retry])
            for i, result in zip(retry, again, strict=True):
                results[i] = result
        return [r if r is not None else RuntimeError("no answer") for r in results]

    @staticmethod
    def _answer(cmd: Command, outcome: Outcome, forbidden: bool, first_seq: int) -> Answer:
        last = first_seq + len(outcome.events) - 1
        return Answer(
            _status(outcome, forbidden),
            outcome.verdict,
            cmd.TYPE,
            outcome.message,
            cmd.command_id,
            cmd.actor,
            [
                {"rule": v.rule, "reason": v.reason, "next_step": v.next_step}
                for v in outcome.decision.violations
            ],
            list(outcome.alerts),
            [{"seq": first_seq + i, "type": e.type} for i, e in enumerate(outcome.events)],
            last,
            digest=command_digest(cmd) if cmd.command_id is not None else None,
        )

    # -- group commit: requests queue up, the writer drains them in batches -------------------

    def submit(self, production: str, raw: dict[str, Any], actor: str) -> Future[Answer]:
        """Queue a command for the writer (from any thread); the future gets its answer.

        While the writer is busy (deciding, fsyncing), commands pile up here; its next turn
        takes all of them and records them in one transaction per production (one fsync and
        one signed checkpoint for the lot). Each answer is given only after that commit.
        """
        future: Future[Answer] = Future()
        with self._queue_lock:
            self._queue.append((production, raw, actor, future))
            if not self._drain_scheduled:
                self._drain_scheduled = True
                self._writer.submit(self._drain)
        return future

    async def aexecute(self, production: str, raw: dict[str, Any], actor: str) -> Answer:
        """`execute` through the writer's queue, awaited (group commit with its neighbours)."""
        return await asyncio.wrap_future(self.submit(production, raw, actor))

    def _drain(self) -> None:
        """Writer thread: answer every queued command, one batch per production."""
        with self._queue_lock:
            queued, self._queue = self._queue, []
            self._drain_scheduled = False
        groups: dict[str, list[tuple[dict[str, Any], str, Future[Answer]]]] = {}
        for production, raw, actor, future in queued:
            if future.set_running_or_notify_cancel():  # skip requests given up meanwhile
                groups.setdefault(production, []).append((raw, actor, future))
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

    def _answers_for(self, production: str) -> dict[str, Answer]:
        if production not in self._answers:
            self._answers[production] = self._answers_from_record(production)
        return self._answers[production]

    def _answers_from_record(self, production: str) -> dict[str, Answer]:
        """Rebuild the answers to earlier command IDs from the events they caused."""
        found: dict[str, Answer] = {}
        for env in self.stored_events(production):
            data = env["data"]
            if env["type"] == ev.COMMAND_REFUSED:
                command = data.get("command", {})
                cid = command.get("command_id")
                if cid is None or cid in found:
                    continue
                rules = [
                    {"rule": r, "reason": data["message"], "next_step": ""} for r in data["rules"]
                ]
                state = self.service.state(production)
                forbidden = forbidden_type(state, env["actor"], command.get("type", ""))
                status = 403 if forbidden and "SC-R05" in data["rules"] else 409
                found[cid] = Answer(
                    status,
                    "refused",
                    command.get("type", ""),
                    data["message"],
                    cid,
                    env["actor"],
                    rules,
                    head=env["seq"],
                    events=[{"seq": env["seq"], "type": env["type"]}],
                    digest=wire_digest(command),
                )
            elif (cid := data.get("command_id")) is not None:
                if cid in found:
                    found[cid].events.append({"seq": env["seq"], "type": env["type"]})
                    found[cid].head = env["seq"]
                    continue
                found[cid] = Answer(
                    200,
                    "accepted",
                    _command_type(env["type"]),
                    "Already recorded.",
                    cid,
                    env["actor"],
                    head=env["seq"],
                    events=[{"seq": env["seq"], "type": env["type"]}],
                    digest=data.get("command_digest"),
                )
        return found

    def auth(self, hasher: PasswordHasher | None = None) -> Auth:
        """Sign-in for this store, its lockouts and PIN changes recorded through this runtime."""

        def lockout(production: str, person: str, until: datetime, where: str) -> None:
            self.call(self.record_lockout, production, person, until, where)

        def pin_set(production: str, person: str, by: str, replaced: bool) -> None:
            self.call(self.record_pin_set, production, person, by, replaced)

        return Auth(self.path, hasher=hasher, on_lockout=lockout, on_pin_set=pin_set)

    def record_pin_set(self, production: str, person: str, by: str, replaced: bool) -> None:
        """The record of a PIN set (first PIN) or reset (replaced; sessions end): never the PIN."""
        state = self.state(production)
        self.service.record_system_event(
            production,
            ev.PIN_RESET if replaced else ev.PIN_SET,
            by,
            command_time(state, self.clock),
            {"person": person, "by": by},
        )

    def record_lockout(self, production: str, person: str, until: datetime, where: str) -> None:
        state = self.state(production)
        self.service.record_system_event(
            production,
            ev.PIN_LOCKED_OUT,
            person,
            command_time(state, self.clock),
            {
                "person": person,
                "until": until.isoformat(timespec="seconds"),
                "where": where,
                "failures": 5,
            },
        )


# Event type -> the command type that causes it, for answers rebuilt from the record.
_CAUSED_BY = {
    ev.PRODUCTION_OPENED: "open_production",
    ev.PERSON_ADDED: "add_person",
    ev.CREDENTIAL_ADDED: "add_credential",
    ev.CONTAINER_REGISTERED: "register_container",
    ev.FIREARM_REGISTERED: "register_firearm",
    ev.AMMO_RECEIVED: "receive_ammo",
    ev.LOT_INSPECTED: "inspect_lot",
    ev.POLICY_SET: "set_policy",
    ev.VENDOR_APPROVED: "approve_vendor",
    ev.ITEM_DISPOSED: "dispose",
    ev.NOTIFICATION_RECORDED: "record_notification",
    ev.PRODUCTION_CLOSED: "close_production",
    ev.DAY_STARTED: "start_day",
    ev.SAFETY_MEETING_HELD: "safety_meeting",
    ev.SETUP_PLANNED: "plan_setup",
    ev.SETUP_APPROVED: "approve_setup",
    ev.SETUP_COMPLETED: "complete_setup",
    ev.ROUNDS_VERIFIED: "verify_rounds",
    ev.FIREARM_LOADED: "load",
    ev.FIREARM_UNLOADED: "unload",
    ev.FIREARM_ISSUED: "issue",
    ev.FIREARM_RETURNED: "return",
    ev.ITEM_SECURED: "secure",
    ev.ITEM_RETRIEVED: "retrieve",
    ev.FIREARM_DISCHARGED: "discharge",
    ev.MISFIRE_REPORTED: "report_misfire",
    ev.FIREARM_INSPECTED: "inspect_firearm",
    ev.LIVE_ROUND_REPORTED: "report_live_round",
    ev.CONCERN_RAISED: "report_concern",
    ev.CONCERN_ACKNOWLEDGED: "acknowledge_concern",
    ev.WORK_STOPPED: "stop_work",
    ev.INCIDENT_FILED: "file_incident",
    ev.RESUME_SIGNED: "resume_work",
    ev.TASK_ASSIGNED: "assign_task",
    ev.BREAK_CALLED: "call_break",
    ev.BREAK_ENDED: "end_break",
    ev.DAY_WRAPPED: "wrap_day",
    ev.CLOCK_TICKED: "tick",
    ev.RECORD_CORRECTED: "correct",
}


def _command_type(event_type: str) -> str:
    return _CAUSED_BY.get(event_type, event_type)


__all__ = ["Answer", "IdReused", "Malformed", "Runtime", "UnknownProduction", "command_time"]
