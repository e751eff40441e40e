"""The sync that keeps the open account's cache fresh: `core.sync.SyncEngine` on the task runner
at start, on an interval and on "Sync now"; progress, the outcome and the connection state come
back as plain data.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desk_billing.core import tuning
from desk_billing.core.errors import (
    AuthenticationError,
    NetworkError,
    PermissionDenied,
    RateLimited,
)
from desk_billing.core.profiles import SYNC_INTERVAL_S
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

if TYPE_CHECKING:
    from desk_billing.core.account import AccountSession


class SyncController(QObject):
    """Runs syncs one at a time; says how they went."""

    started = Signal()
    progress = Signal(object)  # SyncProgress
    synced = Signal(object)  # SyncReport
    failed = Signal(object)  # TaskError
    state_changed = Signal(str)  # "", "offline", "throttled", "key_rejected", "forbidden", "error"

    def __init__(
        self, session: AccountSession, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._runner = runner
        self._task = None
        self._again = False
        self.state = ""
        self.last_sync_at: float | None = None
        self.last_report: Any = None
        self.timer = QTimer(self)
        self.timer.setInterval(session.settings.get(SYNC_INTERVAL_S) * 1000)
        self.timer.timeout.connect(lambda: self.sync_now(poll=True))

    @property
    def running(self) -> bool:
        return self._task is not None

    def connection_state(self) -> Any:
        """The gateway's ConnectionState (throttled, offline), or None before the first request."""
        gateway = self.session.built_gateway
        return gateway.monitor.state() if gateway is not None else None

    def start(self) -> None:
        """Sync now and then every interval."""
        self.timer.start()
        self.sync_now()

    def stop(self) -> None:
        self.timer.stop()
        if self._task is not None:
            self._task.cancel()

    def sync_now(self, full: bool = False, poll: bool = False) -> None:
        """Backfill as needed and apply new events (`poll`: only the events, the cheap check)."""
        if self._task is not None:
            self._again = True  # one more right after, so "Sync now" is never lost
            return
        session = self.session

        def work(control: TaskControl) -> Any:
            session.gateway()  # built on this worker, the first time (the SDK import)
            tuning.freeze_long_lived_objects()  # the window and the SDK are loaded now
            with session.cache() as cache:
                engine = session.sync_engine(
                    cache, progress=control.report, cancel=control.cancel_event, concurrency=4
                )
                return engine.poll() if poll and not full else engine.run(full=full)

        self._task = self._runner.run(
            work,
            success=self._done,
            error=self._failed,
            progress=self.progress.emit,
            lane="background",
        )
        self._task.finished.connect(self._finished)
        self.started.emit()

    def _done(self, report: Any) -> None:
        if report is None:  # cancelled
            return
        self.last_report = report
        self.last_sync_at = time.time()
        self._set_state("")
        self.synced.emit(report)

    def _failed(self, failure: TaskError) -> None:
        error = failure.error
        if isinstance(error, NetworkError):
            state = "offline"
        elif isinstance(error, RateLimited):
            state = "throttled"
        elif isinstance(error, AuthenticationError):
            state = "key_rejected"
        elif isinstance(error, PermissionDenied):
            state = "forbidden"
        else:
            state = "error"
        self._set_state(state)
        self.failed.emit(failure)

    def _finished(self) -> None:
        self._task = None
        if self._again:
            self._again = False
            self.sync_now()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
        self.state_changed.emit(state)
