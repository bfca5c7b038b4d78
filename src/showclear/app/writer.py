"""Who runs the application's writes: one thread of its own (the web app), or the caller.

A SQLite connection belongs to the thread that opened it, so in the web app one writer thread
opens the store and runs every command and every read of it. Commands are serialised by the
service anyway, so one thread costs no throughput. The command line, the drill runner and the
benchmarks run everything on their own thread (`InlineWriter`), with no hop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Writer(Protocol):
    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on the writer and wait for its result (from any thread)."""
        ...

    async def acall(self, fn: Callable[..., T], *args: Any) -> T: ...

    def schedule(self, fn: Callable[[], object]) -> None:
        """Run `fn` on the writer soon, without waiting."""
        ...

    def close(self) -> None: ...


class ThreadWriter:
    """One thread owns the store: everything that touches it runs there, in order."""

    def __init__(self) -> None:
        self._mine = threading.local()
        self._executor = ThreadPoolExecutor(
            1, thread_name_prefix="showclear-writer", initializer=self._started
        )

    def _started(self) -> None:
        self._mine.writer = True

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        if getattr(self._mine, "writer", False):  # already on the writer: waiting would deadlock
            return fn(*args)
        return self._executor.submit(fn, *args).result()

    async def acall(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def schedule(self, fn: Callable[[], object]) -> None:
        self._executor.submit(fn)

    def close(self) -> None:
        self._executor.shutdown()


class InlineWriter:
    """The caller's own thread is the writer (one command at a time: CLI, drills, bench)."""

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    async def acall(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    def schedule(self, fn: Callable[[], object]) -> None:
        fn()

    def close(self) -> None:
        pass
