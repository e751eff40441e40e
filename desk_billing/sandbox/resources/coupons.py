"""Coupons, and the discounts a subscription redeems them into (`discounts=[{"coupon": id}]`).

Since API version 2025-03-31 a subscription carries `discounts`, a list of discount ids
(expandable); a discount names its coupon at `source.coupon` (an id, expandable). Coupon ids are
the caller's or eight random capitals and digits, as Stripe makes them.

Left out: promotion codes, `applies_to`, `currency_options`, `redeem_by`; the discount is not
taken off the invoices the subscription bills (the sandbox has no invoice discounts).
"""

from __future__ import annotations

import random
import string
from typing import Any

from ..common import deleted, require
from ..errors import invalid
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State

_ID_ALPHABET = string.ascii_uppercase + string.digits
_DURATIONS = ("forever", "once", "repeating")


def create_coupon(state: State, params: dict[str, Any]) -> dict[str, Any]:
    percent_off, amount_off = params.get("percent_off"), params.get("amount_off")
    if (percent_off is None) == (amount_off is None):
        raise invalid(
            "You must pass exactly one of percent_off or amount_off.", param="percent_off"
        )
    if percent_off is not None and not 0 < float(percent_off) <= 100:
        raise invalid(
            "Invalid percent_off: must be greater than 0 and at most 100.", param="percent_off"
        )
    currency = params.get("currency")
    if amount_off is not None:
        if int(amount_off) <= 0:
            raise invalid("Invalid positive integer", param="amount_off")
        if not currency:
            raise invalid(
                "You must pass currency when passing amount_off.",
                param="currency",
                code="parameter_missing",
            )
    duration = params.get("duration", "once")
    if duration not in _DURATIONS:
        raise invalid(
            f"Invalid duration: must be one of {', '.join(_DURATIONS)}.", param="duration"
        )
    months = params.get("duration_in_months")
    if duration == "repeating" and months is None:
        raise invalid(
            "Missing required param: duration_in_months.",
            param="duration_in_months",
            code="parameter_missing",
        )
    coupon_id = params.get("id") or "".join(random.choices(_ID_ALPHABET, k=8))
    if state.get("coupons", coupon_id) is not None:
        raise invalid("Coupon already exists.", param="id", code="resource_already_exists")
    coupon = state.insert(
        "coupons",
        {
            "id": coupon_id,
            "object": "coupon",
            "amount_off": int(amount_off) if amount_off is not None else None,
            "created": state.now(),
            "currency": currency.lower() if amount_off is not None else None,
            "duration": duration,
            "duration_in_months": int(months) if duration == "repeating" else None,
            "livemode": False,
            "max_redemptions": params.get("max_redemptions"),
            "metadata": apply_metadata({}, params.get("metadata")),
            "name": params.get("name"),
            "percent_off": float(percent_off) if percent_off is not None else None,
            "redeem_by": None,
            "times_redeemed": 0,
            "valid": True,
        },
    )
    state.emit("coupon.created", coupon)
    return coupon


def redeem(
    state: State, specs: list[dict[str, Any]] | None, *, customer: str, subscription: str
) -> list[str]:
    """Discounts for a subscription's `discounts` parameter; the ids the subscription lists."""
    ids: list[str] = []
    for n, spec in enumerate(specs or []):
        coupon_id = spec.get("coupon")
        if not coupon_id:
            raise invalid(
                "Only coupons are supported in this sandbox's discounts.",
                param=f"discounts[{n}][coupon]",
            )
        coupon = require(state, "coupons", coupon_id, "coupon", param=f"discounts[{n}][coupon]")
        if not coupon["valid"]:
            raise invalid(f"Coupon expired: {coupon_id}", param=f"discounts[{n}][coupon]")
        start = state.now()
        end = None
        if coupon["duration"] == "repeating":
            end = start + int(coupon["duration_in_months"]) * 30 * 86400
        discount = state.insert(
            "discounts",
            {
                "id": state.new_id("di"),
                "object": "discount",
                "checkout_session": None,
                "customer": customer,
                "customer_account": None,
                "end": end,
                "invoice": None,
                "invoice_item": None,
                "promotion_code": None,
                "source": {"coupon": coupon_id, "type": "coupon"},
                "start": start,
                "subscription": subscription,
                "subscription_item": None,
            },
        )
        redeemed = coupon["times_redeemed"] + 1
        full = coupon["max_redemptions"] is not None and redeemed >= coupon["max_redemptions"]
        previous = state.update(coupon, {"times_redeemed": redeemed, "valid": not full})
        state.emit("coupon.updated", coupon, previous)
        ids.append(discount["id"])
    return ids


@api.route("post", "/v1/coupons")
def create_coupon_route(call: Call) -> dict[str, Any]:
    return create_coupon(call.state, call.params)


@api.route("get", "/v1/coupons/{coupon}")
def retrieve_coupon(call: Call) -> dict[str, Any]:
    return require(call.state, "coupons", call.arg("coupon"), "coupon")


@api.route("post", "/v1/coupons/{coupon}")
def update_coupon(call: Call) -> dict[str, Any]:
    coupon = require(call.state, "coupons", call.arg("coupon"), "coupon")
    changes: dict[str, Any] = {}
    if "name" in call.params:
        changes["name"] = call.params["name"] or None
    if "metadata" in call.params:
        changes["metadata"] = apply_metadata(coupon, call.params["metadata"])
    previous = call.state.update(coupon, changes)
    if previous:
        call.state.emit("coupon.updated", coupon, previous)
    return coupon


@api.route("delete", "/v1/coupons/{coupon}")
def delete_coupon(call: Call) -> dict[str, Any]:
    coupon = require(call.state, "coupons", call.arg("coupon"), "coupon")
    call.state.delete("coupons", coupon["id"])
    call.state.emit("coupon.deleted", coupon)
    return deleted(coupon["id"], "coupon")


@api.route("get", "/v1/coupons")
def list_coupons(call: Call) -> dict[str, Any]:
    return paginate(call, call.state.collection("coupons"), url="/v1/coupons", kind="coupon")
