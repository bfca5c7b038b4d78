"""Signing checkpoints off the commit path: one background thread per set node.

An append commits the event and its leaf hash durably and returns; the writer then tells the
checkpointer the production's new head (`committed`: a dict write under a lock). The
checkpointer thread reads the leaf hashes the store now holds, on a connection of its own,
extends its Merkle frontier, signs one checkpoint of the newest tree and stores it durably.

Commits are grouped: the first commit after a quiet spell is signed at once, and commits that
land within `GROUP_WINDOW_S` of the last checkpoint share the next one, as an RFC 9162 log
signs one tree head per batch. On a set (a command every few seconds) every commit gets its
own checkpoint within a millisecond; a burst (a drill replay, the web's group commits, a
benchmark) gets one checkpoint per window.

Why not sign inside the append transaction, as a bulk loader may (`LedgerNode.checkpoint_hook`):
an Ed25519 signature costs 40-60 µs and holds the GIL, and storing the checkpoint adds pages to
every fsync; together they made each command 45-75 % slower.

What this costs in guarantees, and how it is bounded:
- A committed event is unsigned for at most one window plus one signature. `flush` waits until
  every commit so far is covered, and closing the node flushes.
- A crash in that window leaves a tail no checkpoint covers. `open_ledger` signs it on the
  next start (`sign_unsigned`); until then `showclear verify` reports those events as not yet
  signed, never as signed.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable

from showclear.ports import LedgerBackend, StoreFactory

__all__ = ["FLUSH_TIMEOUT_S", "GROUP_WINDOW_S", "Checkpointer", "CheckpointerError"]

log = logging.getLogger(__name__)

SignHead = Callable[[LedgerBackend, str], object]
"""``sign_head(store, production)``: sign and store a checkpoint of the production's stored
tree (nothing when no event was stored since the last one)."""

GROUP_WINDOW_S = 0.01
"""Commits within this many seconds of the last checkpoint share the next one."""

FLUSH_TIMEOUT_S = 30.0
RETRY_AFTER_S = 1.0


class CheckpointerError(RuntimeError):
    """The checkpointer could not sign or store a checkpoint (the events are stored)."""


class Checkpointer:
    """A thread that signs each production's newest stored tree after commits."""

    def __init__(
        self,
        label: str,
        sign_head: SignHead,
        open_store: StoreFactory,
        window: float = GROUP_WINDOW_S,
    ) -> None:
        self._label = label
        self._sign_head = sign_head
        self._open_store = open_store
        self._window = window
        self._cond = threading.Condition()
        self._wanted: dict[str, int] = {}  # production -> newest committed head not yet signed
        self._idle = False  # the thread waits for work (and needs a notify to see it)
        self._busy = False  # the thread is signing
        self._hurry = 0  # callers in flush(): skip the rest of the window
        self._flushes = 0  # flush() calls so far
        # After a failure, only a flush that started later cuts the retry pause short: the one
        # that saw the failure must not make the thread spin.
        self._flushes_at_failure = -1
        self._next_at = 0.0  # monotonic time before which a new checkpoint waits
        self._stopping = False
        self._failures = 0  # rounds that failed so far; flush reports those during its wait
        self._last_error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def committed(self, production: str, head: int) -> None:
        """Note that `production` now has `head` events durably stored (call after COMMIT)."""
        with self._cond:
            if self._stopping:
                raise CheckpointerError("the checkpointer is closed")
            if head > self._wanted.get(production, 0):
                self._wanted[production] = head
            if self._thread is None:
                self._start()
            elif self._idle:
                self._cond.notify_all()

    def flush(self, timeout: float = FLUSH_TIMEOUT_S) -> None:
        """Wait until every commit noted so far is covered by a stored checkpoint.

        Raises CheckpointerError when signing failed (the events are stored; the checkpointer
        retries, and the next start signs them) or did not finish within `timeout` seconds.
        """
        with self._cond:
            failures = self._failures
            self._flushes += 1
            self._hurry += 1
            self._cond.notify_all()
            try:
                done = self._cond.wait_for(
                    lambda: (not self._wanted and not self._busy) or self._failures > failures,
                    timeout,
                )
            finally:
                self._hurry -= 1
            error = self._last_error if self._failures > failures else None
        if error is not None:
            raise CheckpointerError(f"signing a checkpoint failed: {error}") from error
        if not done:
            raise CheckpointerError(f"no checkpoint stored within {timeout:g} s")

    def close(self) -> None:
        """Flush, then stop the thread; later calls do nothing."""
        with self._cond:
            if self._stopping:
                return
            thread = self._thread
        try:
            if thread is not None:
                self.flush()
        finally:
            with self._cond:
                self._stopping = True
                self._cond.notify_all()
            if thread is not None:
                thread.join(FLUSH_TIMEOUT_S)
                atexit.unregister(self.close)

    # -- the thread ------------------------------------------------------------------------

    def _start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"showclear-checkpointer:{self._label}", daemon=True
        )
        self._thread.start()
        # A caller that forgets to close still gets its last commits signed at exit.
        atexit.register(self.close)

    def _take(self) -> dict[str, int] | None:
        """Wait for commits, then for the rest of the group window; None when stopping."""
        with self._cond:
            self._idle = True
            self._cond.wait_for(lambda: bool(self._wanted) or self._stopping)
            self._idle = False
            if not self._wanted:
                return None
            delay = self._next_at - time.monotonic()
            if delay > 0:
                self._cond.wait_for(
                    lambda: (
                        self._stopping
                        or (self._hurry > 0 and self._flushes > self._flushes_at_failure)
                    ),
                    delay,
                )
            wanted, self._wanted = self._wanted, {}
            self._busy = True
            return wanted

    def _run(self) -> None:
        store: LedgerBackend | None = None
        try:
            while (wanted := self._take()) is not None:
                error: BaseException | None = None
                try:
                    if store is None:
                        store = self._open_store()
                    for production in wanted:
                        self._sign_head(store, production)
                except Exception as e:
                    log.exception("ledger: could not sign a checkpoint of %s", self._label)
                    error = e
                with self._cond:
                    self._busy = False
                    self._next_at = time.monotonic() + self._window
                    if error is not None:
                        self._failures += 1
                        self._last_error = error
                        self._flushes_at_failure = self._flushes
                        # Put the heads back: the next round tries again.
                        for production, head in wanted.items():
                            if head > self._wanted.get(production, 0):
                                self._wanted[production] = head
                        self._next_at += RETRY_AFTER_S
                    self._cond.notify_all()
                    if error is not None and self._stopping:
                        return  # closing: the next start signs what is left
        finally:
            if store is not None:
                store.close()
