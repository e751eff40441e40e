"""A one-off invoice: customer, lines (description, quantity, unit amount), currency, due days,
collection method, memo; created, finalized and sent in one go."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desk_billing.core.account import AccountSession
from desk_billing.core.journal import Journal, OperationResult
from desk_billing.core.operations.confirm import LiveConfirmation
from desk_billing.core.operations.invoices import (
    InvoiceDraft,
    InvoiceLine,
    check_invoice,
    create_invoice,
)
from desk_billing.gui.dialogs.operation import OperationDialog, Work
from desk_billing.gui.tasks import TaskRunner


class NewInvoiceDialog(OperationDialog):
    ok_text = "Create and send"

    def __init__(
        self,
        runner: TaskRunner,
        session: AccountSession,
        customer: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, session, parent)
        self.setWindowTitle("New invoice")
        self.customer = QLineEdit(customer)
        self.customer.setPlaceholderText("cus_…")
        self.currency = QLineEdit("EUR")
        self.collection = QComboBox()
        self.collection.addItem("Email invoice to the customer", "send_invoice")
        self.collection.addItem("Charge the default payment method", "charge_automatically")
        self.due_days = QSpinBox()
        self.due_days.setRange(0, 365)
        self.due_days.setValue(30)
        self.memo = QLineEdit()
        self.lines_grid = QGridLayout()
        self.lines: list[tuple[QLineEdit, QSpinBox, QLineEdit]] = []
        add = QPushButton("Add line")
        add.clicked.connect(self.add_line)
        self.form.addRow("Customer", self.customer)
        self.form.addRow("Currency", self.currency)
        self.form.addRow("Lines", self.lines_grid)
        self.form.addRow("", add)
        self.form.addRow("Collection", self.collection)
        self.form.addRow("Due in days", self.due_days)
        self.form.addRow("Memo", self.memo)
        self.add_line()

    def add_line(self) -> tuple[QLineEdit, QSpinBox, QLineEdit]:
        description, quantity, unit = QLineEdit(), QSpinBox(), QLineEdit()
        description.setPlaceholderText("Description")
        quantity.setRange(0, 100000)
        quantity.setValue(1)
        unit.setPlaceholderText("Unit amount")
        row = len(self.lines)
        for column, widget in enumerate((description, quantity, unit)):
            self.lines_grid.addWidget(widget, row, column)
        self.lines.append((description, quantity, unit))
        return description, quantity, unit

    def validate(self) -> InvoiceDraft:
        lines = [
            InvoiceLine(d.text(), q.value(), u.text())
            for d, q, u in self.lines
            if d.text().strip() or u.text().strip()
        ]
        collection = self.collection.currentData()
        return check_invoice(
            self.customer.text(),
            self.currency.text(),
            lines,
            collection,
            self.due_days.value() if collection == "send_invoice" else None,
            self.memo.text(),
        )

    def confirmation(self, draft: InvoiceDraft) -> LiveConfirmation | None:
        if draft.collection_method == "charge_automatically":  # money moves at once
            return LiveConfirmation(draft.customer, draft.total, draft.currency)
        return None

    def work(self, draft: InvoiceDraft) -> Work:
        def create(journal: Journal) -> OperationResult:
            return create_invoice(journal, draft)

        return create
