"""Refund a payment: what is left to refund is fetched fresh when the dialog opens, the amount
and reason are checked inline, and `core.operations.refunds.refund` checks it against Stripe
again right before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from desk_billing.core.account import AccountSession
from desk_billing.core.errors import ValidationError
from desk_billing.core.journal import Journal, OperationResult
from desk_billing.core.money import format_amount, parse_amount
from desk_billing.core.operations.confirm import LiveConfirmation
from desk_billing.core.operations.refunds import REASONS, Refundable, fetch_refundable, refund
from desk_billing.gui.dialogs.operation import OperationDialog, Work
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

REASON_LABELS = {
    "": "No reason given",
    "requested_by_customer": "Requested by customer",
    "duplicate": "Duplicate",
    "fraudulent": "Fraudulent",
}


@dataclass(frozen=True)
class CheckedRefund:
    amount: int
    amount_text: str
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
        self.amount.setPlaceholderText("all that is left")
        self.reason = QComboBox()
        for value in ("", *REASONS):
            self.reason.addItem(REASON_LABELS[value], value)
        self.form.addRow("Payment", QLabel(target))
        self.form.addRow("Refundable", self.remaining_label)
        self.form.addRow("Amount", self.amount)
        self.form.addRow("Reason", self.reason)
        self.ok_button.setEnabled(False)
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
        self.amount.setPlaceholderText(f"{left} (all that is left)")
        self.ok_button.setEnabled(True)

    def _load_failed(self, failure: TaskError) -> None:
        self.remaining_label.setText("—")
        self._failed(failure)
        self.ok_button.setEnabled(False)

    def validate(self) -> CheckedRefund:
        info = self.refundable
        if info is None:
            raise ValidationError("Still checking what can be refunded; try again in a moment.")
        text = self.amount.text().strip()
        amount = info.remaining if not text else parse_amount(text, info.currency)
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
