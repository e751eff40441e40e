"""Refunds from any list: a payment's or charge's own refund dialog, or, from a customer's or
an invoice's detail, a chooser among its successful payments first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from desk_billing.gui import formatting
from desk_billing.gui.actions import ActionHub, Selection, needs_row


def refundable_payments(selection: Selection | None) -> list[Mapping[str, Any]]:
    """The succeeded payments the detail pane lists (a customer's, or an invoice's: there the
    status of the payment intent behind each invoice payment counts)."""
    if selection is None:
        return []
    return [
        p
        for p in selection.detail.get("payments") or ()
        if p.get("intent_status", p.get("status")) == "succeeded"
    ]


def check_refund_from_detail(selection: Selection | None) -> str | None:
    reason = needs_row(selection)
    if reason is None and not refundable_payments(selection):
        return "There is no successful payment to refund in the local copy."
    return reason


def open_refund(hub: ActionHub, target: str) -> QDialog:
    # The dialog module loads with the operations (see gui.actions), not at start.
    from desk_billing.gui.dialogs.refund import RefundDialog

    return RefundDialog(hub.runner, hub.session, target, hub.window)


def refund_from_detail(hub: ActionHub, selection: Selection | None) -> QDialog:
    """One payment: its refund dialog; several: a chooser first."""
    payments = refundable_payments(selection)
    if len(payments) == 1:
        return open_refund(hub, str(payments[0]["id"]))
    return PaymentChooser(hub, payments)


class PaymentChooser(QDialog):
    """Which payment to refund (a customer's payments, newest first)."""

    def __init__(self, hub: ActionHub, payments: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(hub.window)
        self.hub = hub
        self.setWindowTitle("Refund which payment?")
        self.list = QListWidget()
        for payment in payments:
            text = "   ".join(
                part
                for part in (
                    formatting.date_text(payment.get("created")),
                    formatting.amount_text(payment.get("amount"), payment.get("currency")),
                    str(payment.get("description") or ""),
                    str(payment["id"]),
                )
                if part
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, payment["id"])
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self.accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Refund…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Choose the payment to refund; what is left is checked with Stripe.")
        )
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def accept(self) -> None:
        item = self.list.currentItem()
        super().accept()
        if item is not None:
            target = str(item.data(Qt.ItemDataRole.UserRole))
            self.hub.show(open_refund(self.hub, target), "refund")
