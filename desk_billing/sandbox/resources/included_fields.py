"""Fields Stripe leaves out of an object unless `expand[]` asks for them, and the lists behind them.

stripe-node's types mark them optional (`sources?: ApiList<CustomerSource>`): a customer's sources,
subscriptions and tax ids, a price's tiers and currency options, a charge's refunds (embedded by
default until 2022-11-15). Each is computed when asked for, so it is never stale. Lists of things
the sandbox never makes (sources, tax ids, product features) are served empty, as Stripe serves
them for an account that has none: a mirror syncing the account asks for each.
"""

from __future__ import annotations

from typing import Any

from ..common import require
from ..listing import includable, list_object, paginate_items
from ..router import Call, api
from ..state import State

_PAGE = 10  # Stripe embeds the first ten of a list and says whether there are more


def _embedded(url: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return list_object(url, items[:_PAGE], len(items) > _PAGE)


@includable("customer", "sources")
def customer_sources(state: State, customer: dict[str, Any]) -> dict[str, Any]:
    # legacy sources (cards, bank accounts as sources): the sandbox saves PaymentMethods only
    return _embedded(f"/v1/customers/{customer['id']}/sources", [])


@includable("customer", "tax_ids")
def customer_tax_ids(state: State, customer: dict[str, Any]) -> dict[str, Any]:
    # the sandbox does not serve creating tax ids, so a customer has none
    return _embedded(f"/v1/customers/{customer['id']}/tax_ids", [])


@includable("customer", "subscriptions")
def customer_subscriptions(state: State, customer: dict[str, Any]) -> dict[str, Any]:
    """The customer's current subscriptions: those not canceled (nor expired while incomplete)."""
    current = [
        sub
        for sub in state.where("subscriptions", "customer", customer["id"])
        if sub["status"] not in ("canceled", "incomplete_expired")
    ]
    return _embedded(f"/v1/customers/{customer['id']}/subscriptions", current)


@includable("customer", "cash_balance")
def customer_cash_balance(state: State, customer: dict[str, Any]) -> None:
    return None  # no bank transfers, so no cash balance


@includable("customer", "invoice_credit_balance")
def customer_invoice_credit_balance(state: State, customer: dict[str, Any]) -> dict[str, int]:
    """The balance per currency; the sandbox keeps one, in the customer's currency."""
    currency, balance = customer.get("currency"), customer.get("balance") or 0
    return {currency: balance} if currency and balance else {}


@includable("customer", "tax")
def customer_tax(state: State, customer: dict[str, Any]) -> dict[str, Any]:
    return {
        "automatic_tax": "not_collecting",
        "ip_address": None,
        "location": None,
        "provider": "stripe",
    }


@includable("price", "tiers")
def price_tiers(state: State, price: dict[str, Any]) -> list[dict[str, Any]]:
    return []  # the sandbox prices per unit and keeps no tiers


@includable("price", "currency_options")
def price_currency_options(state: State, price: dict[str, Any]) -> dict[str, Any]:
    """The price's own currency is its one option (the sandbox takes no other currencies)."""
    return {
        price["currency"]: {
            "custom_unit_amount": price.get("custom_unit_amount"),
            "tax_behavior": price.get("tax_behavior"),
            "unit_amount": price.get("unit_amount"),
            "unit_amount_decimal": price.get("unit_amount_decimal"),
        }
    }


@includable("charge", "refunds")
def charge_refunds(state: State, charge: dict[str, Any]) -> dict[str, Any]:
    refunds = state.where("refunds", "charge", charge["id"])
    return _embedded(f"/v1/charges/{charge['id']}/refunds", refunds)


@api.route("get", "/v1/customers/{customer}/sources")
def list_sources(call: Call) -> dict[str, Any]:
    customer = require(call.state, "customers", call.arg("customer"), "customer")
    return paginate_items(
        call, [], url=f"/v1/customers/{customer['id']}/sources", kind="source"
    )  # none, whatever `object` asks for: see customer_sources


@api.route("get", "/v1/customers/{customer}/tax_ids")
def list_tax_ids(call: Call) -> dict[str, Any]:
    customer = require(call.state, "customers", call.arg("customer"), "customer")
    return paginate_items(
        call, [], url=f"/v1/customers/{customer['id']}/tax_ids", kind="tax id"
    )  # none: see customer_tax_ids


@api.route("get", "/v1/products/{product}/features")
def list_product_features(call: Call) -> dict[str, Any]:
    product = require(call.state, "products", call.arg("product"), "product")
    return paginate_items(
        call, [], url=f"/v1/products/{product['id']}/features", kind="product feature"
    )  # the sandbox does not serve attaching entitlement features
