"""The catalogue: create and edit products, add prices (amount typed in the currency's own
decimals, one-time or recurring), archive and restore either, set a product's default price.

Stripe never deletes a price that was used and never changes its amount: a new amount is a new
price, and an old one is archived (`active=false`), which stops it being sold while every
subscription already on it keeps running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
from desk_billing.core.operations.validation import positive_amount, require_id

INTERVALS = ("day", "week", "month", "year")
# Stripe's ceiling for a billing period: three years, in each interval's own count.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
MAX_LOOKUP_KEY = 200


@operation("product.create")
def _create_product(
    v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]
) -> Any:
    return v1.products.create(params, options)


@operation("product.update")
def _update_product(
    v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]
) -> Any:
    return v1.products.update(target, params, options)


@operation("price.create")
def _create_price(
    v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]
) -> Any:
    return v1.prices.create(params, options)


@operation("price.update")
def _update_price(
    v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]
) -> Any:
    return v1.prices.update(target, params, options)


def check_metadata(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Stripe's limits: 50 keys, keys up to 40 characters, values up to 500; blank keys dropped."""
    checked: dict[str, str] = {}
    for key, value in metadata.items():
        key = str(key).strip()
        if not key:
            continue
        if len(key) > 40 or len(str(value)) > 500:
            raise ValidationError(
                "Metadata keys have at most 40 characters and values at most 500."
            )
        checked[key] = str(value)
    if len(checked) > 50:
        raise ValidationError("At most 50 metadata keys.")
    return checked


@dataclass(frozen=True)
class ProductFields:
    """What the product form edits."""

    name: str
    description: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


def check_product(fields: ProductFields) -> ProductFields:
    name = fields.name.strip()
    if not name:
        raise ValidationError("Give the product a name.")
    return ProductFields(name, fields.description.strip(), check_metadata(fields.metadata))


@dataclass(frozen=True)
class PriceFields:
    """What the price form edits; `amount` as typed ("12.50", "1200" JPY, "1.500" KWD)."""

    product: str
    amount: str
    currency: str
    interval: str | None = None  # None: one-time
    interval_count: int = 1
    nickname: str = ""
    lookup_key: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PricePlan:
    """A validated new price (amount in minor units)."""

    product: str
    unit_amount: int
    currency: str
    interval: str | None
    interval_count: int
    nickname: str
    lookup_key: str
    metadata: Mapping[str, str]

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "product": self.product,
            "currency": self.currency,
            "unit_amount": self.unit_amount,
        }
        if self.interval:
            params["recurring"] = {"interval": self.interval, "interval_count": self.interval_count}
        if self.nickname:
            params["nickname"] = self.nickname
        if self.lookup_key:
            params["lookup_key"] = self.lookup_key
        if self.metadata:
            params["metadata"] = dict(self.metadata)
        return params


def check_price(fields: PriceFields) -> PricePlan:
    """Every check a new price must pass, with one sentence for the first that fails."""
    product = require_id(fields.product, ("prod_",), "product")
    currency = (fields.currency or "").strip().lower()
    amount = positive_amount(fields.amount, currency, "price")
    interval = (fields.interval or "").strip().lower() or None
    count = int(fields.interval_count or 1)
    if interval is not None:
        if interval not in INTERVALS:
            raise ValidationError(f"'{interval}' is not an interval; use day, week, month or year.")
        if not 1 <= count <= MAX_INTERVAL_COUNT[interval]:
            raise ValidationError(
                f"Bill every 1 to {MAX_INTERVAL_COUNT[interval]} {interval}s (at most three years)."
            )
    elif count != 1:
        raise ValidationError("An interval count needs an interval (a one-time price has none).")
    lookup_key = fields.lookup_key.strip()
    if len(lookup_key) > MAX_LOOKUP_KEY or any(c.isspace() for c in lookup_key):
        raise ValidationError("A lookup key has no spaces and at most 200 characters.")
    return PricePlan(
        product,
        amount,
        currency,
        interval,
        count,
        fields.nickname.strip(),
        lookup_key,
        check_metadata(fields.metadata),
    )


def _retrieve(journal: Journal, kind: str, object_id: str) -> dict[str, Any]:
    service = getattr(journal.gateway.client.v1, kind)
    with journal.gateway.errors():
        return api_json(service.retrieve(object_id))


@reports_changes
def create_product(journal: Journal, fields: ProductFields) -> OperationResult:
    fields = check_product(fields)
    params: dict[str, Any] = {"name": fields.name}
    if fields.description:
        params["description"] = fields.description
    if fields.metadata:
        params["metadata"] = dict(fields.metadata)
    return journal.run(OperationRequest("product.create", params, tag=True))


@reports_changes
def update_product(journal: Journal, product_id: str, fields: ProductFields) -> OperationResult:
    """Name, description and metadata as the form shows them (a removed key is removed)."""
    product_id = require_id(product_id, ("prod_",), "product")
    fields = check_product(fields)
    current = _retrieve(journal, "products", product_id)
    metadata: dict[str, str] = dict(fields.metadata)
    for key in current.get("metadata") or {}:
        metadata.setdefault(key, "")  # Stripe removes a key set to ""
    params: dict[str, Any] = {"name": fields.name, "description": fields.description}
    if metadata:
        params["metadata"] = metadata
    return journal.run(OperationRequest("product.update", params, product_id))


@reports_changes
def set_product_active(journal: Journal, product_id: str, active: bool) -> OperationResult:
    """Archive (False) or restore (True) a product; its prices and subscriptions are untouched."""
    product_id = require_id(product_id, ("prod_",), "product")
    return journal.run(OperationRequest("product.update", {"active": bool(active)}, product_id))


@reports_changes
def create_price(journal: Journal, fields: PriceFields | PricePlan) -> OperationResult:
    plan = fields if isinstance(fields, PricePlan) else check_price(fields)
    product = _retrieve(journal, "products", plan.product)
    if not product.get("active", True):
        raise ValidationError(
            f"Product {plan.product} is archived; restore it before adding prices."
        )
    return journal.run(
        OperationRequest("price.create", plan.params(), currency=plan.currency, tag=True)
    )


@reports_changes
def update_price(
    journal: Journal, price_id: str, *, nickname: str | None = None, lookup_key: str | None = None
) -> OperationResult:
    """Nickname and lookup key (an empty one clears it); the amount of a price never changes."""
    price_id = require_id(price_id, ("price_",), "price")
    params: dict[str, Any] = {}
    if nickname is not None:
        params["nickname"] = nickname.strip()
    if lookup_key is not None:
        key = lookup_key.strip()
        if len(key) > MAX_LOOKUP_KEY or any(c.isspace() for c in key):
            raise ValidationError("A lookup key has no spaces and at most 200 characters.")
        params["lookup_key"] = key
    if not params:
        raise ValidationError("Nothing to change.")
    return journal.run(OperationRequest("price.update", params, price_id))


@reports_changes
def set_price_active(journal: Journal, price_id: str, active: bool) -> OperationResult:
    """Archive (False) or restore (True) a price. Archived, it can no longer be chosen for a new
    subscription or invoice; subscriptions already on it go on being billed at it."""
    price_id = require_id(price_id, ("price_",), "price")
    return journal.run(OperationRequest("price.update", {"active": bool(active)}, price_id))


@reports_changes
def set_default_price(journal: Journal, product_id: str, price_id: str) -> OperationResult:
    """The price a product is shown and sold at first; it must be one of its own, active."""
    product_id = require_id(product_id, ("prod_",), "product")
    price_id = require_id(price_id, ("price_",), "price")
    price = _retrieve(journal, "prices", price_id)
    if price.get("product") != product_id:
        raise ValidationError(f"Price {price_id} belongs to another product.")
    if not price.get("active"):
        raise ValidationError(f"Price {price_id} is archived; restore it first.")
    return journal.run(OperationRequest("product.update", {"default_price": price_id}, product_id))


def subscriptions_on_price(gateway: Any, price_id: str) -> int:
    """How many subscriptions, not ended, bill at a price now (asked of Stripe)."""
    with gateway.errors():
        listing = gateway.client.v1.subscriptions.list({"price": price_id, "limit": 100})
        return sum(1 for _ in listing.auto_paging_iter())
