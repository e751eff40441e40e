"""Create or edit a customer (name, email, phone, address, metadata), or delete one after the
id has been typed."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget

from desk_billing.core.account import AccountSession
from desk_billing.core.errors import ValidationError
from desk_billing.core.journal import Journal, OperationResult
from desk_billing.core.operations.confirm import LiveConfirmation
from desk_billing.core.operations.customers import (
    ADDRESS_FIELDS,
    CustomerFields,
    check_customer,
    create_customer,
    delete_customer,
    update_customer,
)
from desk_billing.gui.dialogs.operation import OperationDialog, Work
from desk_billing.gui.tasks import TaskRunner

ADDRESS_LABELS = {
    "line1": "Address", "line2": "Address line 2", "city": "City",
    "postal_code": "Postal code", "state": "State", "country": "Country (2 letters)",
}  # fmt: skip


def _metadata_text(metadata: dict[str, Any]) -> str:
    return "\n".join(f"{k}={v}" for k, v in metadata.items())


def parse_metadata(text: str) -> dict[str, str]:
    """key=value per line."""
    result = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise ValidationError(f"Metadata line {number} needs the form key=value.")
        key, value = line.split("=", 1)
        result[key.strip()] = value.strip()
    return result


class CustomerEditDialog(OperationDialog):
    """`customer=None` creates; otherwise the cached customer's fields are edited."""

    ok_text = "Save"

    def __init__(
        self,
        runner: TaskRunner,
        session: AccountSession,
        customer: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, session, parent)
        self.customer_id = customer["id"] if customer else None
        self.setWindowTitle(f"Edit {self.customer_id}" if customer else "New customer")
        customer = customer or {}
        self.name = QLineEdit(customer.get("name") or "")
        self.email = QLineEdit(customer.get("email") or "")
        self.phone = QLineEdit(customer.get("phone") or "")
        address = customer.get("address") or {}
        self.address = {k: QLineEdit(address.get(k) or "") for k in ADDRESS_FIELDS}
        self.metadata = QPlainTextEdit(_metadata_text(customer.get("metadata") or {}))
        self.metadata.setPlaceholderText("internal_id=C-42")
        self.form.addRow("Name", self.name)
        self.form.addRow("Email", self.email)
        self.form.addRow("Phone", self.phone)
        for key, edit in self.address.items():
            self.form.addRow(ADDRESS_LABELS[key], edit)
        self.form.addRow("Metadata", self.metadata)

    def validate(self) -> CustomerFields:
        fields = check_customer(
            CustomerFields(
                name=self.name.text(),
                email=self.email.text(),
                phone=self.phone.text(),
                address={k: e.text() for k, e in self.address.items()},
                metadata=parse_metadata(self.metadata.toPlainText()),
            )
        )
        if self.customer_id is None and not fields.name and not fields.email:
            raise ValidationError("Give the customer a name or an email address.")
        return fields

    def work(self, fields: CustomerFields) -> Work:
        customer_id = self.customer_id

        def save(journal: Journal) -> OperationResult:
            if customer_id is None:
                return create_customer(journal, fields)
            return update_customer(journal, customer_id, fields)

        return save


class CustomerDeleteDialog(OperationDialog):
    """Deleting is final (Stripe also cancels the customer's subscriptions): type the id."""

    ok_text = "Delete"

    def __init__(
        self,
        runner: TaskRunner,
        session: AccountSession,
        customer_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, session, parent)
        self.customer_id = customer_id
        self.setWindowTitle(f"Delete {customer_id}")
        self.form.addRow(
            QLabel(
                f"Deleting {customer_id} is final and cancels its subscriptions. Type the id to confirm:"
            )
        )
        self.typed = QLineEdit()
        self.form.addRow("Customer id", self.typed)

    def validate(self) -> str:
        if self.typed.text().strip() != self.customer_id:
            raise ValidationError(f"Type {self.customer_id} to confirm the deletion.")
        return self.typed.text().strip()

    def confirmation(self, typed: str) -> LiveConfirmation:
        return LiveConfirmation(self.customer_id)

    def work(self, typed: str) -> Work:
        customer_id = self.customer_id

        def delete(journal: Journal) -> OperationResult:
            return delete_customer(journal, customer_id, typed)

        return delete
