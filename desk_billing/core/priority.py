"""Background threads give way to the window: a lower CPU priority for the calling thread.

On a two-core machine a full sync keeps several threads runnable; the GUI thread then waited up to
~30 ms for a core during a sync (benchmarks/gui_window.py splits its stalls into run-queue delay
and the rest). Linux applies `nice` per thread, so background threads lower their own; elsewhere
this does nothing (macOS and Windows would change the whole process).
"""

from __future__ import annotations

import logging
import os
import sys
import threading

BACKGROUND_NICENESS = 5
log = logging.getLogger(__name__)
_lowered = threading.local()


def background_thread() -> None:
    """Mark the calling thread as background work (once per thread; a no-op off Linux)."""
    if sys.platform != "linux" or getattr(_lowered, "done", False):
        return
    _lowered.done = True
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + BACKGROUND_NICENESS))
    except OSError as error:  # e.g. a sandbox that forbids it: keep the normal priority
        log.debug("could not lower the priority of a background thread: %s", error)
