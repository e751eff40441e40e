"""Subscriptions: create (with the first invoice and its payment), retrieve, list; the items list.

Statuses follow Stripe's documented machine (docs: "Subscription statuses"): a first invoice that
cannot be paid leaves the subscription `incomplete`, `incomplete_expired` 23 hours later (its
invoice voided); `trialing` until `trial_end`. What happens later — renewals, dunning, pauses,
cancellation — is in `subscription_lifecycle`; updates, `/pause` and `/resume` in
`subscription_updates`.

Left out: prorations (`proration_behavior` is accepted; a price or quantity change bills from the
next renewal), taxes, schedules, `pending_update`, usage-based prices.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..common import require
from ..errors import card_error, invalid
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from . import billing_clock as clock
from . import coupons
from . import invoice_collection as collection
from . import invoice_lines as lines
from . import invoices as inv
from .customers import adopt_currency
from .invoice_payments import default_intent, forget_payments
from .payment_methods import default_payment_method, resolve
from .payments import set_payment_method
from .subscription_periods import (
    add_interval,
    build_item,
    check_items,
    current_period,
    invoice_for,
    payment_method_of,
    payment_settings,
    recurring_price,
    set_period,
)

TRIAL_WILL_END = 3 * 86400  # customer.subscription.trial_will_end, three days before the trial ends


INCOMPLETE_WINDOW = 23 * 3600


LIVE = ("active", "trialing", "past_due", "unpaid")
_CREATING = "_subscriptions_creating"


def emit_subscription(
    state: State, event_type: str, sub: dict[str, Any], previous: dict[str, Any] | None = None
) -> None:
    state.emit(event_type, sub, previous)


def update_subscription(
    state: State, sub: dict[str, Any], changes: dict[str, Any], *, event: bool = True
) -> dict[str, Any]:
    previous = state.update(sub, changes)
    if previous and event and not is_creating(state, sub):
        emit_subscription(state, "customer.subscription.updated", sub, previous)
    return previous


def is_creating(state: State, sub: dict[str, Any]) -> bool:
    """Whether the subscription's own request is still settling its status (no hooks apply yet)."""
    return sub["id"] in state.collection(_CREATING).by_id


@contextlib.contextmanager
def creating(state: State, sub: dict[str, Any]) -> Iterator[None]:
    """Bill the subscription's first (or resumed) invoice while its request decides the status."""
    marks = state.collection(_CREATING)
    marks.by_id[sub["id"]] = {"id": sub["id"]}
    try:
        yield
    finally:
        marks.by_id.pop(sub["id"], None)


def create_subscription(state: State, params: dict[str, Any]) -> dict[str, Any]:
    """Create a subscription, its first invoice, and collect it. Used by the API and by seeding.

    Wrap in `invoices.billing_clock(state, t)` to backdate it (seeding), then advance the clock
    (`state.advance`) or call `invoices.run_billing(state, t, state.now())` to replay its renewals.
    """
    customer_id = params.get("customer")
    if not customer_id:
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    require(state, "customers", customer_id, "customer", param="customer")
    specs = params.get("items") or []
    if not specs:
        raise invalid("Missing required param: items.", param="items", code="parameter_missing")
    prices = [recurring_price(state, spec, f"items[{i}][price]") for i, spec in enumerate(specs)]
    check_items(prices)
    method = params.get("collection_method", "charge_automatically")
    days = params.get("days_until_due")
    if method == "send_invoice" and days is None:
        raise invalid(
            "Missing required param: days_until_due.",
            param="days_until_due",
            code="parameter_missing",
        )
    if method == "charge_automatically" and days is not None:
        raise invalid(
            "You can only set `days_until_due` when `collection_method` is `send_invoice`.",
            param="days_until_due",
        )
    behavior = params.get("payment_behavior", "allow_incomplete")
    if behavior == "pending_if_incomplete":
        raise invalid(
            "You can only pass `payment_behavior=pending_if_incomplete` when updating a subscription.",
            param="payment_behavior",
        )
    now = state.now()
    trial_end = params.get("trial_end")
    if trial_end == "now":
        trial_end = None
    if params.get("trial_period_days"):
        trial_end = now + int(params["trial_period_days"]) * 86400
    elif params.get("trial_from_plan") and prices[0]["recurring"].get("trial_period_days"):
        trial_end = now + int(prices[0]["recurring"]["trial_period_days"]) * 86400
    if trial_end is not None and trial_end <= now:
        raise invalid(
            "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
        )
    anchor = int(params.get("billing_cycle_anchor") or trial_end or now)
    default_pm = params.get("default_payment_method")
    if default_pm:
        resolve(state, default_pm, param="default_payment_method")
    amount = sum(
        int(p["unit_amount"] or 0) * int(s.get("quantity", 1))
        for p, s in zip(prices, specs, strict=True)
    )
    charge_now = method == "charge_automatically" and trial_end is None and amount > 0
    if charge_now and behavior in ("allow_incomplete", "error_if_incomplete"):
        pm = default_pm
        if pm is None:
            pm = default_payment_method(state, customer_id)
        if pm is None:
            raise invalid(collection.NO_PAYMENT_METHOD, code="resource_missing")
    sub_id = state.new_id("sub")
    discounts = coupons.redeem(
        state, params.get("discounts"), customer=customer_id, subscription=sub_id
    )
    trial_settings = (params.get("trial_settings") or {}).get("end_behavior") or {}
    sub: dict[str, Any] = {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": None,
        "billing_mode": {
            "flexible": {"proration_discounts": "included"},
            "type": (params.get("billing_mode") or {}).get("type", "flexible"),
        },
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "feedback_option": None,
            "reason": None,
        },
        "collection_method": method,
        "created": now,
        "currency": prices[0]["currency"],
        "customer": customer_id,
        "customer_account": None,
        "days_until_due": days,
        "default_payment_method": default_pm,
        "default_source": None,
        "default_tax_rates": [],
        "description": params.get("description"),
        "discounts": discounts,
        "ended_at": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "items": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },  # fmt: skip
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": apply_metadata({}, params.get("metadata")),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": payment_settings(params.get("payment_settings")),
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": int(params.get("backdate_start_date") or now),
        "status": "incomplete",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {
            "end_behavior": {
                "billing_cycle_anchor": None,
                "missing_payment_method": trial_settings.get(
                    "missing_payment_method", "create_invoice"
                ),
            }
        },
        "trial_start": now if trial_end else None,
    }
    if params.get("cancel_at_period_end"):
        sub["cancel_at_period_end"] = True
        sub["canceled_at"] = now
    if isinstance(params.get("cancel_at"), int):
        sub["cancel_at"] = params["cancel_at"]
    start = now
    end = trial_end if trial_end else 0
    for price, spec in zip(prices, specs, strict=True):
        item = build_item(
            state, sub_id, price, int(spec.get("quantity", 1)), spec.get("metadata"), start, end
        )
        sub["items"]["data"].append(item)
    if not trial_end:
        first_end = add_interval(
            anchor, prices[0]["recurring"]["interval"], prices[0]["recurring"]["interval_count"]
        )
        set_period(sub, start, anchor if anchor > now else first_end)
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = current_period(sub)[1]
    state.insert("subscriptions", sub)
    for item in sub["items"]["data"]:
        state.insert("subscription_items", item)
    adopt_currency(state, customer_id, sub["currency"])
    clock.ensure_billing_hook(state)

    since = state.mark()
    with creating(state, sub):
        status = _first_invoice(state, sub, behavior=behavior, trial=trial_end is not None)
    if status == "error":
        invoice = state.get("invoices", sub["latest_invoice"] or "")
        pi = default_intent(state, invoice) if invoice else None
        _discard(state, sub, invoice, since)
        error = (pi or {}).get("last_payment_error") or {}
        raise card_error(
            error.get("message") or "Your card was declined.",
            code=error.get("code") or "card_declined",
            decline_code=error.get("decline_code"),
        )
    sub["status"] = status
    emit_subscription(state, "customer.subscription.created", sub)
    if trial_end and trial_end - TRIAL_WILL_END <= now:
        emit_subscription(state, "customer.subscription.trial_will_end", sub)
    return sub


def _first_invoice(state: State, sub: dict[str, Any], *, behavior: str, trial: bool) -> str:
    start, end = current_period(sub)
    invoice = invoice_for(
        state,
        sub,
        reason="subscription_create",
        lines_period=(start, end),
        invoice_period=(start, start),
        trial=trial,
    )
    inv.finalize_invoice(state, invoice)
    if invoice["status"] == "paid":
        return "trialing" if trial else "active"
    if sub["collection_method"] == "send_invoice":
        state.emit("invoice.sent", lines.render(invoice))
        return "active"
    invoice["next_payment_attempt"] = None
    if behavior == "default_incomplete":
        # the invoice's own payment intent waits for the customer to confirm it
        pm = payment_method_of(state, sub)
        if pm:
            pi = default_intent(state, invoice)
            set_payment_method(state, pi, pm)
            pi["status"] = "requires_confirmation"
        return "incomplete"
    pi = collection.collect(state, invoice, retry=False)
    if invoice["status"] == "paid":
        return "active"
    if behavior == "error_if_incomplete" and (pi is None or pi.get("status") != "processing"):
        return "error"
    return "incomplete"


def _discard(state: State, sub: dict[str, Any], invoice: dict[str, Any] | None, since: int) -> None:
    """error_if_incomplete: the subscription and its invoice never existed; the declined payment
    attempt did (its intent and failed charge stay, as the 402 that reports it)."""
    ids = {sub["id"], *(i["id"] for i in sub["items"]["data"])}
    for item in sub["items"]["data"]:
        state.delete("subscription_items", item["id"])
    state.delete("subscriptions", sub["id"])
    if invoice is not None:
        ids |= {invoice["id"], *forget_payments(state, invoice)}
        state.delete("invoices", invoice["id"])
    state.unsay(since, ids)


def require_subscription(
    state: State, sub_id: str, param: str = "subscription_exposed_id"
) -> dict[str, Any]:
    return require(state, "subscriptions", sub_id, "subscription", param=param)


@api.route("post", "/v1/subscriptions")
def create(call: Call) -> dict[str, Any]:
    return create_subscription(call.state, call.params)


@api.route("get", "/v1/subscriptions/{subscription_exposed_id}")
def retrieve(call: Call) -> dict[str, Any]:
    return require_subscription(call.state, call.arg("subscription_exposed_id"))


@api.route("get", "/v1/subscriptions")
def list_subscriptions(call: Call) -> dict[str, Any]:
    params = call.params
    status = params.get("status")

    def keep(sub: dict[str, Any]) -> bool:
        if "customer" in params and sub["customer"] != params["customer"]:
            return False
        if (
            "collection_method" in params
            and sub["collection_method"] != params["collection_method"]
        ):
            return False
        wanted = params.get("price") or params.get("plan")
        if wanted and not any(it["price"]["id"] == wanted for it in sub["items"]["data"]):
            return False
        if status is None:
            return sub["status"] != "canceled"
        if status == "all":
            return True
        if status == "ended":
            return sub["status"] in ("canceled", "incomplete_expired")
        return sub["status"] == status

    return paginate(
        call,
        call.state.collection("subscriptions"),
        url="/v1/subscriptions",
        kind="subscription",
        keep=keep,
    )


@api.route("get", "/v1/subscription_items")
def list_items(call: Call) -> dict[str, Any]:
    sub = require_subscription(call.state, call.params["subscription"], param="subscription")
    ids = {it["id"] for it in sub["items"]["data"]}
    return paginate(
        call,
        call.state.collection("subscription_items"),
        url="/v1/subscription_items",
        kind="subscription item",
        keep=lambda it: it["id"] in ids,
    )


@api.route("get", "/v1/subscription_items/{item}")
def retrieve_item(call: Call) -> dict[str, Any]:
    return require(call.state, "subscription_items", call.arg("item"), "subscription item")
