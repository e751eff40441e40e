"""Invoice items: pending on a customer until an invoice pulls them in, or added to a draft invoice."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..common import deleted, require
from ..errors import invalid, missing
from ..listing import RENDER, apply_metadata, paginate
from ..router import Call, api
from ..state import State
from .customers import adopt_currency
from .invoice_lines import (
    announce_totals,
    attach_item,
    decimal_text,
    line_from_item,
    line_of_item,
    pricing,
    totals,
)


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
    customer = require(state, "customers", customer_id, "customer", param="customer")
    unit, quantity, currency, price_id, product_id = _item_pricing(
        state, params, invoice, customer["currency"]
    )
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
        "pricing": pricing(price_id, product_id, decimal_text(unit)),
        "proration": False,
        "proration_details": {"credited_items": None, "discount_amounts": []},
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
    adopt_currency(state, customer_id, currency)
    state.emit("invoiceitem.created", _public_item(item))
    if invoice is not None:
        before = totals(invoice)
        attach_item(state, invoice, item)
        announce_totals(state, invoice, before)
    return item


def _public_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "created"}


RENDER["invoiceitem"] = _public_item


def _item_pricing(
    state: State,
    params: dict[str, Any],
    invoice: dict[str, Any] | None,
    customer_currency: str | None = None,
) -> tuple[Decimal, int, str, str | None, str | None]:
    """(unit amount, quantity, currency, price id, product id) from amount / pricing / price_data.

    Without a currency an item takes its invoice's, else its customer's (if the customer has one).
    """
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
        currency = invoice["currency"] if invoice else customer_currency
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
            pricing=pricing(price_id, product_id, decimal_text(unit)),
        )
    if state.update(item, changes) and invoice is not None:
        at = line_of_item(invoice, item["id"])
        if at is not None:
            before = totals(invoice)
            line = line_from_item(state, invoice, item)
            line["id"] = invoice["lines"]["data"][at]["id"]
            invoice["lines"]["data"][at] = line
            announce_totals(state, invoice, before)
    return _public_item(item)


@api.route("delete", "/v1/invoiceitems/{invoiceitem}")
def delete_item(call: Call) -> dict[str, Any]:
    state = call.state
    item = _require_item(state, call.arg("invoiceitem"))
    invoice = _editable_item(state, item)
    if invoice is not None:
        at = line_of_item(invoice, item["id"])
        if at is not None:
            before = totals(invoice)
            del invoice["lines"]["data"][at]
            announce_totals(state, invoice, before)
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
