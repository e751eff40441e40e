"""Changing a subscription: update (items, cancellation, collection, trial), cancel, `/pause`, `/resume`.

The `/pause` endpoint of this API version (flexible billing mode, the default since 2025-09-30)
moves a subscription to `paused`: no invoices until `/resume`.
"""

from __future__ import annotations

import copy
from typing import Any

from ..common import require
from ..errors import invalid, missing
from ..listing import apply_metadata
from ..router import Call, api
from ..state import State
from . import invoices as inv
from .payment_methods import resolve
from .subscription_lifecycle import bill, cancel_subscription, pause_subscription, renew
from .subscription_periods import (
    build_item,
    check_items,
    current_period,
    invoice_for,
    payment_settings,
    period_end,
    plan_of,
    recurring_price,
    set_period,
)
from .subscriptions import creating, emit_subscription, require_subscription


def _apply_items(state: State, sub: dict[str, Any], specs: list[dict[str, Any]]) -> None:
    start, end = current_period(sub)
    data = sub["items"]["data"]
    for i, spec in enumerate(specs):
        if spec.get("id"):
            item = next((it for it in data if it["id"] == spec["id"]), None)
            if item is None:
                raise missing("subscription item", spec["id"], param=f"items[{i}][id]")
            if spec.get("deleted"):
                if len(data) == 1:
                    raise invalid(
                        "A subscription must have at least one active plan. To cancel a subscription, please "
                        "use the cancel API endpoint on /v1/subscriptions.",
                        param=f"items[{i}][deleted]",
                    )
                data.remove(item)
                state.delete("subscription_items", item["id"])
                continue
            if spec.get("price") or spec.get("price_data") or spec.get("plan"):
                price = recurring_price(state, spec, f"items[{i}][price]")
                item["price"], item["plan"] = copy.deepcopy(price), plan_of(price)
            if "quantity" in spec:
                item["quantity"] = int(spec["quantity"])
            if "metadata" in spec:
                item["metadata"] = apply_metadata(item, spec["metadata"])
        else:
            price = recurring_price(state, spec, f"items[{i}][price]")
            item = build_item(
                state,
                sub["id"],
                price,
                int(spec.get("quantity", 1)),
                spec.get("metadata"),
                start,
                end,
            )
            data.append(item)
            state.insert("subscription_items", item)
    check_items([it["price"] for it in data])


@api.route("post", "/v1/subscriptions/{subscription_exposed_id}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    sub = require_subscription(state, call.arg("subscription_exposed_id"))
    if sub["status"] in ("canceled", "incomplete_expired"):
        extra = [k for k in params if k not in ("metadata", "cancellation_details", "expand")]
        if extra:
            raise invalid(
                "A canceled subscription can only update its cancellation_details and metadata.",
                param=extra[0],
            )
    now = state.now()
    changes: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    if "items" in params:
        before = copy.deepcopy(sub["items"])
        _apply_items(state, sub, params["items"])
        if before != sub["items"]:
            previous["items"] = before
    if "metadata" in params:
        changes["metadata"] = apply_metadata(sub, params["metadata"])
    for key in ("description", "default_payment_method"):
        if key in params:
            changes[key] = params[key] or None
    if changes.get("default_payment_method"):
        resolve(state, changes["default_payment_method"], param="default_payment_method")
    if "collection_method" in params:
        changes["collection_method"] = params["collection_method"]
    method = changes.get("collection_method", sub["collection_method"])
    if "days_until_due" in params:
        if method != "send_invoice":
            raise invalid(
                "You can only set `days_until_due` when `collection_method` is `send_invoice`.",
                param="days_until_due",
            )
        changes["days_until_due"] = params["days_until_due"]
    elif method == "send_invoice" and not sub["days_until_due"]:
        raise invalid(
            "Missing required param: days_until_due.",
            param="days_until_due",
            code="parameter_missing",
        )
    if method == "charge_automatically" and "collection_method" in params:
        changes["days_until_due"] = None
    if "payment_settings" in params:
        changes["payment_settings"] = payment_settings(
            params["payment_settings"], sub["payment_settings"]
        )
    if "cancellation_details" in params:
        details = dict(sub["cancellation_details"])
        for key in ("comment", "feedback"):
            if key in params["cancellation_details"]:
                details[key] = params["cancellation_details"][key] or None
        changes["cancellation_details"] = details
    if "cancel_at_period_end" in params:
        if params["cancel_at_period_end"]:
            changes.update(
                cancel_at_period_end=True, cancel_at=current_period(sub)[1], canceled_at=now
            )
        else:
            changes.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
    if "cancel_at" in params:
        value = params["cancel_at"]
        if value == "" or value is None:
            changes.update(cancel_at=None, canceled_at=None, cancel_at_period_end=False)
        else:
            at = (
                current_period(sub)[1]
                if value in ("min_period_end", "max_period_end")
                else int(value)
            )
            changes.update(
                cancel_at=at, canceled_at=now, cancel_at_period_end=at == current_period(sub)[1]
            )
    if "pause_collection" in params:
        value = params["pause_collection"]
        changes["pause_collection"] = (
            None
            if value == ""
            else {"behavior": value["behavior"], "resumes_at": value.get("resumes_at")}
        )
    previous.update(state.update(sub, changes))
    if params.get("trial_end") is not None and sub["status"] == "trialing":
        trial_end = now if params["trial_end"] == "now" else int(params["trial_end"])
        previous.setdefault("trial_end", sub["trial_end"])
        sub["trial_end"] = trial_end
        set_period(sub, current_period(sub)[0], trial_end)
    if previous:
        emit_subscription(state, "customer.subscription.updated", sub, previous)
    if params.get("trial_end") == "now" and sub["status"] == "trialing":
        renew(state, sub, now)
    return sub


@api.route("delete", "/v1/subscriptions/{subscription_exposed_id}")
def cancel(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    sub = require_subscription(state, call.arg("subscription_exposed_id"))
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise missing("subscription", sub["id"], param="subscription_exposed_id")
    details = params.get("cancellation_details") or {}
    if sub["status"] == "incomplete":
        invoice = state.get("invoices", sub["latest_invoice"] or "")
        if invoice is not None and invoice["status"] == "open":
            inv.void_invoice(state, invoice)
    return cancel_subscription(
        state, sub, comment=details.get("comment") or None, feedback=details.get("feedback") or None
    )


@api.route("post", "/v1/subscriptions/{subscription}/pause")
def pause(call: Call) -> dict[str, Any]:
    state = call.state
    sub = require_subscription(state, call.arg("subscription"), param="subscription")
    if sub["billing_mode"]["type"] != "flexible":
        raise invalid(
            "Pausing a subscription requires `billing_mode[type]=flexible`.", param="subscription"
        )
    if sub["status"] not in ("active", "trialing", "past_due"):
        raise invalid(
            f"You cannot pause a subscription with status `{sub['status']}`.", param="subscription"
        )
    pause_subscription(state, sub, kind="pause_requested")
    return sub


@api.route("post", "/v1/subscriptions/{subscription}/resume")
def resume(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    sub = require_subscription(state, call.arg("subscription"), param="subscription")
    if sub["status"] != "paused":
        raise invalid("You can only resume subscriptions that are paused.", param="subscription")
    now = state.now()
    anchor = (params.get("billing_cycle_anchor") or {}).get("type", "now")
    on_success = params.get("payment_behavior") == "resume_on_payment_success"
    previous: dict[str, Any] = {"status": "paused", "status_details": sub.get("status_details")}
    if anchor == "now":
        start, _end = current_period(sub)
        previous["billing_cycle_anchor"] = sub["billing_cycle_anchor"]
        sub["billing_cycle_anchor"] = now
        set_period(sub, now, period_end(sub, now))
        invoice = invoice_for(
            state,
            sub,
            reason="subscription_update",
            lines_period=current_period(sub),
            invoice_period=(now, now),
        )
        sub["latest_invoice"] = invoice["id"]
        if not on_success:
            _unpause(sub)
        with creating(state, sub):
            bill(state, sub, invoice)
        if on_success and invoice["status"] != "paid":
            return sub
        _unpause(sub)
        if not on_success and invoice["status"] == "open" and invoice["attempted"]:
            sub["status"] = "past_due"
    else:
        _unpause(sub)
    emit_subscription(state, "customer.subscription.resumed", sub)
    emit_subscription(state, "customer.subscription.updated", sub, previous)
    return sub


def _unpause(sub: dict[str, Any]) -> None:
    sub["status"] = "active"
    sub.pop("status_details", None)  # Stripe leaves it out unless the subscription is paused


@api.route("post", "/v1/subscription_items/{item}")
def update_item(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    item = require(state, "subscription_items", call.arg("item"), "subscription item")
    sub = require_subscription(state, item["subscription"], param="item")
    spec = {
        "id": item["id"],
        **{k: params[k] for k in ("price", "price_data", "quantity", "metadata") if k in params},
    }
    before = copy.deepcopy(sub["items"])
    _apply_items(state, sub, [spec])
    if before != sub["items"]:
        emit_subscription(state, "customer.subscription.updated", sub, {"items": before})
    return item
