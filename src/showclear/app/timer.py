"""The watchdogs' timer: deadlines fall due in the server by themselves, with nobody acting.

Every `interval` seconds (10 by default, so an alert is recorded within that of its deadline,
well inside the 30 s a person may wait), each production the node has loaded is asked
whether anything fell due by the node's clock (`Application.fire_due`, which skips a
production with no pending deadline without a trip through the writer). The clock is the
application's, injected, so tests move time instead of waiting for it. A production another
node writes (a set node enrolled at the studio) is left to that node: the application's guard
refuses the studio's append there (`Application.check_writable`), and the timer moves on.
"""

from __future__ import annotations

import logging
import threading

from showclear.app.application import Application
from showclear.errors import WrittenByAnotherNode

log = logging.getLogger("showclear.watchdogs")

DEFAULT_INTERVAL = 10.0


class WatchdogTimer:
    def __init__(self, app: Application, interval: float = DEFAULT_INTERVAL) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="showclear-watchdogs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            # Every production's state, loaded off the server's start-up: a deadline may be
            # pending in one nobody has opened since the restart.
            self.app.productions()
        except Exception:
            log.exception("the watchdogs could not load the productions")
        while not self._stop.wait(self.interval):
            self.tick()

    def tick(self) -> int:
        """Ask every loaded production once; how many alerts fell due."""
        fired = 0
        for production in self.app.service.loaded():
            if self._stop.is_set():
                break
            try:
                fired += self.app.fire_due(production)
            except WrittenByAnotherNode:
                # A set node enrolled at the studio writes it: its deadlines are that node's,
                # and an alert of the studio's own there would fork the record it pushes next.
                continue
            except Exception:
                # A busy or failing store, or no telling who writes it: nothing is fired rather
                # than a record forked, and the next tick tries again.
                log.exception("watchdogs of %s could not run", production)
        return fired
