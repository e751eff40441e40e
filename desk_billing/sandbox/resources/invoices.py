"""Invoices: draft -> open -> paid / void / uncollectible, and the routes that move them.

Behaviour follows Stripe's documented state machine (docs.stripe.com/invoicing/integration/
workflow-transitions) and the object shapes of API version 2026-10-28.endive: the invoice names its
subscription under `parent.subscription_details`. Collection (payment attempts, retries, dunning)
lives in `invoice_collection`, lines in `invoice_lines`, items in `invoice_items`.

Seeding and the subscriptions module use the plain functions (`create_invoice`, `finalize_invoice`,
`mark_paid`, `void_invoice`, `mark_uncollectible`, `send_invoice`) under `billing_clock` to backdate
everything (objects, events, payments).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..common import deleted, require
from ..errors import invalid
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from .billing_clock import ensure_billing_hook
from .customers import adopt_currency, set_delinquent
from .invoice_lines import attach_item, emit_invoice, recompute, render
from .invoice_objects import AUTO_FINALIZE_DELAY, customer_snapshot, new_invoice, payment_settings
from .invoice_payments import cancel_default_payment, open_default_payment, record_paid

ON_INVOICE_PAID: list[Callable[[State, dict[str, Any]], None]] = []


NOT_OPEN = "You can only pass in open invoices. This invoice isn't open."


def create_invoice(
    state: State,
    params: dict[str, Any],
    *,
    subscription: dict[str, Any] | None = None,
    billing_reason: str = "manual",
    period: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Create a draft invoice (manual, or for a subscription). Used by the API, subscriptions, seeding.

    `params` are the API's create parameters. Without `currency` the invoice is in the
    customer's currency (set by its first invoice item, invoice or subscription), else the
    account's. Pending invoice items of that currency are pulled in, in the order they were
    created, when `pending_invoice_items_behavior=include` (Stripe's default for manual invoices is
    `exclude`); subscription invoices always include them.
    """
    customer_id = params.get("customer")
    if not customer_id:
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    customer = require(state, "customers", customer_id, "customer", param="customer")
    method = params.get("collection_method", "charge_automatically")
    days = params.get("days_until_due")
    due_date = params.get("due_date")
    if method == "send_invoice" and days is None and due_date is None:
        raise invalid(
            "If invoice collection method is 'send_invoice', you must specify 'due_date' or 'days_until_due'."
        )
    if method == "charge_automatically" and (days is not None or due_date is not None):
        raise invalid(
            "You can only specify 'due_date' or 'days_until_due' if invoice collection method is 'send_invoice'."
        )
    auto_advance = params.get("auto_advance", subscription is not None)
    currency = (
        params.get("currency")
        or (subscription or {}).get("currency")
        or customer.get("currency")
        or state.default_currency
    ).lower()
    invoice = new_invoice(
        state,
        params,
        customer=customer,
        subscription=subscription,
        billing_reason=billing_reason,
        currency=currency,
        auto_advance=auto_advance,
        period=period,
    )
    state.insert("invoices", invoice)
    adopt_currency(state, customer_id, currency)
    ensure_billing_hook(state)
    include = params.get("pending_invoice_items_behavior") == "include" or subscription is not None
    if include:
        pending = [
            i
            for i in state.where("invoiceitems", "customer", customer_id)
            if i["invoice"] is None and i["currency"] == currency
        ]
        for item in reversed(pending):  # oldest first: lines keep the order items were added
            attach_item(state, invoice, item)
    recompute(invoice)
    emit_invoice(state, "invoice.created", invoice)
    return invoice


def finalize_invoice(
    state: State, invoice: dict[str, Any], *, auto_advance: bool | None = None
) -> dict[str, Any]:
    """draft -> open: number, URLs, due date, the payment intent for the amount due (its default
    invoice payment); a zero amount is paid at once, as Stripe does."""
    if invoice["status"] != "draft":
        raise invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    now = state.now()
    customer = state.get("customers", invoice["customer"]) or {}
    if customer:
        sequence = customer.get("next_invoice_sequence") or 1
        customer["next_invoice_sequence"] = sequence + 1
        number = f"{customer.get('invoice_prefix') or 'SANDBOX'}-{sequence:04d}"
    else:
        number = f"DELETED-{invoice['id'][-6:].upper()}"
    base = state.base_url
    changes: dict[str, Any] = {
        "status": "open",
        "number": number,
        "effective_at": now,
        "automatically_finalizes_at": None,
        "hosted_invoice_url": f"{base}/_sandbox/invoices/{invoice['id']}/hosted",
        "invoice_pdf": f"{base}/_sandbox/invoices/{invoice['id']}/pdf",
        "status_transitions": {**invoice["status_transitions"], "finalized_at": now},
        **(customer_snapshot(state, invoice["customer"]) if customer else {}),
    }
    if auto_advance is not None:
        changes["auto_advance"] = auto_advance
    if invoice["collection_method"] == "send_invoice" and invoice["due_date"] is None:
        changes["due_date"] = now + 30 * 86400
    automatic = changes.get("auto_advance", invoice["auto_advance"])
    changes["next_payment_attempt"] = (
        now if automatic and invoice["collection_method"] == "charge_automatically" else None
    )
    state.update(invoice, changes)
    recompute(invoice)
    emit_invoice(state, "invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        invoice["attempted"] = True
        mark_paid(state, invoice)
    else:
        open_default_payment(state, invoice)
    return invoice


def mark_paid(
    state: State,
    invoice: dict[str, Any],
    *,
    out_of_band: bool = False,
    payment_intent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """open/uncollectible -> paid (idempotent). Emits invoice.paid and invoice.payment_succeeded.

    Paid by its payment intent, the invoice payment is paid too (`invoice_payment.paid`); paid
    out of band (or credited in full), its open payment and intent are canceled.
    """
    if invoice["status"] == "paid":
        return invoice
    if payment_intent is not None:
        record_paid(state, payment_intent)
    else:
        cancel_default_payment(state, invoice, "automatic")
    now = state.now()
    amount = invoice["amount_remaining"]
    state.update(
        invoice,
        {
            "status": "paid",
            "amount_paid": invoice["amount_paid"] + amount,
            "amount_paid_off_stripe": invoice["amount_paid_off_stripe"]
            + (amount if out_of_band else 0),
            "amount_remaining": 0,
            "next_payment_attempt": None,
            "status_transitions": {**invoice["status_transitions"], "paid_at": now},
        },
    )
    emit_invoice(state, "invoice.paid", invoice)
    if not out_of_band and invoice["amount_due"] > 0:
        emit_invoice(state, "invoice.payment_succeeded", invoice)
    set_delinquent(state, invoice["customer"], False)
    for hook in ON_INVOICE_PAID:
        hook(state, invoice)
    return invoice


def void_invoice(state: State, invoice: dict[str, Any]) -> dict[str, Any]:
    if invoice["status"] == "paid":
        raise invalid("Invoices with `paid` payments cannot be voided.")
    if invoice["status"] != "open":
        raise invalid(NOT_OPEN)
    now = state.now()
    previous = state.update(
        invoice,
        {
            "status": "void",
            "next_payment_attempt": None,
            "status_transitions": {**invoice["status_transitions"], "voided_at": now},
        },
    )
    cancel_default_payment(state, invoice, "void_invoice")
    emit_invoice(state, "invoice.voided", invoice)
    emit_invoice(state, "invoice.updated", invoice, previous)
    return invoice


def mark_uncollectible(
    state: State, invoice: dict[str, Any], reason: str | None = None
) -> dict[str, Any]:
    if invoice["status"] == "uncollectible":
        raise invalid("This invoice has already been marked uncollectible.")
    if invoice["status"] != "open":
        raise invalid(NOT_OPEN)
    now = state.now()
    previous = state.update(
        invoice,
        {
            "status": "uncollectible",
            "next_payment_attempt": None,
            "status_transitions": {**invoice["status_transitions"], "marked_uncollectible_at": now},
            # left out, not null, unless Stripe has a reason to give (stripe-node: `status_details?`)
            **({"status_details": {"uncollectible": {"reason": reason}}} if reason else {}),
        },
    )
    emit_invoice(state, "invoice.marked_uncollectible", invoice)
    set_delinquent(state, invoice["customer"], False)
    emit_invoice(state, "invoice.updated", invoice, previous)
    return invoice


def send_invoice(state: State, invoice: dict[str, Any]) -> dict[str, Any]:
    if invoice["collection_method"] != "send_invoice":
        raise invalid(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
        )
    if invoice["status"] == "draft":
        finalize_invoice(state, invoice)
    if invoice["status"] not in ("open", "paid"):  # Stripe sends paid ones too (a receipt of sorts)
        raise invalid(
            "This invoice cannot be sent right now. Please contact us via https://support.stripe.com/contact "
            "with details, so we can help."
        )
    emit_invoice(state, "invoice.sent", invoice)
    return invoice


def require_invoice(state: State, invoice_id: str, param: str = "invoice") -> dict[str, Any]:
    return require(state, "invoices", invoice_id, "invoice", param=param)


@api.route("post", "/v1/invoices")
def create_route(call: Call) -> dict[str, Any]:
    return render(create_invoice(call.state, call.params))


@api.route("get", "/v1/invoices/{invoice}")
def retrieve(call: Call) -> dict[str, Any]:
    return render(require_invoice(call.state, call.arg("invoice")))


_DRAFT_FIELDS = (
    "description",
    "footer",
    "statement_descriptor",
    "default_payment_method",
    "custom_fields",
)


@api.route("post", "/v1/invoices/{invoice}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    invoice = require_invoice(state, call.arg("invoice"), param="id")
    changes: dict[str, Any] = {}
    if "metadata" in params:
        changes["metadata"] = apply_metadata(invoice, params["metadata"])
    if "auto_advance" in params and invoice["status"] in ("draft", "open"):
        changes["auto_advance"] = params["auto_advance"]
    draft_only = [k for k in params if k not in ("metadata", "auto_advance", "expand")]
    if draft_only and invoice["status"] != "draft":
        raise invalid(
            "Finalized invoices can't be updated in this way", param=sorted(draft_only)[0]
        )
    for key in _DRAFT_FIELDS:
        if key in params:
            changes[key] = params[key] or None
    if "payment_settings" in params:
        changes["payment_settings"] = payment_settings(params["payment_settings"])
    method = params.get("collection_method", invoice["collection_method"])
    if "collection_method" in params:
        changes["collection_method"] = method
    if "days_until_due" in params or "due_date" in params:
        if method != "send_invoice":
            raise invalid(
                "You can only specify 'due_date' or 'days_until_due' if invoice collection method is 'send_invoice'."
            )
        changes["due_date"] = (
            params.get("due_date") or invoice["created"] + params["days_until_due"] * 86400
        )
    elif method == "send_invoice" and invoice["due_date"] is None and "collection_method" in params:
        raise invalid(
            "If invoice collection method is 'send_invoice', you must specify 'due_date' or 'days_until_due'."
        )
    if method == "charge_automatically" and "collection_method" in params:
        changes["due_date"] = None
    if invoice["status"] == "draft" and "auto_advance" in params:
        changes["automatically_finalizes_at"] = (
            invoice["created"] + AUTO_FINALIZE_DELAY if params["auto_advance"] else None
        )
    if "automatically_finalizes_at" in params:
        changes["automatically_finalizes_at"] = params["automatically_finalizes_at"]
    previous = state.update(invoice, changes)
    if previous:
        emit_invoice(state, "invoice.updated", invoice, previous)
    return render(invoice)


@api.route("delete", "/v1/invoices/{invoice}")
def delete(call: Call) -> dict[str, Any]:
    state = call.state
    invoice = require_invoice(state, call.arg("invoice"))
    if invoice["status"] != "draft":
        raise invalid("You can only delete draft invoices.")
    state.delete("invoices", invoice["id"])
    emit_invoice(state, "invoice.deleted", invoice)
    return deleted(invoice["id"], "invoice")


@api.route("post", "/v1/invoices/{invoice}/finalize")
def finalize_route(call: Call) -> dict[str, Any]:
    invoice = require_invoice(call.state, call.arg("invoice"), param="id")
    return render(
        finalize_invoice(call.state, invoice, auto_advance=call.params.get("auto_advance"))
    )


@api.route("post", "/v1/invoices/{invoice}/send")
def send_route(call: Call) -> dict[str, Any]:
    invoice = require_invoice(call.state, call.arg("invoice"))
    return render(send_invoice(call.state, invoice))


@api.route("post", "/v1/invoices/{invoice}/void")
def void_route(call: Call) -> dict[str, Any]:
    invoice = require_invoice(call.state, call.arg("invoice"), param="id")
    return render(void_invoice(call.state, invoice))


@api.route("post", "/v1/invoices/{invoice}/mark_uncollectible")
def uncollectible_route(call: Call) -> dict[str, Any]:
    invoice = require_invoice(call.state, call.arg("invoice"), param="id")
    return render(mark_uncollectible(call.state, invoice))


def _in_range(value: int | None, bounds: Any) -> bool:
    if bounds is None:
        return True
    if value is None:
        return False
    if isinstance(bounds, int):
        return value == bounds
    checks = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
    return all(checks[op](int(b)) for op, b in bounds.items() if op in checks)


@api.route("get", "/v1/invoices")
def list_invoices(call: Call) -> dict[str, Any]:
    params = call.params

    def keep(invoice: dict[str, Any]) -> bool:
        if "customer" in params and invoice["customer"] != params["customer"]:
            return False
        if "status" in params and invoice["status"] != params["status"]:
            return False
        if (
            "collection_method" in params
            and invoice["collection_method"] != params["collection_method"]
        ):
            return False
        if "subscription" in params:
            details = (invoice.get("parent") or {}).get("subscription_details") or {}
            if details.get("subscription") != params["subscription"]:
                return False
        return _in_range(invoice["due_date"], params.get("due_date"))

    page = paginate(
        call, call.state.collection("invoices"), url="/v1/invoices", kind="invoice", keep=keep
    )
    page["data"] = [render(i) for i in page["data"]]
    return page
