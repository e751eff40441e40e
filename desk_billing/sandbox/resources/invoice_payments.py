"""Invoice payments: the InvoicePayment that links an invoice to the payment intent paying it.

As on Stripe (API version 2026-10-28.endive), finalizing an invoice with an amount due creates its
default InvoicePayment and one payment intent for that amount; every collection attempt — the
automatic ones, `invoices.pay`, or a client confirming the intent itself (a `default_incomplete`
subscription's first invoice) — confirms that same intent, and its success settles the invoice.
The invoice shows them in the includable `payments` list, the intent's client secret in the
includable `confirmation_secret`; `GET /v1/invoice_payments` lists them and
`invoice_payment.paid` announces a paid one.
"""

from __future__ import annotations

from typing import Any

from ..common import require
from ..listing import includable, list_object, paginate
from ..router import Call, api
from ..state import State
from .payments import cancel_intent, create_intent

_LINKS = "_invoice_payment_links"  # payment intent id -> its invoice and invoice payment


def _description(invoice: dict[str, Any]) -> str:
    if invoice["billing_reason"] == "subscription_create":
        return "Subscription creation"
    if (invoice.get("parent") or {}).get("subscription_details"):
        return "Subscription update"
    return f"Payment for Invoice {invoice['number'] or ''}".strip()


def open_default_payment(state: State, invoice: dict[str, Any]) -> dict[str, Any]:
    """At finalization: the invoice's payment intent and its default (open) InvoicePayment."""
    types = (invoice.get("payment_settings") or {}).get("payment_method_types")
    pi = create_intent(
        state,
        {
            "amount": invoice["amount_remaining"],
            "currency": invoice["currency"],
            "customer": invoice["customer"],
            "description": _description(invoice),
            **({"allowed_payment_method_types": types} if types else {}),
        },
        check_amount=False,
        # an invoice's intent takes the types its payment settings allow, not the Dashboard's
        # automatic ones: the customer confirms it without a redirect URL
        automatic=False,
    )
    record = state.insert(
        "invoice_payments",
        {
            "id": state.new_id("inpay"),
            "object": "invoice_payment",
            "amount_paid": None,
            "amount_requested": invoice["amount_remaining"],
            "created": state.now(),
            "currency": invoice["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {"payment_intent": pi["id"], "type": "payment_intent"},
            "status": "open",
            "status_transitions": {"canceled_at": None, "paid_at": None},
        },
    )
    state.insert(
        _LINKS,
        {
            "id": pi["id"],
            "created": pi["created"],
            "invoice": invoice["id"],
            "record": record["id"],
        },
    )
    return record


def forget_payments(state: State, invoice: dict[str, Any]) -> list[str]:
    """Remove the payments of an invoice that never existed; returns their ids."""
    records = payments_of(state, invoice["id"])
    for record in records:
        state.delete("invoice_payments", record["id"])
        state.delete(_LINKS, record["payment"]["payment_intent"])
    return [record["id"] for record in records]


def invoice_of(state: State, pi_id: str) -> str | None:
    """The invoice a payment intent pays, if it is an invoice's."""
    link = state.get(_LINKS, pi_id)
    return link["invoice"] if link else None


def payments_of(state: State, invoice_id: str) -> list[dict[str, Any]]:
    """The invoice's payments, oldest first."""
    return list(reversed(state.where("invoice_payments", "invoice", invoice_id)))


def default_payment(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in payments_of(state, invoice["id"]) if r["is_default"]), None)


def default_intent(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """The payment intent every collection attempt on this invoice confirms."""
    record = default_payment(state, invoice)
    return state.get("payment_intents", record["payment"]["payment_intent"]) if record else None


def paid_intent(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """The payment intent that paid the invoice (its charge is what a refund of it refunds)."""
    for record in payments_of(state, invoice["id"]):
        if record["status"] == "paid":
            return state.get("payment_intents", record["payment"]["payment_intent"])
    return None


def record_paid(state: State, pi: dict[str, Any]) -> None:
    """The intent succeeded: its InvoicePayment is paid (`invoice_payment.paid`)."""
    link = state.get(_LINKS, pi["id"])
    record = state.get("invoice_payments", link["record"]) if link else None
    if record is None or record["status"] == "paid":
        return
    state.update(
        record,
        {
            "status": "paid",
            "amount_paid": pi["amount_received"],
            "status_transitions": {**record["status_transitions"], "paid_at": state.now()},
        },
    )
    state.emit("invoice_payment.paid", record)


def cancel_default_payment(state: State, invoice: dict[str, Any], reason: str) -> None:
    """Voided, paid out of band or fully credited: the open payment and its intent are canceled."""
    record = default_payment(state, invoice)
    if record is None or record["status"] != "open":
        return
    pi = state.get("payment_intents", record["payment"]["payment_intent"])
    if pi is not None and pi["status"] not in ("succeeded", "canceled", "processing"):
        cancel_intent(state, pi, reason)
    state.update(
        record,
        {
            "status": "canceled",
            "status_transitions": {**record["status_transitions"], "canceled_at": state.now()},
        },
    )


def sync_amount(state: State, invoice: dict[str, Any]) -> None:
    """Stripe keeps the default payment at the invoice's `amount_remaining` (a credit note lowers it)."""
    record = default_payment(state, invoice)
    if record is None or record["status"] != "open" or invoice["amount_remaining"] <= 0:
        return
    record["amount_requested"] = invoice["amount_remaining"]
    pi = state.get("payment_intents", record["payment"]["payment_intent"])
    if pi is not None and pi["status"] in ("requires_payment_method", "requires_confirmation"):
        pi["amount"] = invoice["amount_remaining"]


# -- the invoice's includable fields ------------------------------------------------------------
@includable("invoice", "payments")
def _payments_list(state: State, invoice: dict[str, Any]) -> dict[str, Any]:
    records = list(reversed(payments_of(state, invoice["id"])))  # newest first, as lists are
    return list_object(
        f"/v1/invoice_payments?invoice={invoice['id']}", records[:10], len(records) > 10
    )


@includable("invoice", "confirmation_secret")
def _confirmation_secret(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    pi = default_intent(state, invoice)
    if pi is None:
        return None
    return {"client_secret": pi["client_secret"], "type": "payment_intent"}


# -- routes -------------------------------------------------------------------------------------
@api.route("get", "/v1/invoice_payments/{invoice_payment}")
def retrieve(call: Call) -> dict[str, Any]:
    return require(call.state, "invoice_payments", call.arg("invoice_payment"), "invoice payment")


@api.route("get", "/v1/invoice_payments")
def list_invoice_payments(call: Call) -> dict[str, Any]:
    params = call.params
    payment = params.get("payment") or {}

    def keep(record: dict[str, Any]) -> bool:
        return (
            ("invoice" not in params or record["invoice"] == params["invoice"])
            and ("status" not in params or record["status"] == params["status"])
            and ("type" not in payment or record["payment"]["type"] == payment["type"])
            and (
                "payment_intent" not in payment
                or record["payment"].get("payment_intent") == payment["payment_intent"]
            )
        )

    return paginate(
        call,
        call.state.collection("invoice_payments"),
        url="/v1/invoice_payments",
        kind="invoice payment",
        keep=keep,
    )
