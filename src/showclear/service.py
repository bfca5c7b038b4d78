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

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import orjson

from showclear.domain import Command, Decision, Event, Malformed, Outcome, State, evolve, handle
from showclear.domain.evolve import HANDLERS, evolve_all
from showclear.store.base import ConcurrencyError, EventStore, NewEvent, StoredEvent

Subscriber = Callable[[str, Outcome, State], None]


def load_payload(payload: bytes) -> Any:
    """`json.loads(payload)`, faster for stored payloads.

    orjson parses the canonical UTF-8 payloads about twice as fast as the stdlib, which is most
    of a rebuild's time. The two agree on every value a payload can hold (RFC 8785 keeps
    integers within 2**53; orjson differs only past 64 bits). Invalid JSON gets json.loads's
    own error.
    """
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)


def event_from_payload(payload: bytes) -> Event:
    env = load_payload(payload)
    return Event(env["type"], env["actor"], env["at"], env["data"])


def rebuild(payloads: Iterable[tuple[int, bytes]] | Iterable[bytes]) -> State:
    """Fold stored events into a fresh state (the projection is never the truth)."""
    state = State()
    load = load_payload
    handlers = HANDLERS
    for item in payloads:
        payload = item[1] if isinstance(item, tuple) else item
        env = load(payload)
        type_ = env["type"]
        if type_ not in handlers:
            raise ValueError(f"unknown event type {type_!r} at seq {env['seq']}")
        state = evolve(state, Event(type_, env["actor"], env["at"], env["data"]))
    return state


class Service:
    def __init__(
        self,
        store: EventStore | None = None,
        on_commit: Callable[[str, list[StoredEvent]], Any] | None = None,
        ledger: Any | None = None,
    ) -> None:
        self.store = store
        self.on_commit = on_commit
        # A showclear.ledger.node.LedgerNode: told of every commit, it signs a checkpoint.
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

    def _load(self, production: str) -> State:
        if self.store is None:
            return State()
        reader = getattr(self.store, "read_payloads", None)
        if reader is not None:  # the fast path: (seq, payload) rows straight from the cursor
            return rebuild(reader(production, 0))
        return rebuild(self._payloads(production, 0))

    def _payloads(self, production: str, after: int) -> Iterator[bytes]:
        assert self.store is not None
        reader = getattr(self.store, "read_payloads", None)
        if reader is not None:
            for _, payload in reader(production, after):
                yield payload
        else:
            for e in self.store.read(production, after):
                yield e.payload

    def refresh(self, production: str) -> State:
        """Fold in whatever other writers appended since our head."""
        with self._lock:
            state = self.state(production)
            if self.store is not None:
                for payload in self._payloads(production, state.version):
                    state = evolve(state, event_from_payload(payload))
            self._states[production] = state
            return state

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn)

    # -- writing ---------------------------------------------------------------------------

    def execute(self, production: str, cmd: Command) -> Outcome:
        """Decide and durably record one command. Raises domain.Malformed for bad input."""
        with self._lock:
            state = self.state(production)
            for attempt in (1, 2):
                outcome = handle(state, cmd)
                try:
                    self._append(production, state.version, outcome)
                except ConcurrencyError:
                    if attempt == 2:
                        raise
                    state = self.refresh(production)
                    continue
                state = evolve_all(state, outcome.events)
                self._states[production] = state
                break
        for fn in list(self._subscribers):
            fn(production, outcome, state)
        return outcome

    def execute_many(
        self,
        production: str,
        cmds: Sequence[Command],
        *,
        decided_on: list[State] | None = None,
    ) -> list[Outcome | Malformed]:
        """Decide `cmds` one after another and record all their events in one append.

        Group commit: each command is decided on the state the ones before it left, exactly as
        if executed one by one; a command the core finds malformed gets its Malformed in its
        place and records nothing. The events of the whole batch then go to the store in one
        durable transaction (one fsync, one signed checkpoint), and only then are subscribers
        told, once per outcome, with the state just after it. When another writer appended
        first, the batch is re-read and re-decided once, as `execute` does.

        `decided_on`, when given, is filled with the state each command was handed to
        `domain.handle` (one per command, malformed ones included).
        """
        results: list[Outcome | Malformed] = []
        after: list[State] = []  # the state after each outcome, for the subscribers
        with self._lock:
            state = self.state(production)
            for attempt in (1, 2):
                results, after = [], []
                events: list[Event] = []
                if decided_on is not None:
                    decided_on.clear()
                current = state
                for cmd in cmds:
                    if decided_on is not None:
                        decided_on.append(current)
                    try:
                        outcome = handle(current, cmd)
                    except Malformed as exc:
                        results.append(exc)
                        continue
                    current = evolve_all(current, outcome.events)
                    results.append(outcome)
                    after.append(current)
                    events.extend(outcome.events)
                try:
                    if events:  # a batch of only malformed commands records nothing
                        self._append_events(production, state.version, events)
                except ConcurrencyError:
                    if attempt == 2:
                        raise
                    state = self.refresh(production)
                    continue
                self._states[production] = current
                break
        outcomes = [r for r in results if isinstance(r, Outcome)]
        for outcome, state_after in zip(outcomes, after, strict=True):
            for fn in list(self._subscribers):
                fn(production, outcome, state_after)
        return results

    def record_system_event(
        self, production: str, type_: str, actor: str, at: str, data: dict[str, Any]
    ) -> Outcome:
        """Append a fact the shell observed rather than a command decided (a PIN lockout).

        Not a back door around `decide`: only event types whose evolve handler changes no
        safety state belong here.
        """
        event = Event(type_, actor, at, data)
        outcome = Outcome("accepted", (), (), f"Recorded {type_}.", (event,),
                          Decision(True, (event,)))  # fmt: skip
        with self._lock:
            for attempt in (1, 2):
                state = self.state(production) if attempt == 1 else self.refresh(production)
                try:
                    self._append(production, state.version, outcome)
                except ConcurrencyError:
                    if attempt == 2:
                        raise
                    continue
                state = evolve(state, event)
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
