"""THE background-work helper: run a callable into core on a pool thread, get its result,
error or progress back on the GUI thread. Nothing else in the GUI starts threads.

Three lanes: "io" (Stripe calls, exports: work a user waits for; a few threads), "background"
(syncs and whole-table counts, at a lower CPU priority so the window stays smooth) and "db" (list
and detail queries; one long-lived thread, so its SQLite read connections stay warm and queries
never pile up). The background lane has threads of its own because a thread cannot get its
priority back (`core.tuning.background_thread`): a refund must never run on one that was lowered.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

from desk_billing.core import tuning
from desk_billing.core.errors import DeskBillingError

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.1  # at most ten progress reports a second reach the GUI thread


class Cancelled(Exception):
    """Raised inside a task that noticed it was cancelled; ends it silently."""


@dataclass(frozen=True)
class TaskError:
    """What went wrong, as plain data: the user sentence, and details for unexpected errors."""

    message: str
    expected: bool
    error: BaseException
    details: str = ""


class TaskControl:
    """Handed to the callable: cancellation flag and a progress reporter (throttled)."""

    def __init__(self, relay: _Relay) -> None:
        self.cancel_event = threading.Event()
        self._relay = relay
        self._last = 0.0
        self._pending: Any = None

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled

    def report(self, value: Any) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_S:
            self._last = now
            self._relay.progress.emit(value)


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, queued connections deliver on the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(object)
    progress = Signal(object)


class Task(QObject):
    """A handle on one piece of background work."""

    finished = Signal()

    def __init__(
        self,
        success: Callable[[Any], None] | None,
        error: Callable[[TaskError], None] | None,
        progress: Callable[[Any], None] | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._relay = _Relay(self)
        self.control = TaskControl(self._relay)
        self._success, self._error, self._progress = success, error, progress
        self.done = False
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.succeeded.connect(self._on_succeeded, queued)
        self._relay.failed.connect(self._on_failed, queued)
        self._relay.progress.connect(self._on_progress, queued)

    def cancel(self) -> None:
        """Ask the work to stop; its result, if it still comes, is dropped."""
        self.control.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.control.cancelled

    @Slot(object)
    def _on_succeeded(self, result: Any) -> None:
        self.done = True
        if self._success is not None and not self.cancelled:
            self._success(result)
        self.finished.emit()

    @Slot(object)
    def _on_failed(self, failure: TaskError) -> None:
        self.done = True
        if not self.cancelled:
            if self._error is not None:
                self._error(failure)
            elif not failure.expected:
                log.error("Background task failed: %s", failure.details)
        self.finished.emit()

    @Slot(object)
    def _on_progress(self, value: Any) -> None:
        if self._progress is not None and not self.cancelled and not self.done:
            self._progress(value)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskControl], Any], task: Task, background: bool) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._control = task.control
        self._relay = task._relay
        self._background = background

    def run(self) -> None:
        if self._background:
            tuning.background_thread()  # once per thread of that lane, which runs nothing else
        try:
            result = self._fn(self._control)
        except Cancelled:
            self._relay.succeeded.emit(None)
        except DeskBillingError as error:
            self._relay.failed.emit(TaskError(error.message, True, error))
        except Exception as error:  # unexpected: logged with the traceback, shown with details
            details = traceback.format_exc()
            log.error("Unexpected error in background task\n%s", details)
            message = f"Something unexpected went wrong ({type(error).__name__}: {error})."
            self._relay.failed.emit(TaskError(message, False, error, details))
        else:
            self._relay.succeeded.emit(result)


class TaskRunner(QObject):
    """Runs callables on the "io", "background" or "db" lane. One per main window."""

    def __init__(
        self, parent: QObject | None = None, io_threads: int = 4, background_threads: int = 2
    ) -> None:
        super().__init__(parent)
        self._pools = {lane: QThreadPool(self) for lane in ("io", "background", "db")}
        self._pools["io"].setMaxThreadCount(io_threads)
        # A sync and the counts after it: more would only compete for the same two cores.
        self._pools["background"].setMaxThreadCount(background_threads)
        self._pools["db"].setMaxThreadCount(1)
        self._pools["db"].setExpiryTimeout(-1)
        self._active: set[Task] = set()
        self._closed = False

    def run(
        self,
        fn: Callable[[TaskControl], Any],
        *,
        success: Callable[[Any], None] | None = None,
        error: Callable[[TaskError], None] | None = None,
        progress: Callable[[Any], None] | None = None,
        lane: str = "io",
    ) -> Task:
        """Start `fn(control)` on a pool thread; callbacks run on the GUI thread."""
        # Owned by Python (this set), not by a Qt parent: a Qt parent deleting the C++ side
        # while a queued result is still on its way crashed the interpreter.
        task = Task(success, error, progress)
        if self._closed:
            task.cancel()
            return task
        self._active.add(task)
        task.finished.connect(lambda: self._forget(task))
        self._pools[lane].start(_Runnable(fn, task, background=lane == "background"))
        return task

    def _forget(self, task: Task) -> None:
        # Dropped on the next turn of the event loop, never inside its own signal.
        QTimer.singleShot(0, lambda: self._active.discard(task))

    @property
    def busy(self) -> int:
        return len(self._active)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel queued and running work, wait for running work to end; True when all ended."""
        self._closed = True
        for task in list(self._active):
            task.cancel()
        ended = True
        for pool in self._pools.values():
            pool.clear()
            ended = pool.waitForDone(timeout_ms) and ended
        return ended
