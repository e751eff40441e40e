"""Payment methods: create (from test ids, card numbers, IBANs), attach, detach, update, list.

`pm_card_*` test ids make a fresh `pm_…` object each time they are used, as on Stripe; the test
behaviours themselves are in `payment_method_catalog`.
"""

from __future__ import annotations

import datetime
from typing import Any

from ..common import require
from ..errors import ApiError, card_error, invalid
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from .payment_method_catalog import (
    DISPLAY_BRAND,
    IBANS,
    SEPA_DELAY,
    TEST_PAYMENT_METHODS,
    TestMethod,
    behaviour,
    method_for_card,
)


def _billing_details(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    address = value.get("address") or {}
    return {
        "address": {
            k: address.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "email": value.get("email") or None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
        "tax_id": value.get("tax_id") or None,
    }


def build(state: State, method: TestMethod, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new payment method object that behaves like `method` (stored and announced by the caller)."""
    params = params or {}
    year = datetime.datetime.fromtimestamp(state.now(), datetime.UTC).year
    billing = params.get("billing_details")
    obj: dict[str, Any] = {
        "id": state.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": params.get("allow_redisplay", "unspecified"),
        "billing_details": _billing_details(billing),
        "created": state.now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        "type": method.type,
    }
    if method.type == "card":
        card = params.get("card") or {}
        obj["card"] = {
            "brand": method.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": method.country,
            "display_brand": DISPLAY_BRAND.get(method.brand, method.brand),
            "exp_month": int(card.get("exp_month") or 12),
            "exp_year": int(card.get("exp_year") or year + 3),
            "fingerprint": method.fingerprint,
            "funding": method.funding,
            "generated_from": None,
            "last4": method.last4,
            "networks": {"available": [method.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        }
    else:
        if not billing:
            obj["billing_details"] = _billing_details(
                {"name": "Jenny Rosen", "email": "jenny@example.com"}
            )
        obj["sepa_debit"] = {
            "bank_code": method.bank_code,
            "branch_code": "",
            "country": method.country,
            "fingerprint": method.fingerprint,
            "generated_from": {"charge": None, "setup_attempt": None},
            "last4": method.last4,
        }
    return obj


def create_from_test_id(state: State, test_id: str) -> dict[str, Any]:
    """A fresh `pm_…` object from one of Stripe's test ids, as Stripe makes one per use."""
    pm = state.insert("payment_methods", build(state, TEST_PAYMENT_METHODS[test_id]))
    return pm


def resolve(state: State, pm_id: str, *, param: str = "payment_method") -> dict[str, Any]:
    """An existing payment method, or a fresh one made from a test id; Stripe's 404 otherwise."""
    if pm_id in TEST_PAYMENT_METHODS:
        return create_from_test_id(state, pm_id)
    pm = state.get("payment_methods", pm_id)
    if pm is None:
        raise ApiError(
            404,
            f"No such PaymentMethod: '{pm_id}'",
            code="resource_missing",
            param=param,
        )
    return pm


def attach_payment_method(state: State, pm_id: str, customer_id: str) -> dict[str, Any]:
    """Attach a payment method (or a fresh one made from a test id) to a customer, as Stripe does."""
    customer = require(state, "customers", customer_id, "customer", param="customer")
    test = TEST_PAYMENT_METHODS.get(pm_id)
    if test is not None and not test.attachable and test.decline:
        code, decline_code, message = test.decline  # declined before any payment method is kept
        raise card_error(message, code=code, decline_code=decline_code)
    pm = resolve(state, pm_id)
    if pm["customer"] == customer["id"]:
        return pm
    if pm["customer"] is not None:
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    method = behaviour(pm)
    if not method.attachable and method.decline:
        code, decline_code, message = method.decline
        raise card_error(message, code=code, decline_code=decline_code)
    previous = state.update(pm, {"customer": customer["id"]})
    state.emit("payment_method.attached", pm, previous)
    return pm


def default_payment_method(state: State, customer_id: str) -> str | None:
    """The customer's `invoice_settings.default_payment_method`, or None."""
    customer = state.get("customers", customer_id)
    if customer is None:
        return None
    return (customer.get("invoice_settings") or {}).get("default_payment_method") or None


def detach_payment_method(state: State, pm: dict[str, Any]) -> dict[str, Any]:
    if pm["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            param="payment_method",
        )
    customer = state.get("customers", pm["customer"])
    previous = state.update(pm, {"customer": None})
    state.emit("payment_method.detached", pm, previous)
    if customer and default_payment_method(state, customer["id"]) == pm["id"]:
        settings = {**customer["invoice_settings"], "default_payment_method": None}
        changed = state.update(customer, {"invoice_settings": settings})
        state.emit("customer.updated", customer, changed)
    return pm


@api.route("post", "/v1/payment_methods")
def create(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    kind = params.get("type")
    if not kind:
        raise invalid("Missing required param: type.", param="type", code="parameter_missing")
    if kind == "card":
        method = method_for_card(params.get("card") or {})
    elif kind == "sepa_debit":
        iban = str((params.get("sepa_debit") or {}).get("iban") or "").replace(" ", "").upper()
        if not iban:
            raise invalid(
                "Missing required param: sepa_debit[iban].",
                param="sepa_debit[iban]",
                code="parameter_missing",
            )
        method = (
            TEST_PAYMENT_METHODS[IBANS[iban]]
            if iban in IBANS
            else TestMethod(
                name=f"iban_{iban}",
                type="sepa_debit",
                last4=iban[-4:],
                country=iban[:2],
                settle_after=SEPA_DELAY,
            )
        )
    else:
        raise invalid(
            f"The payment method type `{kind}` is not available in this sandbox; use card or sepa_debit.",
            param="type",
        )
    pm = state.insert("payment_methods", build(state, method, params))
    if params.get("customer"):
        attach_payment_method(state, pm["id"], params["customer"])
    return pm


@api.route("get", "/v1/payment_methods/{payment_method}")
def retrieve(call: Call) -> dict[str, Any]:
    return resolve(call.state, call.arg("payment_method"))


@api.route("post", "/v1/payment_methods/{payment_method}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    pm = resolve(state, call.arg("payment_method"))
    changes: dict[str, Any] = {}
    if "metadata" in params:
        changes["metadata"] = apply_metadata(pm, params["metadata"])
    if "allow_redisplay" in params:
        changes["allow_redisplay"] = params["allow_redisplay"]
    if "billing_details" in params:
        merged = {
            **pm["billing_details"],
            **{k: v or None for k, v in params["billing_details"].items()},
        }
        if "address" in params["billing_details"]:
            merged["address"] = _billing_details(params["billing_details"])["address"]
        changes["billing_details"] = merged
    if "card" in params:
        if pm["type"] != "card":
            raise invalid(
                "You cannot update card details on a payment method that is not a card.",
                param="card",
            )
        card = dict(pm["card"])
        for key in ("exp_month", "exp_year"):
            if key in params["card"]:
                card[key] = int(params["card"][key])
        changes["card"] = card
    previous = state.update(pm, changes)
    if previous:
        state.emit("payment_method.updated", pm, previous)
    return pm


@api.route("post", "/v1/payment_methods/{payment_method}/attach")
def attach(call: Call) -> dict[str, Any]:
    customer = call.params.get("customer")
    if not customer:
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    return attach_payment_method(call.state, call.arg("payment_method"), customer)


@api.route("post", "/v1/payment_methods/{payment_method}/detach")
def detach(call: Call) -> dict[str, Any]:
    return detach_payment_method(call.state, resolve(call.state, call.arg("payment_method")))


def _list(call: Call, customer_id: str | None, url: str) -> dict[str, Any]:
    kind = call.params.get("type")

    def keep(pm: dict[str, Any]) -> bool:
        return (customer_id is None or pm["customer"] == customer_id) and (
            kind is None or pm["type"] == kind
        )

    return paginate(
        call, call.state.collection("payment_methods"), url=url, kind="payment_method", keep=keep
    )


@api.route("get", "/v1/payment_methods")
def list_payment_methods(call: Call) -> dict[str, Any]:
    customer = call.params.get("customer")
    if customer:
        require(call.state, "customers", customer, "customer", param="customer")
    return _list(call, customer, "/v1/payment_methods")


@api.route("get", "/v1/customers/{customer}/payment_methods")
def list_customer_payment_methods(call: Call) -> dict[str, Any]:
    customer = require(call.state, "customers", call.arg("customer"), "customer")
    return _list(call, customer["id"], f"/v1/customers/{customer['id']}/payment_methods")


@api.route("get", "/v1/customers/{customer}/payment_methods/{payment_method}")
def retrieve_customer_payment_method(call: Call) -> dict[str, Any]:
    customer = require(call.state, "customers", call.arg("customer"), "customer")
    pm = call.state.get("payment_methods", call.arg("payment_method"))
    if pm is None or pm["customer"] != customer["id"]:
        raise ApiError(
            404,
            f"No such PaymentMethod: '{call.arg('payment_method')}'",
            code="resource_missing",
            param="id",
        )
    return pm
