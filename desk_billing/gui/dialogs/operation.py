"""What every money/data dialog shares: run a core operation through the task runner, show
validation inline, ask for the typed live-mode confirmation, hand on the operation's result
(what Stripe returned, and every cached row it wrote) for the window to refresh from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.account import AccountSession
from desk_billing.core.errors import PermissionDenied, ValidationError
from desk_billing.core.journal import Journal, OperationResult
from desk_billing.core.operations.confirm import LiveConfirmation, needs_confirmation
from desk_billing.core.operations.sentences import result_sentence
from desk_billing.gui.dialogs.errors import show_error
from desk_billing.gui.dialogs.keyboard import first_input, only_default_on_enter
from desk_billing.gui.dialogs.live_confirm import LiveConfirmDialog
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

Work = Callable[[Journal], OperationResult]
"""An operation bound to the form's checked input, run on a worker with the session's journal."""


class OperationDialog(QDialog):
    """A form with an inline message line; `submit` validates, confirms in live mode, runs."""

    completed = Signal(object)  # OperationResult: the object Stripe returned, and `changed`
    failed = Signal(object)  # TaskError: the main window disables an action Stripe refused (403)
    ok_text = "OK"

    def __init__(
        self, runner: TaskRunner, session: AccountSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.session = session
        self.outcome: OperationResult | None = None  # (QDialog.result() is the exit code)
        self.sentence: str | None = None  # what the operation did, in amounts and names
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
        if session.mode == "live":
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

    def work(self, checked: Any) -> Work:
        """The operation to run on a worker with the journal; returns its OperationResult."""
        raise NotImplementedError

    def first_field(self) -> QWidget | None:
        """Where the keyboard starts when the dialog opens: the form's first field."""
        return first_input(self.form)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        # Here, not in __init__: the subclasses' fields and buttons exist by now.
        only_default_on_enter(self, self.ok_button)
        field = self.first_field()
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)
        super().showEvent(event)

    # -- flow ------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.message.setText(text)

    @Slot()
    def submit(self) -> None:
        if self._busy:
            return
        try:
            checked = self.validate()
        except ValidationError as error:
            self.show_message(error.message)
            return
        confirm = self.confirmation(checked)
        if confirm is not None and needs_confirmation(self.session.mode):
            # Window-modal and not exec(): the event loop keeps running (tests drive it too).
            self.live_dialog = LiveConfirmDialog(confirm, self)
            self.live_dialog.accepted.connect(lambda: self.start(self.work(checked)))
            self.live_dialog.rejected.connect(
                lambda: self.show_message("Not confirmed; nothing was done.")
            )
            self.live_dialog.open()
            return
        self.start(self.work(checked))

    def start(self, fn: Work) -> None:
        self._set_busy(True)
        self.show_message("")
        session = self.session

        def task(control: TaskControl) -> tuple[OperationResult, str | None]:
            with session.journal() as journal:
                result = fn(journal)
                return result, result_sentence(journal.cache.conn, result.object)

        self.runner.run(task, success=self._succeeded, error=self._failed)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.ok_button.setEnabled(not busy)
        self.ok_button.setText("Working…" if busy else self.ok_text)

    def _succeeded(self, done: tuple[OperationResult, str | None]) -> None:
        result, self.sentence = done
        self._set_busy(False)
        self.outcome = result
        self.completed.emit(result)
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
