"""Refunds, by payment intent or charge, partial or full, kept consistent with the charge.

Card refunds succeed at once (Stripe's Testing page: "With all other test cards, refunds succeed
immediately"); `pm_card_pendingRefund` refunds are `pending` and succeed later, `pm_card_refundFail`
refunds succeed and fail later, and SEPA refunds are `pending` until sandbox time passes. Only a
`requires_action` refund can be canceled ("Cancel a refund"), which none of these payment methods makes.
"""

from __future__ import annotations

from typing import Any

from ..common import minor_units_label, require
from ..errors import invalid, state_error
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import ABSENT, State
from . import charges as charges_mod
from .payment_method_catalog import behaviour

REFUND_DELAY = 180  # sandbox seconds before a pending refund settles (or a refundFail one fails)


def _charge_for(state: State, params: dict[str, Any]) -> dict[str, Any]:
    """The charge a refund request is for, refusing as Stripe does when there is nothing to refund."""
    charge_id, pi_id = params.get("charge"), params.get("payment_intent")
    if not charge_id and not pi_id:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent or charge."
        )
    if pi_id:
        pi = require(state, "payment_intents", pi_id, "payment_intent", param="payment_intent")
        charge = state.get("charges", pi["latest_charge"]) if pi["latest_charge"] else None
        if pi["status"] != "succeeded" or charge is None:
            raise invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        if charge_id and charge_id != charge["id"]:
            raise invalid(
                f"The charge {charge_id} does not belong to the PaymentIntent {pi_id}.",
                param="charge",
            )
        return charge
    charge = require(state, "charges", charge_id, "charge", param="charge")
    if charge["status"] != "succeeded" or not charge["captured"]:
        if charge["payment_intent"]:
            raise invalid(
                f"This PaymentIntent ({charge['payment_intent']}) does not have a successful charge to refund.",
                param="charge",
            )
        raise invalid(
            f"Charge {charge['id']} has not succeeded and cannot be refunded.", param="charge"
        )
    return charge


def create_refund(state: State, params: dict[str, Any]) -> dict[str, Any]:
    charge = _charge_for(state, params)
    currency = charge["currency"]
    if params.get("currency") and params["currency"].lower() != currency:
        raise invalid(
            f"The currency of the refund ({params['currency'].lower()}) must match the currency of the charge "
            f"({currency}).",
            param="currency",
        )
    remaining = charges_mod.unrefunded(charge)
    if "amount" in params and params["amount"] <= 0:
        raise invalid("Invalid positive integer", param="amount", code="parameter_invalid_integer")
    if remaining <= 0:
        raise state_error(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = params.get("amount", remaining)
    if amount > remaining:
        raise invalid(
            f"Refund amount ({minor_units_label(amount, currency)}) is greater than unrefunded amount on "
            f"charge ({minor_units_label(remaining, currency)})",
            param="amount",
            code="amount_too_large",
        )
    pm = (
        state.get("payment_methods", charge["payment_method"]) if charge["payment_method"] else None
    )
    method = behaviour(pm) if pm else None
    sepa = pm is not None and pm["type"] == "sepa_debit"
    pending = sepa or (method is not None and method.refund == "pending")
    refund_id = state.new_id("pyr" if sepa else "re")
    txn = charges_mod.balance_transaction(state, refund_id, -amount, currency, kind="refund")
    refund = state.insert(
        "refunds",
        {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": txn["id"],
            "charge": charge["id"],
            "created": state.now(),
            "currency": currency,
            "customer": charge["customer"],
            "customer_account": None,
            # this version declares no `sepa_debit` details for a refund's destination
            "destination_details": {"type": "sepa_debit"}
            if sepa
            else {
                "card": {
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": apply_metadata({}, params.get("metadata")),
            "payment_intent": charge["payment_intent"],
            "payment_method": charge["payment_method"],
            "reason": params.get("reason"),
            # description, failure_*, instructions_email, next_action and pending_reason are
            # left out, not null, until they have a value (stripe-node: `field?: T`)
            **(
                {"instructions_email": params["instructions_email"]}
                if params.get("instructions_email")
                else {}
            ),
            **({"pending_reason": "processing"} if pending else {}),
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "pending" if pending else "succeeded",
            "transfer_reversal": None,
        },
    )
    refunded = charge["amount_refunded"] + amount
    previous = state.update(
        charge, {"amount_refunded": refunded, "refunded": refunded >= charge["amount_captured"]}
    )
    state.emit("refund.created", refund)
    state.emit("charge.refunded", charge, previous)
    if pending:
        charges_mod.schedule(state, state.now() + REFUND_DELAY, "refund_settle", refund_id)
    elif method is not None and method.refund == "fail":
        charges_mod.schedule(state, state.now() + REFUND_DELAY, "refund_fail", refund_id)
    return refund


def _set_status(state: State, refund: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    previous = state.update(refund, changes)
    state.emit("refund.updated", refund, previous)
    state.emit("charge.refund.updated", refund, previous)
    return previous


def _settle(state: State, entry: dict[str, Any]) -> None:
    refund = state.get("refunds", entry["target"])
    if refund is not None and refund["status"] == "pending":
        _set_status(state, refund, {"status": "succeeded", "pending_reason": ABSENT})


def _fail(state: State, entry: dict[str, Any]) -> None:
    """pm_card_refundFail: the refund succeeded, then fails; the money comes back to the balance."""
    refund = state.get("refunds", entry["target"])
    if refund is None or refund["status"] != "succeeded":
        return
    txn = charges_mod.balance_transaction(
        state, refund["id"], refund["amount"], refund["currency"], kind="refund_failure"
    )
    _set_status(
        state,
        refund,
        {
            "status": "failed",
            "failure_reason": "expired_or_canceled_card",
            "failure_balance_transaction": txn["id"],
        },
    )
    state.emit("refund.failed", refund)
    charge = state.get("charges", refund["charge"])
    refunded = charge["amount_refunded"] - refund["amount"]
    previous = state.update(
        charge, {"amount_refunded": refunded, "refunded": refunded >= charge["amount_captured"]}
    )
    state.emit("charge.updated", charge, previous)


charges_mod.HANDLERS["refund_settle"] = _settle
charges_mod.HANDLERS["refund_fail"] = _fail


# -- routes -------------------------------------------------------------------------------------
@api.route("post", "/v1/refunds")
def create(call: Call) -> dict[str, Any]:
    return create_refund(call.state, call.params)


@api.route("get", "/v1/refunds/{refund}")
def retrieve(call: Call) -> dict[str, Any]:
    return require(call.state, "refunds", call.arg("refund"), "refund")


@api.route("post", "/v1/refunds/{refund}")
def update(call: Call) -> dict[str, Any]:
    state = call.state
    refund = require(state, "refunds", call.arg("refund"), "refund")
    if "metadata" in call.params:
        previous = state.update(
            refund, {"metadata": apply_metadata(refund, call.params["metadata"])}
        )
        if previous:
            state.emit("refund.updated", refund, previous)
            state.emit("charge.refund.updated", refund, previous)
    return refund


@api.route("post", "/v1/refunds/{refund}/cancel")
def cancel(call: Call) -> dict[str, Any]:
    state = call.state
    refund = require(state, "refunds", call.arg("refund"), "refund")
    if refund["status"] != "requires_action":
        raise invalid(
            f"Refund {refund['id']} cannot be canceled because it has a status of {refund['status']}. Only a "
            "refund with a status of requires_action can be canceled."
        )
    charge = state.get("charges", refund["charge"])
    _set_status(state, refund, {"status": "canceled", "failure_reason": "merchant_request"})
    refunded = charge["amount_refunded"] - refund["amount"]
    previous = state.update(charge, {"amount_refunded": refunded, "refunded": False})
    state.emit("charge.updated", charge, previous)
    return refund


@api.route("get", "/v1/refunds")
def list_refunds(call: Call) -> dict[str, Any]:
    params = call.params

    def keep(refund: dict[str, Any]) -> bool:
        return ("charge" not in params or refund["charge"] == params["charge"]) and (
            "payment_intent" not in params or refund["payment_intent"] == params["payment_intent"]
        )

    return paginate(
        call, call.state.collection("refunds"), url="/v1/refunds", kind="refund", keep=keep
    )
