"""Subscriptions: create (prices, trial, collection, accepted payment method types incl. SEPA),
change price or quantity, cancel now or at period end (and undo), pause collection and resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desk_billing.core.errors import ValidationError
from desk_billing.core.journal import (
    Journal,
    OperationRequest,
    OperationResult,
    api_json,
    operation,
    reports_changes,
)
from desk_billing.core.operations.validation import require_id
from desk_billing.core.statuses import SUBSCRIPTION_ENDED

PAYMENT_METHOD_TYPES = ("card", "sepa_debit", "us_bank_account", "bacs_debit", "link")
PAUSE_BEHAVIORS = ("void", "keep_as_draft", "mark_uncollectible")
ENDED = SUBSCRIPTION_ENDED


@operation("subscription.create")
def _create(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.subscriptions.create(params, options)


@operation("subscription.update")
def _update(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.subscriptions.update(target, params, options)


@operation("subscription.cancel")
def _cancel(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.subscriptions.cancel(target, params, options)


@dataclass(frozen=True)
class SubscriptionPlan:
    """A validated new subscription."""

    customer: str
    items: tuple[tuple[str, int], ...]  # (price id, quantity)
    trial_days: int = 0
    collection_method: str = "charge_automatically"
    days_until_due: int | None = None
    payment_method_types: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "customer": self.customer,
            "items": [{"price": p, "quantity": q} for p, q in self.items],
            "collection_method": self.collection_method,
        }
        if self.trial_days:
            params["trial_period_days"] = self.trial_days
        if self.collection_method == "send_invoice":
            params["days_until_due"] = self.days_until_due
        if self.payment_method_types:
            params["payment_settings"] = {"payment_method_types": list(self.payment_method_types)}
        return params


def check_subscription(
    customer: str,
    items: Sequence[tuple[str, int]],
    trial_days: int = 0,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    payment_method_types: Sequence[str] = (),
) -> SubscriptionPlan:
    customer = require_id(customer, ("cus_",), "customer")
    if not items:
        raise ValidationError("Choose at least one price.")
    checked = []
    for price, quantity in items:
        price = require_id(price, ("price_",), "price")
        if quantity < 1:
            raise ValidationError(f"The quantity of {price} must be at least 1.")
        checked.append((price, int(quantity)))
    if len({p for p, _ in checked}) != len(checked):
        raise ValidationError("Each price can appear only once; raise its quantity instead.")
    if not 0 <= trial_days <= 730:
        raise ValidationError("Trial days must be between 0 and 730.")
    if collection_method not in ("charge_automatically", "send_invoice"):
        raise ValidationError("Collection is either 'charge_automatically' or 'send_invoice'.")
    if collection_method == "send_invoice":
        if days_until_due is None or not 0 <= days_until_due <= 365:
            raise ValidationError(
                "Days until due must be between 0 and 365 when invoices are sent."
            )
    else:
        days_until_due = None
    unknown = [t for t in payment_method_types if t not in PAYMENT_METHOD_TYPES]
    if unknown:
        raise ValidationError(f"'{unknown[0]}' is not a payment method type this app offers.")
    return SubscriptionPlan(
        customer,
        tuple(checked),
        trial_days,
        collection_method,
        days_until_due,
        tuple(payment_method_types),
    )


@reports_changes
def create_subscription(journal: Journal, plan: SubscriptionPlan) -> OperationResult:
    request = OperationRequest("subscription.create", plan.params(), plan.customer, tag=True)
    return journal.run(request)


def _current(journal: Journal, subscription_id: str) -> dict[str, Any]:
    subscription_id = require_id(subscription_id, ("sub_",), "subscription")
    with journal.gateway.errors():
        sub = api_json(journal.gateway.client.v1.subscriptions.retrieve(subscription_id))
    if sub["status"] in ENDED:
        raise ValidationError(
            f"Subscription {subscription_id} has ended ({sub['status']}); it cannot be changed."
        )
    return sub


def _update_with(journal: Journal, sub: dict[str, Any], params: dict[str, Any]) -> OperationResult:
    return journal.run(OperationRequest("subscription.update", params, sub["id"]))


@reports_changes
def change_item(
    journal: Journal,
    subscription_id: str,
    *,
    price: str | None = None,
    quantity: int | None = None,
    item: str | None = None,
) -> OperationResult:
    """Switch an item to another price and/or quantity (the first item unless one is named)."""
    sub = _current(journal, subscription_id)
    items = sub["items"]["data"]
    chosen = (
        next((i for i in items if i["id"] == item), None) if item else (items[0] if items else None)
    )
    if chosen is None:
        raise ValidationError(f"Subscription {sub['id']} has no item {item}.")
    change: dict[str, Any] = {"id": chosen["id"]}
    if price is not None and price != chosen["price"]["id"]:
        change["price"] = require_id(price, ("price_",), "price")
    if quantity is not None:
        if quantity < 1:
            raise ValidationError("The quantity must be at least 1.")
        if quantity != chosen.get("quantity"):
            change["quantity"] = int(quantity)
    if len(change) == 1:
        raise ValidationError("Nothing to change: that is already the price and quantity.")
    return _update_with(journal, sub, {"items": [change]})


@reports_changes
def cancel(journal: Journal, subscription_id: str, *, at_period_end: bool) -> OperationResult:
    """Cancel now (final) or at the end of the paid period (can be undone until then)."""
    sub = _current(journal, subscription_id)
    if at_period_end:
        if sub["cancel_at_period_end"]:
            raise ValidationError(
                f"Subscription {sub['id']} already ends at the end of its period."
            )
        return _update_with(journal, sub, {"cancel_at_period_end": True})
    return journal.run(OperationRequest("subscription.cancel", {}, sub["id"]))


@reports_changes
def undo_cancel(journal: Journal, subscription_id: str) -> OperationResult:
    sub = _current(journal, subscription_id)
    if not sub["cancel_at_period_end"] and not sub.get("cancel_at"):
        raise ValidationError(f"Subscription {sub['id']} is not set to cancel.")
    return _update_with(journal, sub, {"cancel_at_period_end": False})


@reports_changes
def pause_collection(
    journal: Journal, subscription_id: str, behavior: str = "void"
) -> OperationResult:
    """Stop collecting payment: invoices are voided, kept as drafts or marked uncollectible."""
    if behavior not in PAUSE_BEHAVIORS:
        raise ValidationError(
            f"'{behavior}' is not a pause behaviour; use one of {', '.join(PAUSE_BEHAVIORS)}."
        )
    sub = _current(journal, subscription_id)
    if sub.get("pause_collection"):
        raise ValidationError(f"Collection on {sub['id']} is already paused.")
    return _update_with(journal, sub, {"pause_collection": {"behavior": behavior}})


@reports_changes
def resume_collection(journal: Journal, subscription_id: str) -> OperationResult:
    sub = _current(journal, subscription_id)
    if not sub.get("pause_collection"):
        raise ValidationError(f"Collection on {sub['id']} is not paused.")
    return _update_with(journal, sub, {"pause_collection": ""})
