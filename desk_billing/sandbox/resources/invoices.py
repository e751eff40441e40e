"""Invoices, invoice items and invoice lines: draft -> open -> paid / void / uncollectible.

Behaviour follows Stripe's documented state machine (docs.stripe.com/invoicing/integration/
workflow-transitions) and the object shapes of API version 2026-10-28.endive: lines carry
`parent.invoice_item_details` / `parent.subscription_item_details` and `pricing.price_details`,
the invoice names its subscription under `parent.subscription_details`.

Collection goes through the payments module's contract (`create_payment`, `default_payment_method`,
`ON_PAYMENT_SETTLED`); which payment intent pays which invoice is tracked here.

Seeding and the subscriptions module use the plain functions (`create_invoice_item`,
`create_invoice`, `finalize_invoice`, `collect`, `mark_paid`, `void_invoice`,
`mark_uncollectible`) and `billing_clock` to backdate everything (objects, events, payments).
"""

from __future__ import annotations

import contextlib
import copy
import html
import time
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from ..common import deleted, minor_units_label, require
from ..control import control
from ..errors import ApiError, card_error, invalid, missing
from ..listing import apply_metadata, paginate, paginate_items
from ..router import Call, api
from ..state import State

# Subscriptions register here: called after an invoice becomes paid, or after a collection attempt
# failed (with the payment intent, or None when there was no payment method to try).
ON_INVOICE_PAID: list[Callable[[State, dict[str, Any]], None]] = []
ON_INVOICE_PAYMENT_FAILED: list[Callable[[State, dict[str, Any], dict[str, Any] | None], None]] = []

EMBEDDED_LINES = 10  # Stripe embeds the first lines of an invoice; the rest via /lines
AUTO_FINALIZE_DELAY = 3600  # a draft with auto_advance is finalized about an hour after creation
RETRY_DAYS = (3, 5, 7)  # after a failed automatic attempt: retry 3, then 5, then 7 days later

NO_PAYMENT_METHOD = (
    "This customer has no attached payment source or default payment method. Please consider adding "
    "a default payment method. For more information, visit "
    "https://docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority."
)
NOT_OPEN = "You can only pass in open invoices. This invoice isn't open."


# -- sandbox time ------------------------------------------------------------------------------
@contextlib.contextmanager
def billing_clock(state: State, at: int | None) -> Iterator[None]:
    """Run the block with the sandbox clock at `at` (a past or future unix time), then restore it.

    Everything created inside — invoices, payment intents, charges, events — carries that time.
    Seeding uses it to build a year of history; the advance hook to replay renewals in order.
    """
    if at is None:
        yield
        return
    saved = state.offset
    state.offset = int(at) - int(time.time())
    try:
        yield
    finally:
        state.offset = saved


# -- the billing clock: one on_advance hook runs invoice and subscription events in time order ----
SCHEDULERS: list[Callable[[State, int, int], list[tuple[int, int, str, Callable[[], None]]]]] = []
"""Each returns (time, order, key, action) for what falls due by `after`; subscriptions add theirs."""


def ensure_billing_hook(state: State) -> None:
    """Register the billing hook on this state (once), as soon as it holds anything billable."""
    if run_billing not in state.on_advance:
        state.on_advance.append(run_billing)


def run_billing(state: State, before: int, after: int) -> None:
    """Replay everything due in (before, after] in time order, each at its own sandbox time.

    Renewals, trial ends, retries, auto-finalization, overdue notices, incomplete expiry: each
    action runs under `billing_clock(its time)`, so objects and events carry the right dates; a
    round's actions may schedule more (next period, next retry), hence the rounds.
    """
    fired: set[str] = set()
    for _ in range(10_000):
        actions = [
            a
            for scheduler in SCHEDULERS
            for a in scheduler(state, before, after)
            if a[2] not in fired
        ]
        if not actions:
            return
        actions.sort(key=lambda a: (a[0], a[1]))
        for at, _order, key, action in actions:
            fired.add(key)
            with billing_clock(state, at):
                action()


# -- rendering ---------------------------------------------------------------------------------
def render(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as the API answers it: the first lines embedded, `has_more` for the rest."""
    lines = invoice["lines"]["data"]
    if len(lines) <= EMBEDDED_LINES:
        return invoice
    out = dict(invoice)
    out["lines"] = {**invoice["lines"], "data": lines[:EMBEDDED_LINES], "has_more": True}
    return out


def _emit(
    state: State, event_type: str, invoice: dict[str, Any], previous: dict[str, Any] | None = None
) -> None:
    state.emit(event_type, render(invoice), previous)


def _pricing(
    price_id: str | None, product_id: str | None, unit_amount_decimal: str | None
) -> dict[str, Any]:
    return {
        "price_details": {"price": price_id, "product": product_id} if price_id else None,
        "type": "price_details",
        "unit_amount_decimal": unit_amount_decimal,
    }


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _customer_snapshot(state: State, customer_id: str) -> dict[str, Any]:
    customer = state.get("customers", customer_id) or {}
    address = customer.get("address")
    return {
        "customer_address": copy.deepcopy(address) if address else None,
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": copy.deepcopy(customer.get("shipping")) or None,
        "customer_tax_exempt": customer.get("tax_exempt", "none"),
    }


# -- invoice items -----------------------------------------------------------------------------
def create_invoice_item(state: State, params: dict[str, Any]) -> dict[str, Any]:
    """Create an invoice item (pending, or on a draft invoice). Used by the API and by seeding."""
    customer_id = params.get("customer")
    invoice = None
    if params.get("invoice"):
        invoice = require(state, "invoices", params["invoice"], "invoice", param="invoice")
        if invoice["status"] != "draft":
            raise invalid(
                "Invalid invoice: This invoice is no longer editable",
                param="invoice",
                code="invoice_not_editable",
            )
        customer_id = customer_id or invoice["customer"]
    if not customer_id:
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    require(state, "customers", customer_id, "customer", param="customer")
    unit, quantity, currency, price_id, product_id = _item_pricing(state, params, invoice)
    now = state.now()
    period = params.get("period") or {"start": now, "end": now}
    item_id = state.new_id("ii")
    subscription = params.get("subscription")
    item = {
        "id": item_id,
        "object": "invoiceitem",
        "amount": int((unit * quantity).to_integral_value()),
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "date": now,
        "description": params.get("description"),
        "discountable": params.get("discountable", True),
        "discounts": [],
        "invoice": invoice["id"] if invoice else None,
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        "net_amount": int((unit * quantity).to_integral_value()),
        "parent": {
            "subscription_details": {"subscription": subscription, "subscription_item": None},
            "type": "subscription_details",
        }
        if subscription
        else None,
        "period": {"start": int(period["start"]), "end": int(period["end"])},
        "pricing": _pricing(price_id, product_id, _decimal_text(unit)),
        "proration": False,
        "proration_details": {"credited_items": None},
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": [],
        "test_clock": None,
        "created": now,  # ordering key for listing; Stripe calls it `date`
    }
    if item["description"] is None and product_id:
        product = state.get("products", product_id)
        item["description"] = product["name"] if product else None
    state.insert("invoiceitems", item)
    state.emit("invoiceitem.created", _public_item(item))
    if invoice is not None:
        _attach_item(state, invoice, item)
    return item


def _public_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "created"}


def _item_pricing(
    state: State, params: dict[str, Any], invoice: dict[str, Any] | None
) -> tuple[Decimal, int, str, str | None, str | None]:
    """(unit amount, quantity, currency, price id, product id) from amount / pricing / price_data."""
    quantity = int(params.get("quantity", 1))
    if quantity < 0:
        raise invalid("This value must be greater than or equal to 0.", param="quantity")
    price_id = (params.get("pricing") or {}).get("price") or params.get("price")
    currency = (params.get("currency") or "").lower() or None
    product_id = None
    if price_id:
        price = require(state, "prices", price_id, "price", param="pricing[price]")
        unit = Decimal(price["unit_amount_decimal"] or 0)
        currency, product_id = price["currency"], price["product"]
    elif params.get("price_data"):
        data = params["price_data"]
        product_id = data["product"]
        require(state, "products", product_id, "product", param="price_data[product]")
        unit = Decimal(str(data.get("unit_amount_decimal") or data.get("unit_amount") or 0))
        currency = data["currency"].lower()
    elif "amount" in params:
        if "quantity" in params and params["quantity"] != 1 and "unit_amount_decimal" not in params:
            raise invalid(
                "You may only specify one of these parameters: amount, quantity.", param="amount"
            )
        unit = Decimal(params["amount"])
    elif "unit_amount_decimal" in params:
        try:
            unit = Decimal(str(params["unit_amount_decimal"]))
        except InvalidOperation:
            raise invalid(
                "Invalid decimal: " + str(params["unit_amount_decimal"]),
                param="unit_amount_decimal",
            ) from None
    else:
        raise invalid(
            "You must specify either `amount`, `unit_amount_decimal`, `price_data`, or `pricing` to create "
            "an invoice item.",
            param="amount",
        )
    if not currency:
        currency = invoice["currency"] if invoice else None
    if not currency:
        raise invalid(
            "Missing required param: currency.", param="currency", code="parameter_missing"
        )
    if invoice is not None and currency != invoice["currency"]:
        raise invalid(
            f"The currency of this invoice item ({currency}) does not match the currency of the invoice "
            f"({invoice['currency']}).",
            param="currency",
        )
    return unit, quantity, currency, price_id, product_id


def _line_from_item(state: State, invoice: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    subscription = (
        (item.get("parent") or {}).get("subscription_details", {}) if item.get("parent") else {}
    )
    sub_id = (subscription or {}).get("subscription")
    return {
        "id": state.new_id("il"),
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": [],
        "invoice": invoice["id"],
        "livemode": False,
        "metadata": dict(item["metadata"]),
        "parent": {
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": item["proration"],
                "proration_details": {"credited_items": None},
                "subscription": sub_id,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": dict(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": copy.deepcopy(item["pricing"]),
        "quantity": item["quantity"],
        "quantity_decimal": item["quantity_decimal"],
        "subscription": sub_id,
        "subtotal": item["amount"],
        "taxes": [],
    }


def subscription_line(
    state: State,
    invoice: dict[str, Any],
    *,
    subscription_id: str,
    item: dict[str, Any],
    amount: int,
    description: str,
    period: tuple[int, int],
) -> dict[str, Any]:
    """A line billing one subscription item for one period (used by the subscriptions module)."""
    price = item["price"]
    line = {
        "id": state.new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice["id"],
        "livemode": False,
        "metadata": dict(item.get("metadata") or {}),
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": subscription_id,
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"start": period[0], "end": period[1]},
        "pretax_credit_amounts": [],
        "pricing": _pricing(price["id"], price["product"], price["unit_amount_decimal"]),
        "quantity": item["quantity"],
        "quantity_decimal": str(item["quantity"]),
        "subscription": subscription_id,
        "subtotal": amount,
        "taxes": [],
    }
    invoice["lines"]["data"].append(line)
    recompute(invoice)
    return line


def _attach_item(state: State, invoice: dict[str, Any], item: dict[str, Any]) -> None:
    item["invoice"] = invoice["id"]
    invoice["lines"]["data"].insert(0, _line_from_item(state, invoice, item))
    recompute(invoice)


def _line_of_item(invoice: dict[str, Any], item_id: str) -> int | None:
    for i, line in enumerate(invoice["lines"]["data"]):
        details = (line.get("parent") or {}).get("invoice_item_details") or {}
        if details.get("invoice_item") == item_id:
            return i
    return None


def _editable_item(state: State, item: dict[str, Any]) -> dict[str, Any] | None:
    """The item's draft invoice (None when pending); refuses items on finalized invoices."""
    if not item.get("invoice"):
        return None
    invoice = state.get("invoices", item["invoice"])
    if invoice is None or invoice["status"] != "draft":
        raise invalid(
            "Invalid invoice: This invoice is no longer editable",
            param="invoice",
            code="invoice_not_editable",
        )
    return invoice


@api.route("post", "/v1/invoiceitems")
def create_item_route(call: Call) -> dict[str, Any]:
    return _public_item(create_invoice_item(call.state, call.params))


@api.route("get", "/v1/invoiceitems/{invoiceitem}")
def retrieve_item(call: Call) -> dict[str, Any]:
    return _public_item(_require_item(call.state, call.arg("invoiceitem")))


def _require_item(state: State, item_id: str) -> dict[str, Any]:
    item = state.get("invoiceitems", item_id)
    if item is None:
        raise missing("invoice item", item_id)
    return item


@api.route("post", "/v1/invoiceitems/{invoiceitem}")
def update_item(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    item = _require_item(state, call.arg("invoiceitem"))
    invoice = _editable_item(state, item)
    changes: dict[str, Any] = {}
    for key in ("description", "discountable"):
        if key in params:
            changes[key] = params[key]
    if "metadata" in params:
        changes["metadata"] = apply_metadata(item, params["metadata"])
    if "period" in params:
        changes["period"] = {
            "start": int(params["period"]["start"]),
            "end": int(params["period"]["end"]),
        }
    if any(
        k in params for k in ("amount", "quantity", "pricing", "price_data", "unit_amount_decimal")
    ):
        merged = {"quantity": item["quantity"], **params}
        if not any(k in params for k in ("amount", "pricing", "price_data", "unit_amount_decimal")):
            price = (item["pricing"].get("price_details") or {}).get("price")
            if price:
                merged["pricing"] = {"price": price}
            else:
                merged["unit_amount_decimal"] = item["pricing"]["unit_amount_decimal"]
        merged.setdefault("currency", item["currency"])
        unit, quantity, _currency, price_id, product_id = _item_pricing(state, merged, invoice)
        amount = int((unit * quantity).to_integral_value())
        changes.update(
            amount=amount,
            net_amount=amount,
            quantity=quantity,
            quantity_decimal=str(quantity),
            pricing=_pricing(price_id, product_id, _decimal_text(unit)),
        )
    previous = state.update(item, changes)
    if previous:
        state.emit("invoiceitem.updated", _public_item(item), previous)
        if invoice is not None:
            at = _line_of_item(invoice, item["id"])
            if at is not None:
                line = _line_from_item(state, invoice, item)
                line["id"] = invoice["lines"]["data"][at]["id"]
                invoice["lines"]["data"][at] = line
                recompute(invoice)
    return _public_item(item)


@api.route("delete", "/v1/invoiceitems/{invoiceitem}")
def delete_item(call: Call) -> dict[str, Any]:
    state = call.state
    item = _require_item(state, call.arg("invoiceitem"))
    invoice = _editable_item(state, item)
    if invoice is not None:
        at = _line_of_item(invoice, item["id"])
        if at is not None:
            del invoice["lines"]["data"][at]
            recompute(invoice)
    state.delete("invoiceitems", item["id"])
    state.emit("invoiceitem.deleted", _public_item(item))
    return deleted(item["id"], "invoiceitem")


@api.route("get", "/v1/invoiceitems")
def list_items(call: Call) -> dict[str, Any]:
    params = call.params

    def keep(item: dict[str, Any]) -> bool:
        return (
            ("customer" not in params or item["customer"] == params["customer"])
            and ("invoice" not in params or item["invoice"] == params["invoice"])
            and ("pending" not in params or (item["invoice"] is None) == params["pending"])
        )

    page = paginate(
        call,
        call.state.collection("invoiceitems"),
        url="/v1/invoiceitems",
        kind="invoice item",
        keep=keep,
    )
    page["data"] = [_public_item(i) for i in page["data"]]
    return page


# -- invoices ----------------------------------------------------------------------------------
def recompute(invoice: dict[str, Any]) -> None:
    """Totals from the lines (no tax or discounts in the sandbox)."""
    subtotal = sum(line["amount"] for line in invoice["lines"]["data"])
    invoice["subtotal"] = invoice["subtotal_excluding_tax"] = subtotal
    invoice["total"] = invoice["total_excluding_tax"] = subtotal
    credits = invoice["pre_payment_credit_notes_amount"]
    invoice["amount_due"] = max(subtotal - credits, 0)
    if invoice["status"] in ("draft", "open", "uncollectible"):
        invoice["amount_remaining"] = max(invoice["amount_due"] - invoice["amount_paid"], 0)


def _payment_settings(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {
        "default_mandate": value.get("default_mandate") or None,
        "payment_method_options": value.get("payment_method_options") or None,
        "payment_method_types": value.get("payment_method_types") or None,
    }


def create_invoice(
    state: State,
    params: dict[str, Any],
    *,
    subscription: dict[str, Any] | None = None,
    billing_reason: str = "manual",
    period: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Create a draft invoice (manual, or for a subscription). Used by the API, subscriptions, seeding.

    `params` are the API's create parameters. Pending invoice items are pulled in when
    `pending_invoice_items_behavior=include` (Stripe's default for manual invoices is `exclude`);
    subscription invoices always include the customer's pending items of the same currency.
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
    now = state.now()
    auto_advance = params.get("auto_advance", subscription is not None)
    currency = (
        params.get("currency")
        or (subscription or {}).get("currency")
        or customer.get("currency")
        or "usd"
    ).lower()
    invoice_id = state.new_id("in")
    start, end = period or (now, now)
    invoice: dict[str, Any] = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": state.account_name,
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": auto_advance,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": now + AUTO_FINALIZE_DELAY
        if auto_advance and subscription is None
        else None,
        "billing_reason": billing_reason,
        "collection_method": method,
        "created": now,
        "currency": currency,
        "custom_fields": params.get("custom_fields") or None,
        "customer": customer_id,
        "customer_account": None,
        **_customer_snapshot(state, customer_id),
        "customer_tax_ids": [],
        "default_payment_method": params.get("default_payment_method"),
        "default_source": None,
        "default_tax_rates": [],
        "description": params.get("description"),
        "discounts": [],
        "due_date": due_date
        if due_date is not None
        else (now + days * 86400 if days is not None else None),
        "effective_at": None,
        "ending_balance": None,
        "footer": params.get("footer")
        if "footer" in params
        else (customer.get("invoice_settings") or {}).get("footer"),
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription.get("metadata") or {}),
                "subscription": subscription["id"],
            },
            "type": "subscription_details",
        }
        if subscription
        else None,
        "payment_settings": _payment_settings(params.get("payment_settings")),
        "period_end": end,
        "period_start": start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": params.get("shipping_details") or None,
        "starting_balance": 0,
        "statement_descriptor": params.get("statement_descriptor"),
        "status": "draft",
        "status_details": None,
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        # Stripe's fixture still lists a top-level `subscription`; in this version the link lives in
        # `parent.subscription_details.subscription`, so this stays null as Stripe renders it.
        "subscription": None,
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": None,
        "threshold_reason": None,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": now,
    }
    if auto_advance and method == "charge_automatically" and subscription is None:
        invoice["next_payment_attempt"] = now + AUTO_FINALIZE_DELAY
    state.insert("invoices", invoice)
    ensure_billing_hook(state)
    include = params.get("pending_invoice_items_behavior") == "include" or subscription is not None
    if include:
        pending = [
            i
            for i in state.where("invoiceitems", "customer", customer_id)
            if i["invoice"] is None and i["currency"] == currency
        ]
        for item in reversed(pending):  # newest first on the invoice, as Stripe lists them
            _attach_item(state, invoice, item)
    recompute(invoice)
    _emit(state, "invoice.created", invoice)
    return invoice


def finalize_invoice(
    state: State, invoice: dict[str, Any], *, auto_advance: bool | None = None
) -> dict[str, Any]:
    """draft -> open: number, URLs, due date; a zero amount is paid at once, as Stripe does."""
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
        **(_customer_snapshot(state, invoice["customer"]) if customer else {}),
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
    _emit(state, "invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        invoice["attempted"] = True
        mark_paid(state, invoice)
    return invoice


def mark_paid(
    state: State,
    invoice: dict[str, Any],
    *,
    out_of_band: bool = False,
    payment_intent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """open/uncollectible -> paid (idempotent). Emits invoice.paid and invoice.payment_succeeded."""
    if invoice["status"] == "paid":
        return invoice
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
    _emit(state, "invoice.paid", invoice)
    if not out_of_band and invoice["amount_due"] > 0:
        _emit(state, "invoice.payment_succeeded", invoice)
    for hook in ON_INVOICE_PAID:
        hook(state, invoice)
    return invoice


def _subscription_of(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
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
    sub = _subscription_of(state, invoice)
    if sub and sub.get("default_payment_method"):
        return sub["default_payment_method"]
    from .payments import default_payment_method

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
    from .payments import create_payment

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
    sub = _subscription_of(state, invoice)
    description = (
        "Subscription creation"
        if invoice["billing_reason"] == "subscription_create"
        else (
            "Subscription update"
            if sub
            else f"Payment for Invoice {invoice['number'] or ''}".strip()
        )
    )
    pi = create_payment(
        state,
        amount=invoice["amount_remaining"],
        currency=invoice["currency"],
        customer=invoice["customer"],
        payment_method=pm,
        description=description,
        metadata=None,
        off_session=off_session,
        confirm=True,
        invoice=invoice["id"],
    )
    status = pi.get("status")
    if status == "succeeded":
        mark_paid(state, invoice, payment_intent=pi)
    elif status == "processing":
        invoice["next_payment_attempt"] = None
        _emit(state, "invoice.updated", invoice)
    elif status == "requires_action":
        invoice["next_payment_attempt"] = None
        _emit(state, "invoice.payment_action_required", invoice)
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
    _emit(state, "invoice.payment_failed", invoice)
    for hook in ON_INVOICE_PAYMENT_FAILED:
        hook(state, invoice, pi)


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
    _emit(state, "invoice.voided", invoice)
    _emit(state, "invoice.updated", invoice, previous)
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
            "status_details": {"uncollectible": {"reason": reason}} if reason else None,
            "status_transitions": {**invoice["status_transitions"], "marked_uncollectible_at": now},
        },
    )
    _emit(state, "invoice.marked_uncollectible", invoice)
    _emit(state, "invoice.updated", invoice, previous)
    return invoice


def send_invoice(state: State, invoice: dict[str, Any]) -> dict[str, Any]:
    if invoice["collection_method"] != "send_invoice":
        raise invalid(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
        )
    if invoice["status"] == "draft":
        finalize_invoice(state, invoice)
    if invoice["status"] != "open":
        raise invalid(
            "This invoice cannot be sent right now. Please contact us via https://support.stripe.com/contact "
            "with details, so we can help."
        )
    _emit(state, "invoice.sent", invoice)
    return invoice


def _on_payment_settled(state: State, pi: dict[str, Any]) -> None:
    from .payments import invoice_of

    invoice_id = invoice_of(state, pi["id"])
    invoice = state.get("invoices", invoice_id) if invoice_id else None
    if invoice is None or invoice["status"] not in ("open", "uncollectible"):
        return
    if pi.get("status") == "succeeded":
        mark_paid(state, invoice, payment_intent=pi)
    elif pi.get("status") == "requires_payment_method":
        _failed(state, invoice, pi, retry=True, now=state.now())


def _register_settlement() -> None:
    try:
        from .payments import ON_PAYMENT_SETTLED
    except ImportError:  # pragma: no cover - payments is written alongside; routes still register
        return
    if _on_payment_settled not in ON_PAYMENT_SETTLED:
        ON_PAYMENT_SETTLED.append(_on_payment_settled)


_register_settlement()


def _require_invoice(state: State, invoice_id: str, param: str = "invoice") -> dict[str, Any]:
    return require(state, "invoices", invoice_id, "invoice", param=param)


@api.route("post", "/v1/invoices")
def create_route(call: Call) -> dict[str, Any]:
    return render(create_invoice(call.state, call.params))


@api.route("get", "/v1/invoices/{invoice}")
def retrieve(call: Call) -> dict[str, Any]:
    return render(_require_invoice(call.state, call.arg("invoice")))


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
    invoice = _require_invoice(state, call.arg("invoice"), param="id")
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
        changes["payment_settings"] = _payment_settings(params["payment_settings"])
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
        _emit(state, "invoice.updated", invoice, previous)
    return render(invoice)


@api.route("delete", "/v1/invoices/{invoice}")
def delete(call: Call) -> dict[str, Any]:
    state = call.state
    invoice = _require_invoice(state, call.arg("invoice"))
    if invoice["status"] != "draft":
        raise invalid("You can only delete draft invoices.")
    state.delete("invoices", invoice["id"])
    _emit(state, "invoice.deleted", invoice)
    return deleted(invoice["id"], "invoice")


@api.route("post", "/v1/invoices/{invoice}/finalize")
def finalize_route(call: Call) -> dict[str, Any]:
    invoice = _require_invoice(call.state, call.arg("invoice"), param="id")
    return render(
        finalize_invoice(call.state, invoice, auto_advance=call.params.get("auto_advance"))
    )


@api.route("post", "/v1/invoices/{invoice}/send")
def send_route(call: Call) -> dict[str, Any]:
    invoice = _require_invoice(call.state, call.arg("invoice"))
    return render(send_invoice(call.state, invoice))


@api.route("post", "/v1/invoices/{invoice}/void")
def void_route(call: Call) -> dict[str, Any]:
    invoice = _require_invoice(call.state, call.arg("invoice"), param="id")
    return render(void_invoice(call.state, invoice))


@api.route("post", "/v1/invoices/{invoice}/mark_uncollectible")
def uncollectible_route(call: Call) -> dict[str, Any]:
    invoice = _require_invoice(call.state, call.arg("invoice"), param="id")
    return render(mark_uncollectible(call.state, invoice))


@api.route("post", "/v1/invoices/{invoice}/pay")
def pay_route(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    invoice = _require_invoice(state, call.arg("invoice"), param="id")
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


@api.route("get", "/v1/invoices/{invoice}/lines")
def list_lines(call: Call) -> dict[str, Any]:
    invoice = _require_invoice(call.state, call.arg("invoice"))
    lines = invoice["lines"]["data"]
    return paginate_items(
        call, list(reversed(lines)), url=f"/v1/invoices/{invoice['id']}/lines", kind="line item"
    )


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


# -- sandbox time: auto-finalization, retries, overdue ----------------------------------------
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
                _emit(state, "invoice.sent", invoice)

    return run


def _retry(state: State, invoice: dict[str, Any], at: int) -> Callable[[], None]:
    def run() -> None:
        if invoice["status"] == "open" and invoice["next_payment_attempt"] == at:
            sub = _subscription_of(state, invoice)
            if sub is not None and sub.get("pause_collection"):
                invoice["next_payment_attempt"] = None
                return
            collect(state, invoice)

    return run


def _overdue(state: State, invoice: dict[str, Any]) -> Callable[[], None]:
    def run() -> None:
        if invoice["status"] == "open":
            _emit(state, "invoice.overdue", invoice)
            for hook in ON_INVOICE_OVERDUE:
                hook(state, invoice)

    return run


ON_INVOICE_OVERDUE: list[Callable[[State, dict[str, Any]], None]] = []
SCHEDULERS.append(due_actions)


# -- documents: the PDF and the hosted page -----------------------------------------------------
def _document_invoice(call: Call) -> dict[str, Any] | Any:
    from ..app import Response

    invoice_id = call.arg("invoice")
    invoice = call.state.get("invoices", invoice_id)
    if invoice is None:
        return Response(404, _json_error(f"No such invoice: '{invoice_id}'"))
    if invoice["status"] == "draft":
        return Response(
            404,
            _json_error(
                f"Invoice {invoice_id} is a draft: drafts have no PDF or hosted page until they are finalized."
            ),
        )
    return invoice


def _json_error(message: str) -> bytes:
    from ..wire import encode_json

    return encode_json(
        {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": message}}
    )


@control.route("get", "/_sandbox/invoices/{invoice}/pdf")
def invoice_pdf(call: Call) -> Any:
    from ..app import Response
    from ..pdf import pdf_filename, render_invoice_pdf

    invoice = _document_invoice(call)
    if not isinstance(invoice, dict):
        return invoice
    # Snapshot under the account lock, render after it (app._control runs a returned callable
    # outside the lock): rendering takes ~20 ms and must not stall every other request.
    invoice = copy.deepcopy(invoice)
    customer = copy.deepcopy(call.state.get("customers", invoice["customer"]) or {})

    def render() -> Response:
        return Response(
            200,
            render_invoice_pdf(invoice, customer),
            {
                "Content-Disposition": f'inline; filename="{pdf_filename(invoice)}"',
                "Cache-Control": "no-store",
            },
            content_type="application/pdf",
        )

    return render


@control.route("get", "/_sandbox/invoices/{invoice}/hosted")
def hosted_page(call: Call) -> Any:
    from ..app import Response

    invoice = _document_invoice(call)
    if not isinstance(invoice, dict):
        return invoice
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(line['description'] or '')}</td><td>{line['quantity'] or ''}</td>"
        f"<td>{e(minor_units_label(line['amount'], line['currency']))}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Invoice {e(invoice['number'] or invoice['id'])}</title></head><body>"
        f"<h1>{e(invoice['account_name'] or '')}</h1>"
        f"<p>Invoice <b>{e(invoice['number'] or '')}</b> for {e(invoice['customer_name'] or invoice['customer_email'] or '')}</p>"
        f"<p>Status: {e(invoice['status'])}</p>"
        f"<table><tr><th>Description</th><th>Qty</th><th>Amount</th></tr>{rows}</table>"
        f"<p>Total: {e(minor_units_label(invoice['total'], invoice['currency']))}<br>"
        f"Amount due: {e(minor_units_label(invoice['amount_remaining'], invoice['currency']))}</p>"
        f"<p><a href='{e(invoice['invoice_pdf'] or '')}'>Download PDF</a></p></body></html>"
    )
    return Response(200, page.encode("utf-8"), content_type="text/html; charset=utf-8")
