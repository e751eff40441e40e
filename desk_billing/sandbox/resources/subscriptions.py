"""Subscriptions and subscription items: create, update, cancel, pause/resume, renewals in sandbox time.

Statuses follow Stripe's documented machine (docs: "Subscription statuses"): a first invoice that
cannot be paid leaves the subscription `incomplete`, `incomplete_expired` 23 hours later (its
invoice voided); `trialing` until `trial_end`; a failed renewal makes it `past_due`, retried after
RETRY_DAYS (invoices module), and after the last failed retry it becomes `unpaid` — or `canceled`
or stays `past_due`, per `set_dunning(state, final=...)` (Stripe's "Manage failed payments" setting).
An `unpaid` subscription keeps renewing with invoices left as drafts, as Stripe does. The `/pause`
endpoint of this API version (flexible billing mode, the default since 2025-09-30) moves it to
`paused`: no invoices until `/resume`. `pause_collection` keeps the status and makes renewal
invoices drafts, uncollectible or void per its `behavior`.

Left out: prorations (`proration_behavior` is accepted; a price or quantity change bills from the
next renewal), discounts, taxes, schedules, `pending_update`, usage-based prices.
"""

from __future__ import annotations

import calendar
import copy
from datetime import UTC, datetime
from typing import Any

from ..common import minor_units_label, require
from ..errors import card_error, invalid, missing
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from . import customers as customers_mod
from . import invoices as inv

TRIAL_WILL_END = 3 * 86400  # customer.subscription.trial_will_end, three days before the trial ends
INCOMPLETE_WINDOW = 23 * 3600
LIVE = ("active", "trialing", "past_due", "unpaid")


# -- settings ------------------------------------------------------------------------------------
def set_dunning(state: State, *, final: str = "unpaid") -> None:
    """What happens after the last failed retry: "unpaid" (default here), "canceled" or "past_due"."""
    if final not in ("unpaid", "canceled", "past_due"):
        raise ValueError(final)
    state.collection("_billing_settings").by_id["dunning"] = {"id": "dunning", "final": final}


def _final_action(state: State) -> str:
    entry = state.get("_billing_settings", "dunning")
    return entry["final"] if entry else "unpaid"


# -- periods -------------------------------------------------------------------------------------
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


def _period_end(sub: dict[str, Any], start: int) -> int:
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    return add_interval(start, recurring["interval"], recurring["interval_count"], _anchor_day(sub))


def current_period(sub: dict[str, Any]) -> tuple[int, int]:
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def _set_period(sub: dict[str, Any], start: int, end: int) -> None:
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = start, end


# -- building ------------------------------------------------------------------------------------
def _plan(price: dict[str, Any]) -> dict[str, Any]:
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


def _recurring_price(state: State, spec: dict[str, Any], param: str) -> dict[str, Any]:
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


def _build_item(
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
        "discounts": [],
        "metadata": apply_metadata({}, metadata),
        "plan": _plan(price),
        "price": copy.deepcopy(price),
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def _payment_settings(
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


def _check_items(prices: list[dict[str, Any]]) -> None:
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


def _invoice_for(
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
        inv.subscription_line(
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


def _pm_for(state: State, sub: dict[str, Any]) -> str | None:
    if sub.get("default_payment_method"):
        return sub["default_payment_method"]
    from .payments import default_payment_method

    return default_payment_method(state, sub["customer"])


def _emit(
    state: State, event_type: str, sub: dict[str, Any], previous: dict[str, Any] | None = None
) -> None:
    state.emit(event_type, sub, previous)


def _set(
    state: State, sub: dict[str, Any], changes: dict[str, Any], *, event: bool = True
) -> dict[str, Any]:
    previous = state.update(sub, changes)
    if previous and event and not _creating(state, sub):
        _emit(state, "customer.subscription.updated", sub, previous)
    return previous


def _creating(state: State, sub: dict[str, Any]) -> bool:
    return sub["id"] in state.collection("_subscriptions_creating").by_id


# -- create --------------------------------------------------------------------------------------
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
    prices = [_recurring_price(state, spec, f"items[{i}][price]") for i, spec in enumerate(specs)]
    _check_items(prices)
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
        from .payment_methods import resolve

        resolve(state, default_pm, param="default_payment_method")
    amount = sum(
        int(p["unit_amount"] or 0) * int(s.get("quantity", 1))
        for p, s in zip(prices, specs, strict=True)
    )
    charge_now = method == "charge_automatically" and trial_end is None and amount > 0
    if charge_now and behavior in ("allow_incomplete", "error_if_incomplete"):
        pm = default_pm
        if pm is None:
            from .payments import default_payment_method

            pm = default_payment_method(state, customer_id)
        if pm is None:
            raise invalid(inv.NO_PAYMENT_METHOD, code="resource_missing")
    sub_id = state.new_id("sub")
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
            "updated_at": None,
        },
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
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
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },  # fmt: skip
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": apply_metadata({}, params.get("metadata")),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": _payment_settings(params.get("payment_settings")),
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "presentment_details": None,
        "schedule": None,
        "start_date": int(params.get("backdate_start_date") or now),
        "status": "incomplete",
        "status_details": None,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {
            "end_behavior": {
                "missing_payment_method": trial_settings.get(
                    "missing_payment_method", "create_invoice"
                )
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
        item = _build_item(
            state, sub_id, price, int(spec.get("quantity", 1)), spec.get("metadata"), start, end
        )
        sub["items"]["data"].append(item)
    if not trial_end:
        first_end = add_interval(
            anchor, prices[0]["recurring"]["interval"], prices[0]["recurring"]["interval_count"]
        )
        _set_period(sub, start, anchor if anchor > now else first_end)
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = current_period(sub)[1]
    sub["items"]["total_count"] = len(sub["items"]["data"])
    state.insert("subscriptions", sub)
    for item in sub["items"]["data"]:
        state.insert("subscription_items", item)
    inv.ensure_billing_hook(state)

    creating = state.collection("_subscriptions_creating")
    creating.by_id[sub_id] = {"id": sub_id}
    recorded: list[dict[str, Any]] = []
    state.on_event.append(recorded.append)
    try:
        status = _first_invoice(state, sub, behavior=behavior, trial=trial_end is not None)
    finally:
        state.on_event.remove(recorded.append)
        creating.by_id.pop(sub_id, None)
    if status == "error":
        _discard(state, sub, recorded)
        invoice = state.get("invoices", sub["latest_invoice"] or "")
        pi = _latest_pi(state, invoice)
        error = (pi or {}).get("last_payment_error") or {}
        raise card_error(
            error.get("message") or "Your card was declined.",
            code=error.get("code") or "card_declined",
            decline_code=error.get("decline_code"),
        )
    sub["status"] = status
    _emit(state, "customer.subscription.created", sub)
    if trial_end and trial_end - TRIAL_WILL_END <= now:
        _emit(state, "customer.subscription.trial_will_end", sub)
    return sub


def _latest_pi(state: State, invoice: dict[str, Any] | None) -> dict[str, Any] | None:
    if invoice is None:
        return None
    from .payments import invoice_of

    for pi in state.newest_first("payment_intents"):
        if invoice_of(state, pi["id"]) == invoice["id"]:
            return pi
        if pi["created"] < invoice["created"]:
            break
    return None


def _first_invoice(state: State, sub: dict[str, Any], *, behavior: str, trial: bool) -> str:
    start, end = current_period(sub)
    invoice = _invoice_for(
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
        state.emit("invoice.sent", inv.render(invoice))
        return "active"
    invoice["next_payment_attempt"] = None
    if behavior == "default_incomplete":
        from .payments import create_payment

        create_payment(
            state,
            amount=invoice["amount_remaining"],
            currency=invoice["currency"],
            customer=invoice["customer"],
            payment_method=_pm_for(state, sub),
            description="Subscription creation",
            confirm=False,
            invoice=invoice["id"],
        )
        return "incomplete"
    pi = inv.collect(state, invoice, retry=False)
    if invoice["status"] == "paid":
        return "active"
    if behavior == "error_if_incomplete" and (pi is None or pi.get("status") != "processing"):
        return "error"
    return "incomplete"


def _discard(state: State, sub: dict[str, Any], recorded: list[dict[str, Any]]) -> None:
    """error_if_incomplete: the subscription and its invoice never existed (the payment intent stays)."""
    ids = {sub["id"], sub["latest_invoice"], *(i["id"] for i in sub["items"]["data"])}
    for item in sub["items"]["data"]:
        state.delete("subscription_items", item["id"])
    state.delete("subscriptions", sub["id"])
    if sub["latest_invoice"] and state.get("invoices", sub["latest_invoice"]):
        state.delete("invoices", sub["latest_invoice"])
    for event in recorded:
        if event["data"]["object"].get("id") in ids and state.get("events", event["id"]):
            state.delete("events", event["id"])


# -- hooks from invoices and customers -----------------------------------------------------------
def _sub_of(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    sub_id = details.get("subscription")
    return state.get("subscriptions", sub_id) if sub_id else None


def _on_paid(state: State, invoice: dict[str, Any]) -> None:
    sub = _sub_of(state, invoice)
    if sub is None or _creating(state, sub):
        return
    if sub["status"] in ("incomplete", "past_due", "unpaid") and not _other_unpaid(
        state, sub, invoice
    ):
        status = "trialing" if sub["trial_end"] and sub["trial_end"] > state.now() else "active"
        _set(state, sub, {"status": status})


def _other_unpaid(state: State, sub: dict[str, Any], paid: dict[str, Any]) -> bool:
    return any(
        i["status"] == "open"
        and i["id"] != paid["id"]
        and (_sub_of(state, i) or {}).get("id") == sub["id"]
        for i in state.collection("invoices").by_id.values()
        if i["customer"] == sub["customer"]
    )


def _on_failed(state: State, invoice: dict[str, Any], pi: dict[str, Any] | None) -> None:
    sub = _sub_of(state, invoice)
    if sub is None or _creating(state, sub) or invoice["billing_reason"] == "subscription_create":
        return
    if sub["status"] in ("active", "trialing"):
        _set(state, sub, {"status": "past_due"})
    final = invoice["next_payment_attempt"] is None and invoice["attempt_count"] > len(
        inv.RETRY_DAYS
    )
    if final and sub["status"] == "past_due":
        action = _final_action(state)
        if action == "unpaid":
            _set(state, sub, {"status": "unpaid"})
        elif action == "canceled":
            cancel_subscription(state, sub, reason="payment_failed")


def _on_overdue(state: State, invoice: dict[str, Any]) -> None:
    sub = _sub_of(state, invoice)
    if sub is not None and sub["status"] in ("active", "trialing"):
        _set(state, sub, {"status": "past_due"})


def _on_customer_deleted(state: State, customer: dict[str, Any]) -> None:
    for sub in list(state.collection("subscriptions").by_id.values()):
        if sub["customer"] == customer["id"] and sub["status"] not in (
            "canceled",
            "incomplete_expired",
        ):
            cancel_subscription(state, sub, reason="cancellation_requested")


inv.ON_INVOICE_PAID.append(_on_paid)
inv.ON_INVOICE_PAYMENT_FAILED.append(_on_failed)
inv.ON_INVOICE_OVERDUE.append(_on_overdue)
customers_mod.ON_DELETE.append(_on_customer_deleted)


# -- cancel / renew ------------------------------------------------------------------------------
def cancel_subscription(state: State, sub: dict[str, Any], *, reason: str = "cancellation_requested",
                        comment: str | None = None, feedback: str | None = None) -> dict[str, Any]:  # fmt: skip
    """-> canceled now: `canceled_at` (kept if set by cancel_at_period_end), `ended_at`; stops collection."""
    now = state.now()
    previous = state.update(
        sub,
        {
            "status": "canceled",
            "canceled_at": sub["canceled_at"] or now,
            "ended_at": now,
            "cancel_at": sub["cancel_at"] if sub["cancel_at"] and sub["cancel_at"] <= now else None,
            "cancellation_details": {
                "comment": comment
                if comment is not None
                else sub["cancellation_details"]["comment"],
                "feedback": feedback
                if feedback is not None
                else sub["cancellation_details"]["feedback"],
                "reason": reason,
            },
        },
    )
    for invoice in state.collection("invoices").by_id.values():
        if invoice["status"] == "open" and (_sub_of(state, invoice) or {}).get("id") == sub["id"]:
            invoice["next_payment_attempt"] = None
            invoice["auto_advance"] = False
    _emit(state, "customer.subscription.deleted", sub, previous)
    return sub


def _renew(state: State, sub: dict[str, Any], at: int) -> None:
    """The period ending at `at` is over: end the trial, cancel, or bill the next period."""
    start, end = current_period(sub)
    if end != at or sub["status"] not in LIVE:
        return
    if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= at):
        cancel_subscription(state, sub, reason="cancellation_requested")
        return
    ending_trial = sub["status"] == "trialing"
    if (
        ending_trial
        and sub["collection_method"] == "charge_automatically"
        and _pm_for(state, sub) is None
    ):
        behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
        if behavior == "cancel":
            cancel_subscription(state, sub, reason="cancellation_requested")
            return
        if behavior == "pause":
            _pause(state, sub, kind="trial_end_without_payment_method")
            return
    new_end = _period_end(sub, at)
    items_before = copy.deepcopy(sub["items"])
    _set_period(sub, at, new_end)
    invoice = _invoice_for(
        state,
        sub,
        reason="subscription_cycle",
        lines_period=(at, new_end),
        invoice_period=(start, at),
    )
    changes: dict[str, Any] = {"latest_invoice": invoice["id"]}
    if ending_trial:
        changes["status"] = "active"
    previous = {"items": items_before}
    previous.update(state.update(sub, changes) or {})
    previous["latest_invoice"] = previous.get("latest_invoice", sub["latest_invoice"])
    _emit(state, "customer.subscription.updated", sub, previous)
    _bill(state, sub, invoice)


def _bill(state: State, sub: dict[str, Any], invoice: dict[str, Any]) -> None:
    """Finalize and collect a renewal invoice, honouring unpaid and pause_collection."""
    paused = sub.get("pause_collection")
    if sub["status"] == "unpaid" or (paused and paused["behavior"] == "keep_as_draft"):
        invoice["auto_advance"] = False
        return
    inv.finalize_invoice(state, invoice)
    if invoice["status"] != "open":
        return
    if paused:
        if paused["behavior"] == "void":
            inv.void_invoice(state, invoice)
        else:
            inv.mark_uncollectible(state, invoice, reason="subscription_paused")
        return
    if sub["collection_method"] == "send_invoice":
        state.emit("invoice.sent", inv.render(invoice))
        return
    invoice["next_payment_attempt"] = None
    inv.collect(state, invoice)


def _pause(state: State, sub: dict[str, Any], *, kind: str) -> None:
    now = state.now()
    _set(
        state,
        sub,
        {
            "status": "paused",
            "status_details": {
                "paused": {
                    "subscription": {"type": kind},
                    "transitioned_at": now,
                    "type": "subscription",
                }
            },
        },
    )
    _emit(state, "customer.subscription.paused", sub)


def due_actions(state: State, before: int, after: int) -> list[tuple[int, int, str, Any]]:
    actions: list[tuple[int, int, str, Any]] = []
    for sub in state.collection("subscriptions").by_id.values():
        status = sub["status"]
        if status in LIVE:
            _start, end = current_period(sub)
            if sub["cancel_at"] and sub["cancel_at"] < end and sub["cancel_at"] <= after:
                actions.append((sub["cancel_at"], 0, f"cancel:{sub['id']}", _cancel_at(state, sub)))
            elif end <= after:
                actions.append((end, 0, f"renew:{sub['id']}:{end}", _renew_action(state, sub, end)))
            if status == "trialing" and sub["trial_end"]:
                warn = sub["trial_end"] - TRIAL_WILL_END
                if before < warn <= after:
                    actions.append((warn, 0, f"trialwarn:{sub['id']}", _trial_warning(state, sub)))
        elif status == "incomplete":
            expiry = sub["created"] + INCOMPLETE_WINDOW
            if expiry <= after:
                actions.append((expiry, 0, f"expire:{sub['id']}", _expire(state, sub)))
    return actions


def _renew_action(state: State, sub: dict[str, Any], at: int) -> Any:
    return lambda: _renew(state, sub, at)


def _cancel_at(state: State, sub: dict[str, Any]) -> Any:
    def run() -> None:
        if sub["status"] in LIVE and sub["cancel_at"] and sub["cancel_at"] <= state.now():
            cancel_subscription(state, sub)

    return run


def _trial_warning(state: State, sub: dict[str, Any]) -> Any:
    def run() -> None:
        if sub["status"] == "trialing":
            _emit(state, "customer.subscription.trial_will_end", sub)

    return run


def _expire(state: State, sub: dict[str, Any]) -> Any:
    def run() -> None:
        if sub["status"] != "incomplete":
            return
        invoice = state.get("invoices", sub["latest_invoice"] or "")
        if invoice is not None and invoice["status"] == "open":
            inv.void_invoice(state, invoice)
        _set(state, sub, {"status": "incomplete_expired", "ended_at": state.now()})

    return run


inv.SCHEDULERS.insert(0, due_actions)


# -- routes --------------------------------------------------------------------------------------
def _require_sub(
    state: State, sub_id: str, param: str = "subscription_exposed_id"
) -> dict[str, Any]:
    return require(state, "subscriptions", sub_id, "subscription", param=param)


@api.route("post", "/v1/subscriptions")
def create(call: Call) -> dict[str, Any]:
    return create_subscription(call.state, call.params)


@api.route("get", "/v1/subscriptions/{subscription_exposed_id}")
def retrieve(call: Call) -> dict[str, Any]:
    return _require_sub(call.state, call.arg("subscription_exposed_id"))


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
                price = _recurring_price(state, spec, f"items[{i}][price]")
                item["price"], item["plan"] = copy.deepcopy(price), _plan(price)
            if "quantity" in spec:
                item["quantity"] = int(spec["quantity"])
            if "metadata" in spec:
                item["metadata"] = apply_metadata(item, spec["metadata"])
        else:
            price = _recurring_price(state, spec, f"items[{i}][price]")
            item = _build_item(
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
    _check_items([it["price"] for it in data])
    sub["items"]["total_count"] = len(data)


@api.route("post", "/v1/subscriptions/{subscription_exposed_id}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    sub = _require_sub(state, call.arg("subscription_exposed_id"))
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
        from .payment_methods import resolve

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
        changes["payment_settings"] = _payment_settings(
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
        _set_period(sub, current_period(sub)[0], trial_end)
    if previous:
        _emit(state, "customer.subscription.updated", sub, previous)
    if params.get("trial_end") == "now" and sub["status"] == "trialing":
        _renew(state, sub, now)
    return sub


@api.route("delete", "/v1/subscriptions/{subscription_exposed_id}")
def cancel(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    sub = _require_sub(state, call.arg("subscription_exposed_id"))
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
    sub = _require_sub(state, call.arg("subscription"), param="subscription")
    if sub["billing_mode"]["type"] != "flexible":
        raise invalid(
            "Pausing a subscription requires `billing_mode[type]=flexible`.", param="subscription"
        )
    if sub["status"] not in ("active", "trialing", "past_due"):
        raise invalid(
            f"You cannot pause a subscription with status `{sub['status']}`.", param="subscription"
        )
    _pause(state, sub, kind="pause_requested")
    return sub


@api.route("post", "/v1/subscriptions/{subscription}/resume")
def resume(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    sub = _require_sub(state, call.arg("subscription"), param="subscription")
    if sub["status"] != "paused":
        raise invalid("You can only resume subscriptions that are paused.", param="subscription")
    now = state.now()
    anchor = (params.get("billing_cycle_anchor") or {}).get("type", "now")
    on_success = params.get("payment_behavior") == "resume_on_payment_success"
    previous: dict[str, Any] = {"status": "paused", "status_details": sub["status_details"]}
    if anchor == "now":
        start, _end = current_period(sub)
        previous["billing_cycle_anchor"] = sub["billing_cycle_anchor"]
        sub["billing_cycle_anchor"] = now
        _set_period(sub, now, _period_end(sub, now))
        invoice = _invoice_for(
            state,
            sub,
            reason="subscription_update",
            lines_period=current_period(sub),
            invoice_period=(now, now),
        )
        sub["latest_invoice"] = invoice["id"]
        sub.update(status="active", status_details=None)
        if on_success:
            sub["status"] = "paused"
            creating = state.collection("_subscriptions_creating")
            creating.by_id[sub["id"]] = {"id": sub["id"]}
            try:
                _bill(state, sub, invoice)
            finally:
                creating.by_id.pop(sub["id"], None)
            if invoice["status"] != "paid":
                return sub
            sub.update(status="active", status_details=None)
        else:
            creating = state.collection("_subscriptions_creating")
            creating.by_id[sub["id"]] = {"id": sub["id"]}
            try:
                _bill(state, sub, invoice)
            finally:
                creating.by_id.pop(sub["id"], None)
            if invoice["status"] == "open" and invoice["attempted"]:
                sub["status"] = "past_due"
    else:
        sub.update(status="active", status_details=None)
    _emit(state, "customer.subscription.resumed", sub)
    _emit(state, "customer.subscription.updated", sub, previous)
    return sub


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
    sub = _require_sub(call.state, call.params["subscription"], param="subscription")
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


@api.route("post", "/v1/subscription_items/{item}")
def update_item(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    item = require(state, "subscription_items", call.arg("item"), "subscription item")
    sub = _require_sub(state, item["subscription"], param="item")
    spec = {
        "id": item["id"],
        **{k: params[k] for k in ("price", "price_data", "quantity", "metadata") if k in params},
    }
    before = copy.deepcopy(sub["items"])
    _apply_items(state, sub, [spec])
    if before != sub["items"]:
        _emit(state, "customer.subscription.updated", sub, {"items": before})
    return item
