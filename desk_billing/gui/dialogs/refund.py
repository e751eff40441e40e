"""Refund a payment: what is left to refund is fetched fresh when the dialog opens, the amount
and reason are checked inline, and `core.operations.refunds.refund` checks it against Stripe
again right before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QWidget

from desk_billing.core.account import AccountSession
from desk_billing.core.errors import PermissionDenied, ValidationError
from desk_billing.core.journal import Journal, OperationResult
from desk_billing.core.money import format_amount, parse_amount
from desk_billing.core.operations.confirm import LiveConfirmation
from desk_billing.core.operations.refunds import REASONS, Refundable, fetch_refundable, refund
from desk_billing.gui.dialogs.operation import OperationDialog, Work
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

NO_AMOUNT = 'Type the amount to refund, or tick "Refund everything left".'

REASON_LABELS = {
    "": "No reason given",
    "requested_by_customer": "Requested by customer",
    "duplicate": "Duplicate",
    "fraudulent": "Fraudulent",
}


@dataclass(frozen=True)
class CheckedRefund:
    amount: int
    amount_text: str | None  # None: everything left (the only way to ask for it)
    reason: str | None


class RefundDialog(OperationDialog):
    ok_text = "Refund"

    def __init__(
        self,
        runner: TaskRunner,
        session: AccountSession,
        target: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, session, parent)
        self.setWindowTitle(f"Refund {target}")
        self.target = target
        self.refundable: Refundable | None = None
        self.remaining_label = QLabel("Checking what can be refunded…")
        self.amount = QLineEdit()
        # An empty field never means "everything": that is this explicit choice alone.
        self.everything = QCheckBox("Refund everything left")
        self.everything.setEnabled(False)
        self._refused = False  # Stripe refused this key the refund (403)
        self.reason = QComboBox()
        for value in ("", *REASONS):
            self.reason.addItem(REASON_LABELS[value], value)
        self.form.addRow("Payment", QLabel(target))
        self.form.addRow("Refundable", self.remaining_label)
        self.form.addRow("Amount", self.amount)
        self.form.addRow("", self.everything)
        self.form.addRow("Reason", self.reason)
        self.ok_button.setEnabled(False)
        self.amount.textChanged.connect(self._form_changed)
        self.everything.toggled.connect(self._form_changed)
        self._load()

    def _load(self) -> None:
        session, target = self.session, self.target

        def fetch(control: TaskControl) -> Refundable:
            return fetch_refundable(session.gateway(), target)

        self.runner.run(fetch, success=self._loaded, error=self._load_failed)

    def _loaded(self, info: Refundable) -> None:
        self.refundable = info
        left = format_amount(info.remaining, info.currency)
        self.remaining_label.setText(f"{left} of {format_amount(info.captured, info.currency)}")
        if info.remaining <= 0:
            self.show_message(f"Charge {info.charge} has already been fully refunded.")
            return
        self.everything.setText(f"Refund everything left ({left})")
        self.everything.setEnabled(True)
        self._form_changed()

    @Slot()
    def _form_changed(self) -> None:
        """OK only for a form that says how much: an amount typed, or everything left chosen."""
        everything = self.everything.isChecked()
        self.amount.setEnabled(not everything)
        info = self.refundable
        if info is None or info.remaining <= 0 or self._busy or self._refused:
            return
        missing = not everything and not self.amount.text().strip()
        self.ok_button.setEnabled(not missing)
        if missing:
            self.show_message(NO_AMOUNT)
        elif self.message.text() == NO_AMOUNT:
            self.show_message("")

    def _set_busy(self, busy: bool) -> None:
        super()._set_busy(busy)
        if not busy:
            self._form_changed()

    def _failed(self, failure: TaskError) -> None:
        self._refused = self._refused or isinstance(failure.error, PermissionDenied)
        super()._failed(failure)

    def _load_failed(self, failure: TaskError) -> None:
        self.remaining_label.setText("—")
        self._failed(failure)
        self.ok_button.setEnabled(False)

    def validate(self) -> CheckedRefund:
        info = self.refundable
        if info is None:
            raise ValidationError("Still checking what can be refunded; try again in a moment.")
        if self.everything.isChecked():
            return CheckedRefund(info.remaining, None, self.reason.currentData() or None)
        text = self.amount.text().strip()
        if not text:
            raise ValidationError(NO_AMOUNT)
        amount = parse_amount(text, info.currency)
        if amount <= 0:
            raise ValidationError("The refund amount must be more than zero.")
        if amount > info.remaining:
            raise ValidationError(
                f"The refund of {format_amount(amount, info.currency)} is more than the "
                f"{format_amount(info.remaining, info.currency)} left to refund."
            )
        return CheckedRefund(amount, text, self.reason.currentData() or None)

    def confirmation(self, checked: CheckedRefund) -> LiveConfirmation:
        assert self.refundable is not None
        return LiveConfirmation(self.target, checked.amount, self.refundable.currency)

    def work(self, checked: CheckedRefund) -> Work:
        target = self.target

        def refund_checked(journal: Journal) -> OperationResult:
            # Checked again against Stripe right before sending: another refund may have happened.
            return refund(
                journal, target, checked.amount_text, checked.reason, expect=checked.amount
            )

        return refund_checked
