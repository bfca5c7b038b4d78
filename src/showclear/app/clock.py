"""The node's clock: commands from people are stamped with it, never with a time they send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from showclear.domain import State

Clock = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


def command_time(state: State, clock: Clock) -> str:
    """The node's wall clock, never earlier than the record's clock.

    A store that holds later times (a drill replayed from the future) would otherwise make
    every command malformed ("time goes backwards"); the record then keeps its last time.
    """
    now = clock()
    if state.now is not None and now < state.now:
        now = state.now
    return now.isoformat(timespec="seconds")
