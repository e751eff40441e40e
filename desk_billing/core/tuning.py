"""Process-wide performance settings in one place: the GIL switch interval while pages stream in,
`gc.freeze()` once the long-lived objects exist, and the CPU priority of background threads.

Each was measured (the figures are in the comments); each touches the whole process or a whole
thread, so callers go through these functions instead of calling `sys`, `gc` or `os` themselves.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

BACKGROUND_NICENESS = 5

_switch_lock = threading.Lock()
_switch_holders: list[float] = []  # the interval each running `short_switch_interval` asked for
_switch_before = 0.0  # the interval before the first of them began
_frozen = False
_lowered = threading.local()


@contextlib.contextmanager
def short_switch_interval(seconds: float) -> Iterator[None]:
    """Python's GIL switch interval at most `seconds` while the block runs.

    A backfill's writer hands the GIL to its fetch threads for each SQLite statement and must get
    it back from one that is decoding the next page: Python makes it wait up to the interval, 5 ms
    by default, longer than the statement (ingest 22.3k -> 26.6k objects/s at 0.5 ms, same run).
    Re-entrant across threads: overlapping blocks (two accounts syncing) keep the shortest asked
    for, and the interval from before the first comes back when the last ends, whatever order
    they end in.
    """
    global _switch_before
    with _switch_lock:
        if not _switch_holders:
            _switch_before = sys.getswitchinterval()
        _switch_holders.append(seconds)
        sys.setswitchinterval(min([_switch_before, *_switch_holders]))
    try:
        yield
    finally:
        with _switch_lock:
            _switch_holders.remove(seconds)
            sys.setswitchinterval(min([_switch_before, *_switch_holders]))


def freeze_long_lived_objects() -> None:
    """Move every object that exists now out of the garbage collector's reach, once per process.

    Called when the window and the Stripe SDK are loaded: Qt wrappers, our modules and the SDK's
    thousands of classes live as long as the app, and one full collection walking them in a sync
    thread held the GIL ~60 ms and stalled the window (benchmarks/gui_window.py).
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def background_thread() -> None:
    """Give the calling thread a lower CPU priority, for good (a no-op off Linux).

    Only for threads that run nothing but background work (the GUI's "background" lane; the
    threads they start, such as a sync's fetch threads, inherit it): Linux lets a thread lower its
    own priority but not raise it back (RLIMIT_NICE is 0 for ordinary users), so a thread that
    also runs interactive work, a refund the user waits for, must never call this. On two cores a full sync keeps several threads
    runnable, and at normal priority the GUI thread waited up to ~30 ms for a core (longest
    stall during a sync 36-57 ms, of it 20-28 ms waiting for a CPU; lowered 19-28 ms, 4-8 ms).
    Linux applies `nice` per thread; macOS and Windows would change the whole process.
    """
    if sys.platform != "linux" or getattr(_lowered, "done", False):
        return
    _lowered.done = True
    try:
        # Relative to the main thread, not to this one: a thread inherits the priority of the
        # thread that starts it, and Qt's pools start threads from their own busy threads.
        target = os.getpriority(os.PRIO_PROCESS, threading.main_thread().native_id or 0)
        target = min(19, target + BACKGROUND_NICENESS)
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < target:
            os.setpriority(os.PRIO_PROCESS, tid, target)
    except OSError as error:  # e.g. a sandbox that forbids it: keep the normal priority
        log.debug("could not lower the priority of a background thread: %s", error)
