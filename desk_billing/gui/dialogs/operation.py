"""What every money/data dialog shares: run a core operation through the task runner, show
validation inline, ask for the typed live-mode confirmation, report what changed in the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.errors import PermissionDenied
from desk_billing.core.operations.confirm import LiveConfirmation, needs_confirmation
from desk_billing.gui.dialogs.errors import show_error
from desk_billing.gui.dialogs.live_confirm import LiveConfirmDialog
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

R = TypeVar("R")


@dataclass
class OperationContext:
    """Where operations run: the cache file, the gateway (built on a worker), profile and mode.

    `run` is called on a worker thread: it opens that thread's cache connection and a journal.
    """

    cache_path: Path
    gateway_factory: Callable[[], Any]
    profile: str
    mode: str
    _gateway: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def gateway(self) -> Any:
        with self._lock:
            if self._gateway is None:
                self._gateway = self.gateway_factory()
            return self._gateway

    def run(self, fn: Callable[[Any], R]) -> R:
        from desk_billing.core.cache import Cache
        from desk_billing.core.operations import Journal

        with Cache.open(self.cache_path) as cache:
            return fn(Journal(cache, self.gateway(), self.profile))


def changed_ids(obj: dict[str, Any]) -> dict[str, frozenset[str]]:
    """{table: ids} for the tabs' `refresh(changed)`, from an object an operation returned."""
    from desk_billing.core.cache import table_for_object

    try:
        return {table_for_object(str(obj.get("object"))): frozenset({obj["id"]})}
    except KeyError:
        return {}


class OperationDialog(QDialog):
    """A form with an inline message line; `submit` validates, confirms in live mode, runs."""

    completed = Signal(object)  # the object Stripe returned (plain dict)
    changed = Signal(
        object
    )  # {table: frozenset(ids)} for CacheTableModel.refresh / ListTab.refresh
    failed = Signal(object)  # TaskError: the main window disables an action Stripe refused (403)
    ok_text = "OK"

    def __init__(
        self, runner: TaskRunner, context: OperationContext, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.context = context
        self.result_object: dict[str, Any] | None = None
        self.form = QFormLayout()
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if context.mode == "live":
            badge = QLabel("LIVE MODE — real money and real customers")
            badge.setStyleSheet(
                "background: #b3261e; color: white; padding: 4px; font-weight: bold;"
            )
            layout.addWidget(badge)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._busy = False
        self.live_dialog: LiveConfirmDialog | None = None

    # -- what subclasses provide ---------------------------------------------------------
    def validate(self) -> Any:
        """Check the form without the network; raise ValidationError. Returns what `work` needs."""
        raise NotImplementedError

    def confirmation(self, checked: Any) -> LiveConfirmation | None:
        """What to type in live mode (None: this action needs no typed confirmation)."""
        return None

    def work(self, checked: Any) -> Callable[[Any], dict[str, Any]]:
        """A callable taking a Journal, run on a worker; returns the object Stripe returned."""
        raise NotImplementedError

    # -- flow ------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.message.setText(text)

    @Slot()
    def submit(self) -> None:
        if self._busy:
            return
        from desk_billing.core.errors import ValidationError

        try:
            checked = self.validate()
        except ValidationError as error:
            self.show_message(error.message)
            return
        confirm = self.confirmation(checked)
        if confirm is not None and needs_confirmation(self.context.mode):
            # Window-modal and not exec(): the event loop keeps running (tests drive it too).
            self.live_dialog = LiveConfirmDialog(confirm, self)
            self.live_dialog.accepted.connect(lambda: self.start(self.work(checked)))
            self.live_dialog.rejected.connect(
                lambda: self.show_message("Not confirmed; nothing was done.")
            )
            self.live_dialog.open()
            return
        self.start(self.work(checked))

    def start(self, fn: Callable[[Any], dict[str, Any]]) -> None:
        self._set_busy(True)
        self.show_message("")
        context = self.context

        def task(control: TaskControl) -> dict[str, Any]:
            return context.run(fn)

        self.runner.run(task, success=self._succeeded, error=self._failed)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.ok_button.setEnabled(not busy)
        self.ok_button.setText("Working…" if busy else self.ok_text)

    def _succeeded(self, obj: dict[str, Any]) -> None:
        self._set_busy(False)
        self.result_object = obj
        self.completed.emit(obj)
        self.changed.emit(changed_ids(obj))
        self.accept()

    def _failed(self, failure: TaskError) -> None:
        self._set_busy(False)
        self.failed.emit(failure)
        if not failure.expected:
            show_error(self, failure)
            return
        self.show_message(failure.message)  # the form keeps its input
        if isinstance(failure.error, PermissionDenied):
            self.ok_button.setEnabled(False)  # this key cannot do it; Stripe said why
            self.ok_button.setToolTip(failure.message)
