"""When ShowClear may fork a helper process onto the second core, and what to do first.

A long ledger is verified in two halves (ledger/parallel.py).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading


def fork_available() -> bool:
    """A second core, and a platform that can fork."""
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def single_threaded() -> bool:
    """Forking beside other threads (the web app's) can copy a lock one of them holds."""
    return threading.active_count() == 1


def flush_before_fork() -> None:
    """Whatever this process has buffered would otherwise be written twice, once by the child."""
    sys.stdout.flush()
    sys.stderr.flush()
