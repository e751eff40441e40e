"""Invoice lines as API version 2026-10-28.endive shapes them, and the totals they add up to.

A line bills an invoice item (`parent.invoice_item_details`) or a subscription item for a period
(`parent.subscription_item_details`); `pricing.price_details` names the price. Lines keep the order
they were added in, on the invoice, in `/lines` and on the PDF.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ..common import require
from ..listing import RENDER, paginate_items
from ..router import Call, api
from ..state import State

EMBEDDED_LINES = 10  # Stripe embeds the first lines of an invoice; the rest via /lines


def render(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as the API answers it: the first lines embedded, `has_more` for the rest."""
    lines = invoice["lines"]["data"]
    if len(lines) <= EMBEDDED_LINES:
        return invoice
    out = dict(invoice)
    out["lines"] = {**invoice["lines"], "data": lines[:EMBEDDED_LINES], "has_more": True}
    return out


RENDER["invoice"] = render


def emit_invoice(
    state: State, event_type: str, invoice: dict[str, Any], previous: dict[str, Any] | None = None
) -> None:
    state.emit(event_type, render(invoice), previous)


def pricing(
    price_id: str | None, product_id: str | None, unit_amount_decimal: str | None
) -> dict[str, Any]:
    """An item's or line's `pricing`; `price_details` is left out when no price is behind it."""
    out: dict[str, Any] = {"type": "price_details", "unit_amount_decimal": unit_amount_decimal}
    if price_id:
        out["price_details"] = {"price": price_id, "product": product_id}
    return out


def decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def line_from_item(state: State, invoice: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
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
        "pricing": pricing(price["id"], price["product"], price["unit_amount_decimal"]),
        "quantity": item["quantity"],
        "quantity_decimal": str(item["quantity"]),
        "subscription": subscription_id,
        "subtotal": amount,
        "taxes": [],
    }
    invoice["lines"]["data"].append(line)
    recompute(invoice)
    return line


def attach_item(state: State, invoice: dict[str, Any], item: dict[str, Any]) -> None:
    item["invoice"] = invoice["id"]
    invoice["lines"]["data"].append(line_from_item(state, invoice, item))
    recompute(invoice)


def line_of_item(invoice: dict[str, Any], item_id: str) -> int | None:
    for i, line in enumerate(invoice["lines"]["data"]):
        details = (line.get("parent") or {}).get("invoice_item_details") or {}
        if details.get("invoice_item") == item_id:
            return i
    return None


TOTALS = ("amount_due", "amount_remaining", "subtotal", "subtotal_excluding_tax", "total")


def totals(invoice: dict[str, Any]) -> dict[str, Any]:
    return {key: invoice[key] for key in TOTALS}


def announce_totals(state: State, invoice: dict[str, Any], before: dict[str, Any]) -> None:
    """A draft's items changed (Stripe has no `invoiceitem.updated` event in this version):
    `invoice.updated` names the totals that moved."""
    recompute(invoice)
    previous = {key: value for key, value in before.items() if invoice[key] != value}
    if previous:
        emit_invoice(state, "invoice.updated", invoice, previous)


def recompute(invoice: dict[str, Any]) -> None:
    """Totals from the lines (no tax or discounts in the sandbox)."""
    subtotal = sum(line["amount"] for line in invoice["lines"]["data"])
    invoice["subtotal"] = invoice["subtotal_excluding_tax"] = subtotal
    invoice["total"] = invoice["total_excluding_tax"] = subtotal
    credits = invoice["pre_payment_credit_notes_amount"]
    invoice["amount_due"] = max(subtotal - credits, 0)
    if invoice["status"] in ("draft", "open", "uncollectible"):
        invoice["amount_remaining"] = max(invoice["amount_due"] - invoice["amount_paid"], 0)


@api.route("get", "/v1/invoices/{invoice}/lines")
def list_lines(call: Call) -> dict[str, Any]:
    invoice = require(call.state, "invoices", call.arg("invoice"), "invoice", param="invoice")
    lines = invoice["lines"]["data"]
    # paginate_items pages newest first; reversed, the invoice's own order comes out
    return paginate_items(
        call, list(reversed(lines)), url=f"/v1/invoices/{invoice['id']}/lines", kind="line item"
    )
