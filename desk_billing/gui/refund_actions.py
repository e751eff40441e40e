"""Refunds from any list: a payment's or charge's own refund dialog, or, from a customer's or
an invoice's detail, a chooser among its successful payments first (for a customer, a picker
chooses whose: by name, email or id)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from desk_billing.core.cache.choices import CustomerChoice
from desk_billing.core.cache.details import customer_detail
from desk_billing.core.cache.reading import reader
from desk_billing.gui import formatting
from desk_billing.gui.actions import ActionHub, Selection, needs_row
from desk_billing.gui.dialogs.keyboard import only_default_on_enter
from desk_billing.gui.pickers import CustomerPicker
from desk_billing.gui.tasks import TaskControl


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


def check_refund_from_customer(selection: Selection | None) -> str | None:
    """Always possible: with no customer selected, the chooser's picker says whose payment."""
    if selection is not None and selection.obj.get("deleted"):
        return f"{selection.id} has been deleted."
    return None


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


def refund_from_customer(hub: ActionHub, selection: Selection | None) -> QDialog:
    """The chooser with a customer picker: the selected customer's payments, or anyone's."""
    customer = selection.id if selection is not None else ""
    return PaymentChooser(hub, refundable_payments(selection), customer=customer)


class PaymentChooser(QDialog):
    """Which payment to refund (a customer's payments, newest first)."""

    def __init__(
        self,
        hub: ActionHub,
        payments: Sequence[Mapping[str, Any]],
        customer: str | None = None,
    ) -> None:
        super().__init__(hub.window)
        self.hub = hub
        self._chosen = False
        self.setWindowTitle("Refund which payment?")
        self.picker: CustomerPicker | None = None
        self.list = QListWidget()
        self.list.itemActivated.connect(lambda _item: self.accept())  # a double-click
        self.empty = QLabel()
        self.empty.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Refund…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if customer is not None:
            self.picker = CustomerPicker(hub.runner, hub.session.cache_path, customer)
            self.picker.chosen.connect(self._customer_chosen)
            whose = QFormLayout()
            whose.addRow("Customer", self.picker)
            layout.addLayout(whose)
        layout.addWidget(
            QLabel("Choose the payment to refund; what is left is checked with Stripe.")
        )
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        layout.addWidget(self.buttons)
        only_default_on_enter(self, self.ok_button)
        self.show_payments(payments)
        start = self.list if payments or self.picker is None else self.picker
        start.setFocus()
        self.resize(560, 360)

    def show_payments(self, payments: Sequence[Mapping[str, Any]]) -> None:
        self.list.clear()
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
        self.ok_button.setEnabled(bool(payments))
        self.empty.setVisible(not payments)
        self.empty.setText("No successful payment of this customer in the local copy.")

    def _customer_chosen(self, choice: CustomerChoice | None) -> None:
        if choice is None:
            self.show_payments([])
            self.empty.hide()
            return
        path, customer_id = self.hub.session.cache_path, choice.id

        def read(control: TaskControl) -> list[dict[str, Any]]:
            payments = customer_detail(reader(path), customer_id)["payments"]
            return [p for p in payments if p.get("status") == "succeeded"]

        def show(payments: list[dict[str, Any]]) -> None:
            if self.picker is None or self.picker.choice != choice:
                return  # another customer was chosen meanwhile
            self.show_payments(payments)
            if payments and self.picker.edit.hasFocus():
                self.list.setFocus()  # Down/Up choose the payment, Enter refunds it

        self.hub.runner.run(read, success=show, lane="db")

    def accept(self) -> None:
        item = self.list.currentItem()
        if self._chosen or item is None:
            return  # Enter on the list and the default button both land here: one dialog
        self._chosen = True
        super().accept()
        target = str(item.data(Qt.ItemDataRole.UserRole))
        self.hub.show(open_refund(self.hub, target), "refund")
