"""A one-off invoice: a customer picked by name, lines (description, quantity, unit amount in the
invoice's currency — the customer's by default) with the total shown as it is typed, due days,
collection method, memo; created and sent in one go, or saved as a draft."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desk_billing.core.account import AccountSession
from desk_billing.core.cache.choices import CustomerChoice
from desk_billing.core.errors import ValidationError
from desk_billing.core.journal import Journal, OperationResult
from desk_billing.core.money import format_amount, parse_amount
from desk_billing.core.operations.confirm import LiveConfirmation
from desk_billing.core.operations.invoices import (
    InvoiceDraft,
    InvoiceLine,
    check_invoice,
    create_invoice,
)
from desk_billing.gui.dialogs.operation import OperationDialog, Work
from desk_billing.gui.pickers import CustomerPicker
from desk_billing.gui.tasks import TaskRunner

Line = tuple[QLineEdit, QSpinBox, QLineEdit]
DEFAULT_CURRENCY = "EUR"  # until a customer with a currency of its own is chosen


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
        self.as_draft = False
        # Made in the order of the form: that is the order Tab walks.
        self.picker = CustomerPicker(runner, session.cache_path, customer)
        self.picker.chosen.connect(self._customer_chosen)
        self.currency = QLineEdit(DEFAULT_CURRENCY)
        self.currency.setMaximumWidth(80)
        self.currency.textChanged.connect(self._update_total)
        self.lines_grid = QGridLayout()
        self.lines: list[Line] = []
        self.add_button = QPushButton("&Add line")
        self.add_button.setToolTip("Another line (Alt+A)")
        self.add_button.clicked.connect(lambda: self.add_line()[0].setFocus())
        self.total = QLabel()
        self.total.setObjectName("total")
        self.collection = QComboBox()
        self.collection.addItem("Email invoice to the customer", "send_invoice")
        self.collection.addItem("Charge the default payment method", "charge_automatically")
        self.due_days = QSpinBox()
        self.due_days.setRange(0, 365)
        self.due_days.setValue(30)
        self.memo = QLineEdit()
        self.form.addRow("Customer", self.picker)
        self.form.addRow("Currency", self.currency)
        self.form.addRow("Lines", self.lines_grid)
        self.form.addRow("", self.add_button)
        self.form.addRow("Total", self.total)
        self.form.addRow("Collection", self.collection)
        self.form.addRow("Due in days", self.due_days)
        self.form.addRow("Memo", self.memo)
        self.draft_button = self.buttons.addButton(
            "Save as &draft", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.draft_button.clicked.connect(self.save_draft)
        self.add_line()

    # -- the form -----------------------------------------------------------------------------
    def first_field(self) -> QWidget | None:
        if self.picker.customer_id():  # opened from a customer: start with the first line
            return self.lines[0][0]
        return self.picker

    def customer_id(self) -> str:
        return self.picker.customer_id()

    def _customer_chosen(self, choice: CustomerChoice | None) -> None:
        if choice is not None and choice.currency:
            self.currency.setText(choice.currency.upper())

    def add_line(self) -> Line:
        description, quantity, unit = QLineEdit(), QSpinBox(), QLineEdit()
        description.setPlaceholderText("Description")
        quantity.setRange(0, 100000)
        quantity.setValue(1)
        quantity.setAccessibleName("Quantity")
        unit.setPlaceholderText("Unit amount")
        row = len(self.lines)
        for column, widget in enumerate((description, quantity, unit)):
            self.lines_grid.addWidget(widget, row, column)
        previous = self.lines[-1][2] if self.lines else self.currency
        for before, after in ((previous, description), (description, quantity), (quantity, unit)):
            QWidget.setTabOrder(before, after)
        QWidget.setTabOrder(unit, self.add_button)
        description.textChanged.connect(self._update_total)
        quantity.valueChanged.connect(self._update_total)
        unit.textChanged.connect(self._update_total)
        self.lines.append((description, quantity, unit))
        self._update_total()
        return description, quantity, unit

    def _update_total(self) -> None:
        """The total as typed, before anything is created; or what stops it being one."""
        currency = self.currency.text().strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            self.total.setText("— (choose a currency)")
            return
        total = 0
        for number, (_description, quantity, unit) in enumerate(self.lines, start=1):
            if not unit.text().strip():
                continue
            try:
                total += quantity.value() * parse_amount(unit.text(), currency)
            except ValidationError as error:
                self.total.setText(f"— (line {number}: {error.message})")
                return
        self.total.setText(format_amount(total, currency))
        for _description, _quantity, unit in self.lines:
            unit.setPlaceholderText(f"Unit amount ({currency})")

    # -- submitting ---------------------------------------------------------------------------
    def submit(self) -> None:
        self.as_draft = False
        super().submit()

    def save_draft(self) -> None:
        """A draft: nothing is finalized or sent, no money moves; it can be finished later."""
        self.as_draft = True
        OperationDialog.submit(self)

    def validate(self) -> InvoiceDraft:
        lines = [
            InvoiceLine(d.text(), q.value(), u.text())
            for d, q, u in self.lines
            if d.text().strip() or u.text().strip()
        ]
        collection = self.collection.currentData()
        return check_invoice(
            self.customer_id(),
            self.currency.text(),
            lines,
            collection,
            self.due_days.value() if collection == "send_invoice" else None,
            self.memo.text(),
        )

    def confirmation(self, draft: InvoiceDraft) -> LiveConfirmation | None:
        if draft.collection_method == "charge_automatically" and not self.as_draft:
            return LiveConfirmation(draft.customer, draft.total, draft.currency)
        return None

    def work(self, draft: InvoiceDraft) -> Work:
        finish = not self.as_draft

        def create(journal: Journal) -> OperationResult:
            return create_invoice(journal, draft, finalize=finish, send=finish)

        return create
