"""Read connections for list and detail queries: one per thread and cache file, kept open (a
thread that reads again finds SQLite's page cache warm), and a way for another thread to stop a
query that a newer one made pointless (`Interruptible`).

WAL lets these readers run while the sync writes; they never take a write lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from desk_billing.core.cache.database import BUSY_TIMEOUT_MS

T = TypeVar("T")
_local = threading.local()


class Interrupted(Exception):
    """The query was stopped by `Interruptible.interrupt` before it finished."""


def connect(path: Path | str) -> sqlite3.Connection:
    """A new read-only connection to a cache file; the caller closes it."""
    conn = sqlite3.connect(Path(path), isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = 1")
    return conn


def reader(path: Path | str) -> sqlite3.Connection:
    """The calling thread's read connection to a cache file, opened on first use."""
    connections: dict[Path, sqlite3.Connection] | None = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    key = Path(path)
    conn = connections.get(key)
    if conn is None:
        conn = connections[key] = connect(key)
    return conn


class Interruptible:
    """One query run that another thread may stop: a newer keystroke's search replacing the
    one before. `stopped` is set from then on, for work that checks between statements."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._running: sqlite3.Connection | None = None

    def run(self, path: Path | str, query: Callable[[sqlite3.Connection], T]) -> T:
        """`query(conn)` on this thread's read connection; raises `Interrupted` once stopped."""
        conn = reader(path)
        with self._lock:
            if self.stopped.is_set():
                raise Interrupted
            self._running = conn
        try:
            return query(conn)
        except sqlite3.OperationalError as error:
            if self.stopped.is_set():  # "interrupted"
                raise Interrupted from error
            raise
        finally:
            with self._lock:
                self._running = None

    def interrupt(self) -> None:
        """Stop the query (from any thread); one not yet begun will not begin."""
        # Under the lock, so the connection is interrupted only while this run's query runs;
        # an interrupt that arrives between statements is cleared by SQLite at the next one.
        with self._lock:
            self.stopped.set()
            if self._running is not None:
                self._running.interrupt()
