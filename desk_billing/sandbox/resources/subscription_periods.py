"""The parts of a subscription: items and their prices, billing periods, the invoice that bills a period."""

from __future__ import annotations

import calendar
import copy
from datetime import UTC, datetime
from typing import Any

from ..common import minor_units_label, require
from ..errors import invalid
from ..listing import apply_metadata
from ..state import State
from . import invoice_lines as lines
from . import invoices as inv
from .payment_methods import default_payment_method


def add_interval(ts: int, interval: str, count: int = 1, anchor_day: int | None = None) -> int:
    """`ts` moved forward by `count` intervals; month ends clamp to the anchor's day, as Stripe does."""
    if interval == "day":
        return ts + 86400 * count
    if interval == "week":
        return ts + 7 * 86400 * count
    months = count * (12 if interval == "year" else 1)
    dt = datetime.fromtimestamp(ts, UTC)
    index = dt.month - 1 + months
    year, month = dt.year + index // 12, index % 12 + 1
    day = min(anchor_day or dt.day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


def _anchor_day(sub: dict[str, Any]) -> int:
    return datetime.fromtimestamp(sub["billing_cycle_anchor"], UTC).day


def period_end(sub: dict[str, Any], start: int) -> int:
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    return add_interval(start, recurring["interval"], recurring["interval_count"], _anchor_day(sub))


def current_period(sub: dict[str, Any]) -> tuple[int, int]:
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def set_period(sub: dict[str, Any], start: int, end: int) -> None:
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = start, end


def plan_of(price: dict[str, Any]) -> dict[str, Any]:
    recurring = price["recurring"] or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": False,
        "metadata": dict(price["metadata"]),
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def recurring_price(state: State, spec: dict[str, Any], param: str) -> dict[str, Any]:
    if spec.get("price_data"):
        from .catalog import create_price

        data = dict(spec["price_data"])
        price = create_price(state, data)
    else:
        price_id = spec.get("price") or spec.get("plan")
        if not price_id:
            raise invalid(
                f"Missing required param: {param}.", param=param, code="parameter_missing"
            )
        price = require(state, "prices", price_id, "price", param=param)
    if price["type"] != "recurring":
        raise invalid(
            "The price specified is set to `type=one_time` but this field only accepts prices with "
            "`type=recurring`.",
            param=param,
        )
    if not price["active"]:
        raise invalid(
            "The price specified is inactive. This field only accepts active prices.", param=param
        )
    return price


def build_item(
    state: State,
    sub_id: str,
    price: dict[str, Any],
    quantity: int,
    metadata: Any,
    start: int,
    end: int,
) -> dict[str, Any]:
    return {
        "id": state.new_id("si"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": state.now(),
        "current_period_end": end,
        "current_period_start": start,
        "current_trial": None,
        "discounts": [],
        "metadata": apply_metadata({}, metadata),
        "plan": plan_of(price),
        "price": copy.deepcopy(price),
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def payment_settings(
    value: dict[str, Any] | None, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    out = dict(
        current
        or {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        }
    )
    for key in ("payment_method_options", "payment_method_types", "save_default_payment_method"):
        if value and key in value:
            out[key] = value[key] or None
    return out


def check_items(prices: list[dict[str, Any]]) -> None:
    first = prices[0]
    for price in prices[1:]:
        if price["currency"] != first["currency"]:
            raise invalid(
                "Currency and interval fields must match across all plans on a subscription. "
                "Found mismatch in currency field.",
                param="items",
            )
        if (price["recurring"]["interval"], price["recurring"]["interval_count"]) != (
            first["recurring"]["interval"],
            first["recurring"]["interval_count"],
        ):
            raise invalid(
                "Currency and interval fields must match across all plans on a subscription. "
                "Found mismatch in interval field.",
                param="items",
            )


def _line_description(state: State, item: dict[str, Any], trial: bool) -> str:
    price = item["price"]
    product = state.get("products", price["product"]) or {}
    name = product.get("name") or price.get("nickname") or price["id"]
    if trial:
        return f"Trial period for {name}"
    recurring = price["recurring"]
    count = recurring["interval_count"]
    every = recurring["interval"] if count == 1 else f"every {count} {recurring['interval']}s"
    unit = minor_units_label(price["unit_amount"] or 0, price["currency"])
    return f"{item['quantity']} × {name} (at {unit} / {every})"


def invoice_for(
    state: State,
    sub: dict[str, Any],
    *,
    reason: str,
    lines_period: tuple[int, int],
    invoice_period: tuple[int, int],
    trial: bool = False,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "customer": sub["customer"],
        "collection_method": sub["collection_method"],
        "currency": sub["currency"],
        "payment_settings": {
            "payment_method_types": sub["payment_settings"].get("payment_method_types"),
            "payment_method_options": sub["payment_settings"].get("payment_method_options"),
        },
        "auto_advance": True,
    }
    if sub["description"]:
        params["description"] = sub["description"]
    if sub["collection_method"] == "send_invoice":
        params["days_until_due"] = sub["days_until_due"] or 30
    invoice = inv.create_invoice(
        state, params, subscription=sub, billing_reason=reason, period=invoice_period
    )
    for item in sub["items"]["data"]:
        amount = 0 if trial else int(item["price"]["unit_amount"] or 0) * item["quantity"]
        lines.subscription_line(
            state,
            invoice,
            subscription_id=sub["id"],
            item=item,
            amount=amount,
            description=_line_description(state, item, trial),
            period=lines_period,
        )
    sub["latest_invoice"] = invoice["id"]
    return invoice


def payment_method_of(state: State, sub: dict[str, Any]) -> str | None:
    if sub.get("default_payment_method"):
        return sub["default_payment_method"]

    return default_payment_method(state, sub["customer"])
