"""A new subscription: a customer picked by name, prices picked from the catalogue with a
quantity beside each, trial days, collection (charge automatically, or send invoices due in N
days), accepted payment method types."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QSpinBox, QWidget

from desk_billing.core.account import AccountSession
from desk_billing.core.journal import Journal, OperationResult
from desk_billing.core.operations.confirm import LiveConfirmation
from desk_billing.core.operations.subscriptions import (
    SubscriptionPlan,
    check_subscription,
    create_subscription,
)
from desk_billing.gui.dialogs.operation import OperationDialog, Work
from desk_billing.gui.pickers import CustomerPicker, PricePicker
from desk_billing.gui.tasks import TaskRunner

METHOD_LABELS = {
    "card": "Card",
    "sepa_debit": "SEPA Direct Debit",
    "us_bank_account": "US bank account",
}


class NewSubscriptionDialog(OperationDialog):
    ok_text = "Create subscription"

    def __init__(
        self,
        runner: TaskRunner,
        session: AccountSession,
        customer: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, session, parent)
        self.setWindowTitle("New subscription")
        self.picker = CustomerPicker(runner, session.cache_path, customer)
        self.prices = PricePicker(runner, session.cache_path)
        # Stripe bills a subscription in one currency: offer the customer's prices.
        self.picker.chosen.connect(
            lambda choice: self.prices.set_currency(choice.currency if choice else None)
        )
        self.trial_days = QSpinBox()
        self.trial_days.setRange(0, 730)
        self.collection = QComboBox()
        self.collection.addItem("Charge automatically", "charge_automatically")
        self.collection.addItem("Send invoices", "send_invoice")
        self.days_until_due = QSpinBox()
        self.days_until_due.setRange(0, 365)
        self.days_until_due.setValue(30)
        self.methods = {t: QCheckBox(label) for t, label in METHOD_LABELS.items()}
        row = QHBoxLayout()
        for box in self.methods.values():
            row.addWidget(box)
        self.form.addRow("Customer", self.picker)
        self.form.addRow("Prices", self.prices)
        self.form.addRow("Trial days", self.trial_days)
        self.form.addRow("Collection", self.collection)
        self.form.addRow("Days until due", self.days_until_due)
        self.form.addRow("Accepted methods", row)

    def first_field(self) -> QWidget | None:
        # Opened from a customer: start with the prices.
        return self.prices if self.picker.customer_id() else self.picker

    def validate(self) -> SubscriptionPlan:
        collection = self.collection.currentData()
        return check_subscription(
            self.picker.customer_id(),
            self.prices.items(),
            self.trial_days.value(),
            collection,
            self.days_until_due.value() if collection == "send_invoice" else None,
            [t for t, box in self.methods.items() if box.isChecked()],
        )

    def confirmation(self, plan: SubscriptionPlan) -> LiveConfirmation:
        return LiveConfirmation(plan.customer)

    def work(self, plan: SubscriptionPlan) -> Work:
        def create(journal: Journal) -> OperationResult:
            return create_subscription(journal, plan)

        return create
