"""Customers: create, retrieve, update, delete (a `deleted: true` stub), list with email/created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..common import deleted, require
from ..errors import ApiError, invalid
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from .payment_methods import attach_payment_method

ON_DELETE: list[Callable[[State, dict[str, Any]], None]] = []
"""Called before a customer is deleted (billing cancels its subscriptions, as Stripe does)."""

_SIMPLE = ("description", "email", "name", "phone", "preferred_locales", "balance", "tax_exempt")


def _address(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    keys = ("city", "country", "line1", "line2", "postal_code", "state")
    return {k: value.get(k) for k in keys}


def build(state: State, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = state.new_id("cus")
    settings = params.get("invoice_settings") or {}
    return {
        "id": customer_id,
        "object": "customer",
        "address": _address(params.get("address")),
        "balance": params.get("balance", 0),
        "created": params.get("_created") or state.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "invoice_prefix": params.get("invoice_prefix")
        or customer_id[-8:].upper().replace("_", "X"),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": settings.get("default_payment_method") or None,
            "footer": settings.get("footer"),
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        "name": params.get("name"),
        "next_invoice_sequence": 1,
        "phone": params.get("phone"),
        "preferred_locales": params.get("preferred_locales") or [],
        "shipping": params.get("shipping") or None,
        "tax_exempt": params.get("tax_exempt", "none"),
        "test_clock": None,
    }


def create_customer(state: State, params: dict[str, Any]) -> dict[str, Any]:
    """Create, store and announce a customer (also used by seeding)."""
    customer = state.insert("customers", build(state, params))
    pm = params.get("payment_method")
    if pm:
        try:
            attach_payment_method(state, pm, customer["id"])
        except ApiError:
            state.delete(
                "customers", customer["id"]
            )  # Stripe creates nothing when the card is refused
            raise
    state.emit("customer.created", customer)
    return customer


def adopt_currency(state: State, customer_id: str, currency: str) -> None:
    """The first invoice item, invoice or subscription of a customer sets its `currency`."""
    customer = state.get("customers", customer_id)
    if customer is not None and customer["currency"] is None:
        previous = state.update(customer, {"currency": currency.lower()})
        state.emit("customer.updated", customer, previous)


def set_delinquent(state: State, customer_id: str, delinquent: bool) -> None:
    """Stripe's `delinquent`: an automatic payment failure or a passed due date sets it; paying
    an invoice or marking it uncollectible clears it (the latest change on any invoice wins)."""
    customer = state.get("customers", customer_id)
    if customer is not None and customer["delinquent"] != delinquent:
        previous = state.update(customer, {"delinquent": delinquent})
        state.emit("customer.updated", customer, previous)


@api.route("post", "/v1/customers", permission="customer")
def create(call: Call) -> dict[str, Any]:
    return create_customer(call.state, call.params)


@api.route("get", "/v1/customers/{customer}")
def retrieve(call: Call) -> dict[str, Any]:
    customer_id = call.arg("customer")
    customer = call.state.get("customers", customer_id)
    if customer is None:
        gone = call.state.collection("deleted").by_id.get(customer_id)
        if gone:
            return gone
        require(call.state, "customers", customer_id, "customer")
    return customer


@api.route("post", "/v1/customers/{customer}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    customer = require(state, "customers", call.arg("customer"), "customer")
    changes: dict[str, Any] = {k: params[k] or None for k in _SIMPLE if k in params}
    if "balance" in params:
        changes["balance"] = params["balance"] or 0
    if "preferred_locales" in params:
        changes["preferred_locales"] = params["preferred_locales"] or []
    if "address" in params:
        changes["address"] = _address(params["address"])
    if "shipping" in params:
        changes["shipping"] = params["shipping"] or None
    if "metadata" in params:
        changes["metadata"] = apply_metadata(customer, params["metadata"])
    if "invoice_settings" in params:
        settings = dict(customer["invoice_settings"])
        for key in ("default_payment_method", "footer"):
            if key in params["invoice_settings"]:
                settings[key] = params["invoice_settings"][key] or None
        pm = settings.get("default_payment_method")
        if pm:
            method = state.get("payment_methods", pm)
            if method is None or method.get("customer") != customer["id"]:
                raise invalid(
                    f"No such PaymentMethod: '{pm}'; It's possible this PaymentMethod exists on one of "
                    "your connected accounts, in which case you should retry this request on that "
                    "connected account.",
                    param="invoice_settings[default_payment_method]",
                    code="resource_missing",
                )
        changes["invoice_settings"] = settings
    previous = state.update(customer, changes)
    if previous:
        state.emit("customer.updated", customer, previous)
    return customer


@api.route("delete", "/v1/customers/{customer}")
def delete(call: Call) -> dict[str, Any]:
    state = call.state
    customer = require(state, "customers", call.arg("customer"), "customer")
    for hook in ON_DELETE:
        hook(state, customer)
    state.delete("customers", customer["id"])
    stub = deleted(customer["id"], "customer")
    state.insert("deleted", dict(stub))
    state.emit("customer.deleted", customer)
    return stub


@api.route("get", "/v1/customers")
def list_customers(call: Call) -> dict[str, Any]:
    email = call.params.get("email")
    keep = (lambda c: c.get("email") == email) if email else None
    return paginate(
        call, call.state.collection("customers"), url="/v1/customers", kind="customer", keep=keep
    )
