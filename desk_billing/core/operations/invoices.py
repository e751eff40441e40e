"""Invoices: a one-off invoice (lines, due days, collection method, memo) drafted, finalized and
sent; paying now (a retry of a failed payment), voiding, marking uncollectible. Each step is
its own journaled operation, so a failure halfway leaves a draft that can be continued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from desk_billing.core.errors import ValidationError
from desk_billing.core.journal import (
    Journal,
    OperationRequest,
    OperationResult,
    operation,
    reports_changes,
)
from desk_billing.core.operations.validation import positive_amount, require_id
from desk_billing.core.statuses import INVOICE_ACTIONS

COLLECTION_METHODS = ("send_invoice", "charge_automatically")


@operation("invoice.create")
def _create(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.invoices.create(params, options)


@operation("invoiceitem.create")
def _add_item(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.invoice_items.create(params, options)


def _action(verb: str):
    def call(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
        return getattr(v1.invoices, verb)(target, params, options)

    return call


for _verb in ("finalize_invoice", "send_invoice", "pay", "void_invoice", "mark_uncollectible"):
    operation(f"invoice.{_verb}")(_action(_verb))


@dataclass(frozen=True)
class InvoiceLine:
    """One line as typed: description, quantity, unit amount (text, in the invoice currency)."""

    description: str
    quantity: int
    unit_amount: str


@dataclass(frozen=True)
class InvoiceDraft:
    """A validated one-off invoice."""

    customer: str
    currency: str
    lines: tuple[tuple[str, int, int], ...]  # (description, quantity, unit amount in minor units)
    collection_method: str
    days_until_due: int | None
    memo: str | None

    @property
    def total(self) -> int:
        return sum(q * unit for _, q, unit in self.lines)


def check_invoice(
    customer: str,
    currency: str,
    lines: Sequence[InvoiceLine],
    collection_method: str = "send_invoice",
    days_until_due: int | None = 30,
    memo: str | None = None,
) -> InvoiceDraft:
    """Every field checked, each problem one sentence naming the line."""
    customer = require_id(customer, ("cus_",), "customer")
    currency = (currency or "").strip().lower()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError("Choose a currency (a three-letter code such as EUR).")
    if collection_method not in COLLECTION_METHODS:
        raise ValidationError("Collection is either 'send_invoice' or 'charge_automatically'.")
    if not lines:
        raise ValidationError("Add at least one line.")
    checked = []
    for number, line in enumerate(lines, start=1):
        if not line.description.strip():
            raise ValidationError(f"Line {number} needs a description.")
        if line.quantity < 1:
            raise ValidationError(f"Line {number}: the quantity must be at least 1.")
        unit = positive_amount(line.unit_amount, currency, f"unit amount of line {number}")
        checked.append((line.description.strip(), int(line.quantity), unit))
    if collection_method == "send_invoice":
        if days_until_due is None or not 0 <= days_until_due <= 365:
            raise ValidationError("Due days must be between 0 and 365.")
    else:
        days_until_due = None
    return InvoiceDraft(
        customer, currency, tuple(checked), collection_method, days_until_due, memo or None
    )


@reports_changes
def create_invoice(
    journal: Journal, draft: InvoiceDraft, *, finalize: bool = True, send: bool = True
) -> OperationResult:
    """Draft the invoice, add its lines, then finalize and (for send_invoice) email it. The
    result is the last step's, with the invoice as it stands after all of them."""
    params: dict[str, Any] = {
        "customer": draft.customer,
        "currency": draft.currency,
        "collection_method": draft.collection_method,
        "auto_advance": False,
        "pending_invoice_items_behavior": "exclude",
    }
    if draft.days_until_due is not None:
        params["days_until_due"] = draft.days_until_due
    if draft.memo:
        params["description"] = draft.memo
    created = journal.run(
        OperationRequest(
            "invoice.create", params, draft.customer, draft.total, draft.currency, tag=True
        )
    )
    invoice = created.object
    for description, quantity, unit in draft.lines:
        item = {
            "customer": draft.customer,
            "invoice": invoice["id"],
            "currency": draft.currency,
            "description": description,
            "quantity": quantity,
            "unit_amount_decimal": str(unit),
        }
        journal.run(
            OperationRequest(
                "invoiceitem.create", item, invoice["id"], quantity * unit, draft.currency
            )
        )
    if not finalize:
        return replace(created, object=_fresh(journal, invoice["id"]))
    result = act(journal, invoice["id"], "finalize_invoice")
    if send and draft.collection_method == "send_invoice":
        result = act(journal, invoice["id"], "send_invoice")
    return result


def _fresh(journal: Journal, invoice_id: str) -> dict[str, Any]:
    with journal.gateway.errors():
        return journal.refresh("invoices", journal.gateway.client.v1.invoices.retrieve(invoice_id))


ALLOWED = INVOICE_ACTIONS
WORDS = {
    "finalize_invoice": "finalized",
    "send_invoice": "sent",
    "pay": "paid now",
    "void_invoice": "voided",
    "mark_uncollectible": "marked uncollectible",
}


@reports_changes
def act(journal: Journal, invoice_id: str, verb: str) -> OperationResult:
    """finalize_invoice, send_invoice, pay (retry collection), void_invoice or mark_uncollectible,
    refused up front when the invoice's current status does not allow it."""
    invoice_id = require_id(invoice_id, ("in_",), "invoice")
    current = _fresh(journal, invoice_id)
    if current["status"] not in ALLOWED[verb]:
        raise ValidationError(
            f"Invoice {invoice_id} cannot be {WORDS[verb]}; its status is {current['status']}."
        )
    amount = current["amount_remaining"] if verb == "pay" else current.get("total")
    request = OperationRequest(f"invoice.{verb}", {}, invoice_id, amount, current["currency"])
    return journal.run(request)
