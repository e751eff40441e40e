"""Collecting open invoices: payment attempts, declines, automatic retries, overdue notices.

Every attempt confirms the invoice's own payment intent (made at finalization, `invoice_payments`);
its success or a SEPA debit's late failure comes back through ON_PAYMENT_SETTLED. A failed
automatic attempt is retried after RETRY_DAYS; subscriptions listen on ON_INVOICE_PAYMENT_FAILED
and ON_INVOICE_OVERDUE for their dunning. A failed payment or a passed due date makes the customer
`delinquent`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError, card_error, invalid
from ..router import Call, api
from ..state import State
from .billing_clock import SCHEDULERS
from .customers import set_delinquent
from .invoice_lines import emit_invoice, render
from .invoice_payments import default_intent, invoice_of
from .invoices import finalize_invoice, mark_paid, require_invoice
from .payment_attempts import ON_PAYMENT_SETTLED
from .payment_methods import default_payment_method
from .payments import confirm_intent

ON_INVOICE_PAYMENT_FAILED: list[Callable[[State, dict[str, Any], dict[str, Any] | None], None]] = []


RETRY_DAYS = (3, 5, 7)  # after a failed automatic attempt: retry 3, then 5, then 7 days later


NO_PAYMENT_METHOD = (
    "This customer has no attached payment source or default payment method. Please consider adding "
    "a default payment method. For more information, visit "
    "https://docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority."
)


def subscription_of(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    sub_id = details.get("subscription")
    return state.get("subscriptions", sub_id) if sub_id else None


def payment_method_for(
    state: State, invoice: dict[str, Any], explicit: str | None = None
) -> str | None:
    """Stripe's priority: the given one, the invoice's, the subscription's, the customer's default."""
    if explicit:
        return explicit
    if invoice.get("default_payment_method"):
        return invoice["default_payment_method"]
    sub = subscription_of(state, invoice)
    if sub and sub.get("default_payment_method"):
        return sub["default_payment_method"]
    return default_payment_method(state, invoice["customer"])


def collect(
    state: State,
    invoice: dict[str, Any],
    *,
    payment_method: str | None = None,
    off_session: bool = True,
    retry: bool = True,
) -> dict[str, Any] | None:
    """One collection attempt on an open invoice; returns the payment intent (None: nothing to try).

    Success marks the invoice paid; a decline emits invoice.payment_failed, counts the attempt
    and (for automatic collection, `retry`) schedules the next one after RETRY_DAYS; SEPA stays
    `processing` until the payments module settles it (ON_PAYMENT_SETTLED).
    """
    if invoice["amount_remaining"] <= 0:
        mark_paid(state, invoice)
        return None
    pm = payment_method_for(state, invoice, payment_method)
    now = state.now()
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    if pm is None:
        _failed(state, invoice, None, retry=retry, now=now)
        return None
    pi = default_intent(state, invoice)
    confirm_intent(state, pi, {"payment_method": pm, "off_session": off_session})
    status = pi.get("status")
    if status == "succeeded":
        mark_paid(state, invoice, payment_intent=pi)
    elif status == "processing":
        invoice["next_payment_attempt"] = None
        emit_invoice(state, "invoice.updated", invoice)
    elif status == "requires_action":
        invoice["next_payment_attempt"] = None
        emit_invoice(state, "invoice.payment_action_required", invoice)
    else:
        _failed(state, invoice, pi, retry=retry, now=now)
    return pi


def _failed(
    state: State, invoice: dict[str, Any], pi: dict[str, Any] | None, *, retry: bool, now: int
) -> None:
    attempts = invoice["attempt_count"]
    automatic = invoice["collection_method"] == "charge_automatically" and invoice["auto_advance"]
    if (
        retry
        and automatic
        and attempts <= len(RETRY_DAYS)
        and invoice["billing_reason"] != "subscription_create"
    ):
        invoice["next_payment_attempt"] = now + RETRY_DAYS[attempts - 1] * 86400
    else:
        invoice["next_payment_attempt"] = None
    emit_invoice(state, "invoice.payment_failed", invoice)
    set_delinquent(state, invoice["customer"], True)
    for hook in ON_INVOICE_PAYMENT_FAILED:
        hook(state, invoice, pi)


def _on_payment_settled(state: State, pi: dict[str, Any]) -> None:
    invoice_id = invoice_of(state, pi["id"])
    invoice = state.get("invoices", invoice_id) if invoice_id else None
    if invoice is None or invoice["status"] not in ("open", "uncollectible"):
        return
    if pi.get("status") == "succeeded":
        mark_paid(state, invoice, payment_intent=pi)
    elif pi.get("status") == "requires_payment_method":
        _failed(state, invoice, pi, retry=True, now=state.now())


if _on_payment_settled not in ON_PAYMENT_SETTLED:
    ON_PAYMENT_SETTLED.append(_on_payment_settled)


@api.route("post", "/v1/invoices/{invoice}/pay")
def pay_route(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    invoice = require_invoice(state, call.arg("invoice"), param="id")
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid")
    if invoice["status"] == "void":
        raise invalid("This invoice has been voided and cannot be paid.")
    if invoice["status"] == "draft":
        finalize_invoice(state, invoice)
        if invoice["status"] == "paid":
            return render(invoice)
    if params.get("paid_out_of_band"):
        return render(mark_paid(state, invoice, out_of_band=True))
    pm = payment_method_for(state, invoice, params.get("payment_method"))
    if pm is None:
        raise invalid(NO_PAYMENT_METHOD, code="resource_missing")
    pi = collect(
        state, invoice, payment_method=pm, off_session=params.get("off_session", True), retry=False
    )
    if pi is None or invoice["status"] == "paid":
        return render(invoice)
    status = pi.get("status")
    if status == "requires_payment_method":
        error = pi.get("last_payment_error") or {}
        raise card_error(
            error.get("message") or "Your card was declined.",
            code=error.get("code") or "card_declined",
            decline_code=error.get("decline_code"),
            charge=error.get("charge"),
        )
    if status == "requires_action":
        raise ApiError(
            402,
            "This payment requires additional user action before it can be completed successfully. "
            "Payment can be completed using the PaymentIntent associated with the invoice.",
            type="card_error",
            code="invoice_payment_intent_requires_action",
        )
    return render(invoice)  # processing (SEPA): open until the debit settles


def due_actions(
    state: State, before: int, after: int
) -> list[tuple[int, int, str, Callable[[], None]]]:
    """(time, order, key, action) for every invoice event falling due in (before, after]."""
    actions: list[tuple[int, int, str, Callable[[], None]]] = []
    for invoice in state.collection("invoices").by_id.values():
        status = invoice["status"]
        if status == "draft":
            at = invoice["automatically_finalizes_at"]
            if invoice["auto_advance"] and at is not None and at <= after:
                actions.append((at, 1, f"fin:{invoice['id']}", _auto_finalize(state, invoice)))
        elif status == "open":
            at = invoice["next_payment_attempt"]
            if (
                at is not None
                and at <= after
                and invoice["collection_method"] == "charge_automatically"
            ):
                actions.append((at, 2, f"pay:{invoice['id']}:{at}", _retry(state, invoice, at)))
            due = invoice["due_date"]
            if (
                invoice["collection_method"] == "send_invoice"
                and due is not None
                and before < due <= after
            ):
                actions.append((due, 3, f"due:{invoice['id']}", _overdue(state, invoice)))
    return actions


def _auto_finalize(state: State, invoice: dict[str, Any]) -> Callable[[], None]:
    def run() -> None:
        if invoice["status"] == "draft" and invoice["auto_advance"]:
            finalize_invoice(state, invoice)
            if invoice["status"] == "open" and invoice["collection_method"] == "send_invoice":
                emit_invoice(state, "invoice.sent", invoice)

    return run


def _retry(state: State, invoice: dict[str, Any], at: int) -> Callable[[], None]:
    def run() -> None:
        if invoice["status"] == "open" and invoice["next_payment_attempt"] == at:
            sub = subscription_of(state, invoice)
            if sub is not None and sub.get("pause_collection"):
                invoice["next_payment_attempt"] = None
                return
            collect(state, invoice)

    return run


def _overdue(state: State, invoice: dict[str, Any]) -> Callable[[], None]:
    def run() -> None:
        if invoice["status"] == "open":
            emit_invoice(state, "invoice.overdue", invoice)
            set_delinquent(state, invoice["customer"], True)
            for hook in ON_INVOICE_OVERDUE:
                hook(state, invoice)

    return run


ON_INVOICE_OVERDUE: list[Callable[[State, dict[str, Any]], None]] = []


SCHEDULERS.append(due_actions)
