"""The studio dashboard's read model: every production's state, kept current from the store.

The studio holds every production; set nodes push into it (through the sync endpoint) as well as
people writing through this server, so the states here are folded from the store itself: each
refresh reads every production's head in one query (`StudioReads.heads`) and folds in only the
events after the head it holds. After a restart a production's state is rebuilt from its events
(`rebuild`: about a second per 100,000 events): small productions at once, larger ones on a
thread of its own while the dashboard lists them as loading, so the first look after a restart
never waits for every production of the studio.

Studio staff sign in with the same PINs, lockout and sessions as a set (`Auth`), under the
sign-in key STUDIO_SIGNIN, which no production can have (a production ID is never empty): a
studio PIN opens no production and a production's PIN does not open the dashboard. What happens
to a staff sign-in (a PIN set or replaced, a lockout) is recorded in the studio's staff records,
not in a production's ledger.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from showclear.app.projection import event_from_payload, rebuild
from showclear.domain import State, evolve
from showclear.ports import STUDIO_ROLES, EventStore, StudioMember, StudioReads

__all__ = ["LOAD_INLINE_EVENTS", "STUDIO_SIGNIN", "StudioBoard", "signin_hooks"]

log = logging.getLogger(__name__)

STUDIO_SIGNIN = ""
LOAD_INLINE_EVENTS = 20_000  # a production this small is rebuilt during the request itself

LockoutHook = Callable[[str, str, datetime, str], None]
PinSetHook = Callable[[str, str, str, bool], None]


class StudioBoard:
    """Every production's state for the dashboard. Thread-safe; close it when done."""

    def __init__(
        self,
        reads: StudioReads,
        open_store: Callable[[], EventStore],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        load_inline: int = LOAD_INLINE_EVENTS,
    ) -> None:
        self.reads = reads
        self.clock = clock
        self.load_inline = load_inline
        self._open_store = open_store
        self._store: EventStore | None = None  # the requests' (under _read_lock)
        self._read_lock = threading.Lock()
        self._states: dict[str, State] = {}
        self._states_lock = threading.Lock()
        self._loading: set[str] = set()
        self._loader: threading.Thread | None = None
        self._closed = threading.Event()

    # -- sign-in ----------------------------------------------------------------------------

    def member(self, person: str) -> StudioMember | None:
        """The studio staff member `person`, when they hold a studio role."""
        m = self.reads.member(person)
        return m if m is not None and m.role in STUDIO_ROLES else None

    # -- the states -------------------------------------------------------------------------

    def state(self, production: str) -> State | None:
        with self._states_lock:
            return self._states.get(production)

    def rebuild(self, production: str, store: EventStore | None = None) -> State:
        """Rebuild one production's state from its events (what a restart costs) and keep it."""
        if store is None:
            with self._read_lock:
                return self._rebuild(production, self._reader())
        return self._rebuild(production, store)

    def _rebuild(self, production: str, store: EventStore) -> State:
        state = rebuild(store.read_payloads(production, 0))
        with self._states_lock:
            held = self._states.get(production)
            if held is None or held.version < state.version:
                self._states[production] = state
        return state

    def _reader(self) -> EventStore:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def refresh(self) -> dict[str, State | None]:
        """Every production's state, caught up with its head; None for one still loading."""
        heads = self.reads.heads()
        out: dict[str, State | None] = {}
        later: list[str] = []
        with self._read_lock:
            store = self._reader()
            for production, head in heads.items():
                held = self.state(production)
                if held is None:
                    if head > self.load_inline:
                        later.append(production)
                        out[production] = None
                        continue
                    held = self._rebuild(production, store)
                state = held
                if state.version < head:
                    for _, payload in store.read_payloads(production, state.version):
                        state = evolve(state, event_from_payload(payload))
                    with self._states_lock:
                        if self._states[production].version < state.version:
                            self._states[production] = state
                out[production] = state
        if later:
            self._load_later(later)
        return out

    def _load_later(self, productions: list[str]) -> None:
        with self._states_lock:
            self._loading.update(productions)
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(
                target=self._load_loop, name="studio-board-loader", daemon=True
            )
            self._loader.start()

    def _load_loop(self) -> None:
        store = self._open_store()
        try:
            while not self._closed.is_set():
                with self._states_lock:
                    if not self._loading:
                        return
                    production = min(self._loading)
                try:
                    self._rebuild(production, store)
                except Exception:
                    log.exception("studio board: could not rebuild %r", production)
                with self._states_lock:
                    self._loading.discard(production)
        finally:
            store.close()

    def wait_loaded(self, timeout: float = 60.0) -> None:
        """Until the productions being loaded on the loader thread are in (tests, benchmarks)."""
        loader = self._loader
        if loader is not None:
            loader.join(timeout)

    def close(self) -> None:
        self._closed.set()
        loader = self._loader
        if loader is not None:
            loader.join(30)
        with self._read_lock:
            store, self._store = self._store, None
        try:
            if store is not None:
                store.close()
        finally:
            self.reads.close()


def signin_hooks(
    reads: StudioReads, on_lockout: LockoutHook, on_pin_set: PinSetHook
) -> tuple[LockoutHook, PinSetHook]:
    """The sign-in hooks of a studio node: a production's lockouts and PIN changes go to its
    ledger as on a set; the studio staff's (STUDIO_SIGNIN) to the studio's staff records."""

    def lockout(production: str, person: str, until: datetime, where: str) -> None:
        if production != STUDIO_SIGNIN:
            on_lockout(production, person, until, where)
        else:
            reads.note_staff_event(person, "locked_out", person, f"until {until.isoformat()}")

    def pin_set(production: str, person: str, by: str, replaced: bool) -> None:
        if production != STUDIO_SIGNIN:
            on_pin_set(production, person, by, replaced)
        else:
            reads.note_staff_event(person, "pin_reset" if replaced else "pin_set", by)

    return lockout, pin_set
