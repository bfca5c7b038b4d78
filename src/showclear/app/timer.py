"""The watchdogs' timer: deadlines fall due in the server by themselves, with nobody acting.

Every `interval` seconds (10 by default, so an alert is recorded within that of its deadline,
well inside the 30 s a person may wait), each production the node has loaded is asked
whether anything fell due by the node's clock (`Application.fire_due`, which skips a
production with no pending deadline without a trip through the writer). The clock is the
application's, injected, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection

from showclear.app.application import Application
from showclear.errors import WrittenByAnotherNode

log = logging.getLogger("showclear.watchdogs")

DEFAULT_INTERVAL = 10.0

WrittenElsewhere = Callable[[], Collection[str]]
"""The productions another node writes (a set node enrolled at the studio, whose record the
studio holds by its pushes): their deadlines and alerts are that node's. This node appends
nothing to them: an event of its own there would fork the record the writer pushes next."""


class WatchdogTimer:
    def __init__(
        self,
        app: Application,
        interval: float = DEFAULT_INTERVAL,
        *,
        written_elsewhere: WrittenElsewhere | None = None,
    ) -> None:
        self.app = app
        self.interval = interval
        self.written_elsewhere = written_elsewhere
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
        try:
            elsewhere = self.written_elsewhere() if self.written_elsewhere is not None else ()
        except Exception:  # not knowing who writes what: fire nothing rather than fork a record
            log.exception("the watchdogs could not read which productions this node writes")
            return 0
        for production in self.app.service.loaded():
            if self._stop.is_set():
                break
            if production in elsewhere:
                continue
            try:
                fired += self.app.fire_due(production)
            except WrittenByAnotherNode:  # enrolled since `elsewhere` was read: the node's now
                continue
            except Exception:  # a busy or failing store: the next tick tries again
                log.exception("watchdogs of %s could not run", production)
        return fired
