"""Payment intents and their seven statuses, plus the functions billing calls to take payments.

The state machine follows Stripe's "How PaymentIntents work" and the API reference:
requires_payment_method → requires_confirmation → (requires_action) → processing (SEPA) →
requires_capture (manual capture) → succeeded, or canceled from the cancelable statuses.
A declined confirmation leaves the intent in requires_payment_method with `last_payment_error`
and a failed charge (`payment_attempts`); through /v1 it answers Stripe's 402 card_error with the
intent embedded.
"""

from __future__ import annotations

import copy
from typing import Any

from ..common import minor_units_label, require
from ..errors import ApiError, card_error, invalid, state_error
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from . import charges as charges_mod
from .payment_attempts import attempt, settle_hooks
from .payment_methods import attach_payment_method, resolve

CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
)


CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


UPDATABLE = CONFIRMABLE


MINIMUM = {
    "usd": 50, "eur": 50, "gbp": 30, "aud": 50, "cad": 50, "chf": 50, "nzd": 50, "sgd": 50, "inr": 50,
    "brl": 50, "aed": 200, "bgn": 100, "czk": 1500, "dkk": 250, "hkd": 400, "huf": 17500, "jpy": 50,
    "mxn": 1000, "myr": 200, "nok": 300, "pln": 200, "ron": 200, "sek": 300, "thb": 1000,
    "kwd": 200, "bhd": 200, "jod": 400, "omr": 200, "tnd": 1500,
}  # fmt: skip


MAXIMUM = 99_999_999


RETURN_URL_NEEDED = (
    "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because "
    "some of these payment methods might redirect your customer off of your page, you must provide a "
    "`return_url`. If you don't want to accept redirect-based payment methods, set "
    "`automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` "
    "to `never` when creating Setup Intents and Payment Intents."
)


def _check_amount(amount: int, currency: str) -> None:
    minimum = MINIMUM.get(currency, 50)
    if amount < minimum:
        raise invalid(
            f"Amount must be at least {minor_units_label(minimum, currency)} {currency}",
            param="amount",
            code="amount_too_small",
        )
    if amount > MAXIMUM:
        raise invalid(
            f"Amount must be no more than {minor_units_label(MAXIMUM, currency)} {currency}",
            param="amount",
            code="amount_too_large",
        )


def _payment_method_types(params: dict[str, Any], currency: str) -> list[str]:
    if params.get("allowed_payment_method_types"):
        return list(params["allowed_payment_method_types"])
    return ["card", "sepa_debit"] if currency == "eur" else ["card"]


def build_intent(
    state: State, params: dict[str, Any], *, automatic: bool | None = None
) -> dict[str, Any]:
    """A new intent; `automatic` (payment methods from the Dashboard) unless types are given."""
    currency = params["currency"].lower()
    pi_id = state.new_id("pi")
    if automatic is None:
        automatic = not params.get("allowed_payment_method_types")
    auto_params = params.get("automatic_payment_methods") or {}
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "allowed_payment_method_types": list(params["allowed_payment_method_types"])
        if params.get("allowed_payment_method_types")
        else None,
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": {
            "allow_redirects": auto_params.get("allow_redirects", "always"),
            "enabled": True,
        }
        if automatic
        else None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic_async"),
        "client_secret": f"{pi_id}_secret_{state.new_id('s')[2:]}",
        "confirmation_method": params.get("confirmation_method", "automatic"),
        "created": state.now(),
        "currency": currency,
        "customer": params.get("customer"),
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": params.get("excluded_payment_method_types"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": apply_metadata({}, params.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": {"id": "pmc_sandboxdefault", "parent": None}
        if automatic
        else None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": _payment_method_types(params, currency),
        "payment_record": None,
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": params.get("shipping") or None,
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": params.get("transfer_group"),
    }


def set_payment_method(state: State, pi: dict[str, Any], pm_id: str) -> dict[str, Any]:
    """Put a payment method (or a fresh one from a test id) on the intent, if its type is allowed."""
    pm = resolve(state, pm_id)
    if pm["type"] not in pi["payment_method_types"]:
        raise invalid(
            f"The provided PaymentMethod of type `{pm['type']}` is not allowed for this PaymentIntent. "
            f"Allowed types: {', '.join(pi['payment_method_types'])}.",
            param="payment_method",
            code="payment_intent_incompatible_payment_method",
        )
    pi["payment_method"] = pm["id"]
    return pm


def create_intent(
    state: State,
    params: dict[str, Any],
    *,
    check_amount: bool = True,
    automatic: bool | None = None,
) -> dict[str, Any]:
    currency = params["currency"].lower()
    if check_amount:
        _check_amount(params["amount"], currency)
    if params.get("customer"):
        require(state, "customers", params["customer"], "customer", param="customer")
    pi = build_intent(state, params, automatic=automatic)
    if params.get("payment_method"):
        set_payment_method(state, pi, params["payment_method"])
        pi["status"] = "requires_confirmation"
    state.insert("payment_intents", pi)
    state.emit("payment_intent.created", pi)
    return pi


def _require_confirmable(pi: dict[str, Any]) -> None:
    if pi["status"] not in CONFIRMABLE:
        raise state_error(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be confirmed: "
            f"{', '.join(CONFIRMABLE)}.",
            code="payment_intent_unexpected_state",
        )


def _check_return_url(pi: dict[str, Any], params: dict[str, Any]) -> None:
    """A confirmation through the API may need to send the customer away (and back)."""
    automatic = pi.get("automatic_payment_methods") or {}
    redirects = automatic.get("enabled") and automatic.get("allow_redirects") != "never"
    if redirects and not params.get("return_url"):
        raise invalid(RETURN_URL_NEEDED, param="return_url")


def confirm_intent(state: State, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Confirm: check the status and payment method, then attempt the payment (never raises a decline)."""
    _require_confirmable(pi)
    if params.get("payment_method"):
        set_payment_method(state, pi, params["payment_method"])
    if not pi["payment_method"]:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method. You can either "
            "update the PaymentIntent with a payment method and then confirm it again, or confirm it again "
            "directly with a payment method.",
            code="payment_intent_unexpected_state",
        )
    if params.get("capture_method"):
        pi["capture_method"] = params["capture_method"]
    if params.get("receipt_email"):
        pi["receipt_email"] = params["receipt_email"]
    attempt(
        state,
        pi,
        off_session=bool(params.get("off_session")),
        error_on_requires_action=bool(params.get("error_on_requires_action")),
        return_url=params.get("return_url"),
    )
    if (
        params.get("setup_future_usage")
        and pi["customer"]
        and pi["status"] not in ("requires_payment_method",)
    ):
        attach_payment_method(state, pi["payment_method"], pi["customer"])
    return pi


def _raise_if_declined(pi: dict[str, Any]) -> None:
    """The /v1 answer to a declined confirmation: Stripe's 402 with the intent in the error."""
    error = pi.get("last_payment_error")
    if pi["status"] != "requires_payment_method" or not error:
        return
    extra: dict[str, Any] = {
        "payment_intent": copy.deepcopy(pi),
        "payment_method": error["payment_method"],
    }
    if error.get("charge"):
        extra["charge"] = error["charge"]
    if error["type"] == "card_error":
        raise card_error(
            error["message"], code=error["code"], decline_code=error.get("decline_code"), **extra
        )
    raise ApiError(402, error["message"], code=error["code"], **extra)


def _require_intent(state: State, pi_id: str) -> dict[str, Any]:
    return require(state, "payment_intents", pi_id, "payment_intent", param="intent")


@api.route("post", "/v1/payment_intents")
def create(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    if "payment_method_types" in params:  # refused by the schema already; kept for clarity
        raise invalid(
            "Received unknown parameter: payment_method_types", param="payment_method_types"
        )
    pi = create_intent(state, params)
    if params.get("confirm"):
        _check_return_url(pi, params)
        confirm_intent(state, pi, params)
        _raise_if_declined(pi)
    return pi


@api.route("get", "/v1/payment_intents/{intent}")
def retrieve(call: Call) -> dict[str, Any]:
    return _require_intent(call.state, call.arg("intent"))


@api.route("post", "/v1/payment_intents/{intent}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    pi = _require_intent(state, call.arg("intent"))
    for key in ("amount", "currency", "payment_method", "capture_method", "customer"):
        if key in params and pi["status"] not in UPDATABLE:
            raise state_error(
                f"This PaymentIntent's {key} could not be updated because it has a status of {pi['status']}. "
                "You may only update the "
                f"{key} of a PaymentIntent with one of the following statuses: {', '.join(UPDATABLE)}.",
                code="payment_intent_unexpected_state",
                param=key,
            )
    changes: dict[str, Any] = {}
    for key in ("description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix",
                "setup_future_usage", "transfer_group", "capture_method"):  # fmt: skip
        if key in params:
            changes[key] = params[key] or None
    if "metadata" in params:
        changes["metadata"] = apply_metadata(pi, params["metadata"])
    if "shipping" in params:
        changes["shipping"] = params["shipping"] or None
    if "amount" in params or "currency" in params:
        currency = params.get("currency", pi["currency"]).lower()
        _check_amount(params.get("amount", pi["amount"]), currency)
        changes.update(amount=params.get("amount", pi["amount"]), currency=currency)
    if params.get("customer"):
        require(state, "customers", params["customer"], "customer", param="customer")
        changes["customer"] = params["customer"]
    if params.get("allowed_payment_method_types"):
        allowed = list(params["allowed_payment_method_types"])
        changes.update(
            allowed_payment_method_types=allowed,
            payment_method_types=allowed,
            automatic_payment_methods=None,
            payment_method_configuration_details=None,
        )
    state.update(pi, changes)
    if params.get("payment_method"):
        set_payment_method(state, pi, params["payment_method"])
        pi.update(status="requires_confirmation", last_payment_error=None, next_action=None)
    return pi


@api.route("post", "/v1/payment_intents/{intent}/confirm")
def confirm(call: Call) -> dict[str, Any]:
    pi = _require_intent(call.state, call.arg("intent"))
    _require_confirmable(pi)
    _check_return_url(pi, call.params)
    confirm_intent(call.state, pi, call.params)
    _raise_if_declined(pi)
    return pi


@api.route("post", "/v1/payment_intents/{intent}/capture")
def capture(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    pi = _require_intent(state, call.arg("intent"))
    if pi["status"] != "requires_capture":
        raise state_error(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture.",
            code="payment_intent_unexpected_state",
        )
    amount = params.get("amount_to_capture", pi["amount_capturable"])
    if amount <= 0:
        raise invalid(
            "Invalid positive integer", param="amount_to_capture", code="parameter_invalid_integer"
        )
    if amount > pi["amount_capturable"]:
        raise invalid(
            f"The amount to capture ({minor_units_label(amount, pi['currency'])}) is greater than the amount "
            f"capturable ({minor_units_label(pi['amount_capturable'], pi['currency'])}).",
            param="amount_to_capture",
            code="amount_too_large",
        )
    charge = state.get("charges", pi["latest_charge"])
    txn = charges_mod.balance_transaction(
        state,
        charge["id"],
        amount,
        charge["currency"],
        kind="charge",
        description=charge["description"],
    )
    previous = state.update(
        charge, {"captured": True, "amount_captured": amount, "balance_transaction": txn["id"]}
    )
    state.emit("charge.captured", charge, previous)
    if "metadata" in params:
        pi["metadata"] = apply_metadata(pi, params["metadata"])
    pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
    state.emit("payment_intent.succeeded", pi)
    settle_hooks(state, pi)
    return pi


@api.route("post", "/v1/payment_intents/{intent}/cancel")
def cancel(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    pi = _require_intent(state, call.arg("intent"))
    if pi["status"] not in CANCELABLE:
        raise state_error(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be canceled: "
            f"{', '.join(CANCELABLE)}.",
            code="payment_intent_unexpected_state",
        )
    return cancel_intent(state, pi, params.get("cancellation_reason"))


def cancel_intent(state: State, pi: dict[str, Any], reason: str | None) -> dict[str, Any]:
    """-> canceled (by the API, or by billing: `void_invoice`, `automatic`)."""
    if pi["status"] == "requires_capture":
        # Canceling releases the authorization: the uncaptured charge is refunded in full.
        charge = state.get("charges", pi["latest_charge"])
        previous = state.update(charge, {"amount_refunded": charge["amount"], "refunded": True})
        state.emit("charge.refunded", charge, previous)
    pi.update(
        status="canceled",
        canceled_at=state.now(),
        cancellation_reason=reason,
        amount_capturable=0,
        next_action=None,
    )
    state.emit("payment_intent.canceled", pi)
    return pi


@api.route("get", "/v1/payment_intents")
def list_intents(call: Call) -> dict[str, Any]:
    customer = call.params.get("customer")
    keep = (lambda pi: pi["customer"] == customer) if customer else None
    coll = call.state.collection("payment_intents")
    return paginate(call, coll, url="/v1/payment_intents", kind="payment_intent", keep=keep)
