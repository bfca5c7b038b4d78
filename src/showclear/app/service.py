"""The shell around the pure core: load state, decide, append durably, notify.

    command -> Service.execute(command)
        state  = projection at head (rebuilt from the store on first use)
        outcome = domain.handle(state, command)        pure
        store.append(production, state.version, events)  one durable transaction
        state  = evolve_all(state, events); notify subscribers

`execute_many` does the same for a batch (group commit): each command decided on the state
the previous ones left, all their events appended in one transaction.

Concurrency is optimistic: when another writer appended first, the service re-reads and
re-decides once (SC-C10: of two tablets issuing the same firearm, exactly one succeeds).
Without a store the service runs purely in memory (drills without --db).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from showclear.app.projection import event_from_payload, rebuild
from showclear.domain import Command, Decision, Event, Malformed, Outcome, State, evolve, handle
from showclear.domain.events import ALERT_RAISED
from showclear.domain.evolve import evolve_all
from showclear.ledger.canonical import canonical_bytes, envelope
from showclear.ports import ConcurrencyError, EventStore, NewEvent, StoredEvent, StoreError

Subscriber = Callable[[str, Outcome, State], None]


class Unrecordable(Malformed):
    """The command's events hold a value the ledger cannot write as canonical JSON."""


def _unrecordable(production: str, results: Sequence[Outcome | Exception]) -> dict[int, Exception]:
    """The positions of outcomes whose events cannot be encoded, each with the reason."""
    found: dict[int, Exception] = {}
    for i, result in enumerate(results):
        if not isinstance(result, Outcome):
            continue
        for e in result.events:
            try:
                canonical_bytes(envelope(production, 1, e.type, 1, e.actor, e.at, e.data))
            except Exception as exc:
                found[i] = Unrecordable(None, f"cannot be recorded: {exc}")
                break
    return found


class CommitHook(Protocol):
    """The ledger's side of a commit (`showclear.app.ledger.LedgerNode`)."""

    def committed(self, production: str, head: int) -> None: ...


class Service:
    def __init__(
        self,
        store: EventStore | None = None,
        on_commit: Callable[[str, list[StoredEvent]], Any] | None = None,
        ledger: CommitHook | None = None,
    ) -> None:
        self.store = store
        self.on_commit = on_commit
        # Told of every commit, the ledger signs a checkpoint (off this thread).
        self.ledger = ledger
        self._states: dict[str, State] = {}
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()

    # -- reading ---------------------------------------------------------------------------

    def state(self, production: str) -> State:
        with self._lock:
            if production not in self._states:
                self._states[production] = self._load(production)
            return self._states[production]

    def cached_state(self, production: str) -> State | None:
        """The projection if already loaded, else None; safe from any thread (no I/O)."""
        return self._states.get(production)

    def loaded(self) -> list[str]:
        """The productions whose projection is in memory (safe from any thread)."""
        return [p for p, s in list(self._states.items()) if s.production is not None]

    def _load(self, production: str) -> State:
        if self.store is None:
            return State()
        # (seq, payload) rows straight from the cursor
        return rebuild(self.store.read_payloads(production, 0))

    def refresh(self, production: str) -> State:
        """Fold in whatever other writers appended since our head."""
        with self._lock:
            state = self.state(production)
            if self.store is not None:
                for _, payload in self.store.read_payloads(production, state.version):
                    state = evolve(state, event_from_payload(payload))
            self._states[production] = state
            return state

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn)

    # -- writing ---------------------------------------------------------------------------

    def execute(self, production: str, cmd: Command) -> Outcome:
        """Decide and durably record one command. Raises domain.Malformed for bad input."""
        result = self.execute_many(production, [cmd])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def execute_many(
        self,
        production: str,
        cmds: Sequence[Command],
        *,
        decided_on: list[State] | None = None,
    ) -> list[Outcome | Exception]:
        """Decide `cmds` one after another and record all their events in one append.

        Group commit: each command is decided on the state the ones before it left, exactly as
        if executed one by one. The events of the whole batch then go to the store in one
        durable transaction (one fsync, one signed checkpoint), and only then are subscribers
        told, once per outcome, with the state just after it. When another writer appended
        first, the batch is re-read and re-decided once, as `execute` does.

        One command never fails another: a command the core finds malformed, one whose
        deciding raised, and one whose events cannot be written (Unrecordable) gets its
        exception in its place and records nothing, and the others are decided again without
        it. Only what fails the whole batch (the store busy, closed or unreadable) is raised.

        `decided_on`, when given, is filled with the state each command was handed to
        `domain.handle` (one per command, failed ones included).
        """
        failed: dict[int, Exception] = {}  # commands taken out of the batch, by position
        conflicts = 0
        with self._lock:
            state = self.state(production)
            while True:
                results, after, events, current = self._decide_all(state, cmds, failed, decided_on)
                try:
                    if events:  # a batch of only failed commands records nothing
                        self._append_events(production, state.version, events)
                except ConcurrencyError:
                    conflicts += 1
                    if conflicts == 2:
                        raise
                    state = self.refresh(production)
                    continue
                except StoreError:
                    raise
                except Exception:
                    # The events could not be written (canonical JSON refuses a value): find
                    # whose they were, take those commands out, and decide the rest again.
                    culprits = _unrecordable(production, results)
                    if not culprits:
                        raise
                    failed.update(culprits)
                    continue
                self._states[production] = current
                break
        outcomes = [r for r in results if isinstance(r, Outcome)]
        for outcome, state_after in zip(outcomes, after, strict=True):
            for fn in list(self._subscribers):
                fn(production, outcome, state_after)
        return results

    @staticmethod
    def _decide_all(
        state: State,
        cmds: Sequence[Command],
        failed: dict[int, Exception],
        decided_on: list[State] | None,
    ) -> tuple[list[Outcome | Exception], list[State], list[Event], State]:
        """Each command decided on the state the ones before it left (pure: nothing stored)."""
        results: list[Outcome | Exception] = []
        after: list[State] = []
        events: list[Event] = []
        if decided_on is not None:
            decided_on.clear()
        current = state
        for i, cmd in enumerate(cmds):
            if decided_on is not None:
                decided_on.append(current)
            if i in failed:
                results.append(failed[i])
                continue
            try:
                outcome = handle(current, cmd)
            except Exception as exc:  # Malformed, or a fault in one rule: this command only
                results.append(exc)
                continue
            current = evolve_all(current, outcome.events)
            results.append(outcome)
            after.append(current)
            events.extend(outcome.events)
        return results, after, events, current

    def record_system_event(
        self, production: str, type_: str, actor: str, at: str, data: dict[str, Any]
    ) -> Outcome:
        """Append a fact the shell observed rather than a command decided (a PIN lockout, an
        alert's delivery).

        Not a back door around `decide`: only event types whose evolve handler changes no
        safety state belong here.
        """
        event = Event(type_, actor, at, data)
        return self.record_events(production, lambda state: (event,), f"Recorded {type_}.")

    def record_events(
        self, production: str, make: Callable[[State], Sequence[Event]], message: str
    ) -> Outcome:
        """Append the events `make(state)` returns: what the pure core finds without a command
        (the watchdogs' alerts that fell due, `domain.due`) or facts the shell observed. When
        another writer appended first, `make` runs again on the new state (an alert it raised
        meanwhile is not raised twice). Nothing to append: nothing recorded, nobody told. An empty
        `message` says the alerts raised."""
        with self._lock:
            for attempt in (1, 2):
                state = self.state(production) if attempt == 1 else self.refresh(production)
                events = tuple(make(state))
                raised = [e.data for e in events if e.type == ALERT_RAISED]
                alerts = tuple(sorted({d["rule"] for d in raised}))
                text = message or " ".join(["ALERT:", *(d["message"] for d in raised)])
                outcome = Outcome("accepted", (), alerts, text, events, Decision(True, events))
                if not events:
                    return outcome
                try:
                    self._append(production, state.version, outcome)
                except ConcurrencyError:
                    if attempt == 2:
                        raise
                    continue
                state = evolve_all(state, events)
                self._states[production] = state
                break
        for fn in list(self._subscribers):
            fn(production, outcome, state)
        return outcome

    def _append(self, production: str, head: int, outcome: Outcome) -> None:
        self._append_events(production, head, outcome.events)

    def _append_events(self, production: str, head: int, events: Sequence[Event]) -> None:
        if self.store is None:
            return
        new = [NewEvent(e.type, e.actor, e.at, e.data) for e in events]
        stored = self.store.append(production, head, new)
        if self.ledger is not None and stored:
            self.ledger.committed(production, stored[-1].seq)
        if self.on_commit is not None:
            self.on_commit(production, stored)
