"""Charges (made by confirming payment intents), their balance transactions, and delayed settlement.

A card charge is decided at once; a SEPA debit (`py_…`) stays `pending` until sandbox time passes
its settlement point. Things due later are kept in the private `_scheduled` collection and run by
an `on_advance` hook that is registered on a state the first time something is scheduled on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..common import THREE_DECIMAL, ZERO_DECIMAL, require
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from .payment_method_catalog import Decline, TestMethod

# -- things that happen later (SEPA settlement, pending refunds, funds becoming available) ------
SCHEDULED = "_scheduled"
HANDLERS: dict[str, Callable[[State, dict[str, Any]], None]] = {}
"""kind -> what to do when a scheduled entry falls due."""


def schedule(state: State, due: int, kind: str, target: str, **data: Any) -> None:
    if _run_due not in state.on_advance:
        state.on_advance.append(_run_due)
    state.insert(
        SCHEDULED,
        {"id": state.new_id("sched"), "created": due, "kind": kind, "target": target, **data},
    )


def _run_due(state: State, before: int, after: int) -> None:
    coll = state.collection(SCHEDULED)
    due = [coll.by_id[i] for i in coll.ids if coll.by_id[i]["created"] <= after]  # oldest first
    for entry in due:
        state.delete(SCHEDULED, entry["id"])
        HANDLERS[entry["kind"]](state, entry)


# -- balance transactions -----------------------------------------------------------------------
def _fee(amount: int, currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return round(amount * 0.036)
    if currency in THREE_DECIMAL:
        return round(amount * 0.029)
    return round(amount * 0.029) + 30


def balance_transaction(
    state: State,
    source: str,
    amount: int,
    currency: str,
    *,
    kind: str,
    description: str | None = None,
) -> dict[str, Any]:
    """Record money moving: a charge (with Stripe's fee) or a refund; available two days later."""
    fee = _fee(amount, currency) if kind == "charge" else 0
    now = state.now()
    txn = state.insert(
        "balance_transactions",
        {
            "id": state.new_id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": now + 2 * 86400,
            "balance_type": "payments",
            "created": now,
            "currency": currency,
            "description": description,
            "exchange_rate": None,
            "fee": fee,
            "fee_details": [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else [],
            "net": amount - fee,
            "reporting_category": kind,
            "source": source,
            "status": "pending",
            "type": kind,
        },
    )
    schedule(state, txn["available_on"], "txn_available", txn["id"])
    return txn


def _txn_available(state: State, entry: dict[str, Any]) -> None:
    txn = state.get("balance_transactions", entry["target"])
    if txn is not None:
        txn["status"] = "available"


HANDLERS["txn_available"] = _txn_available


# -- charges ------------------------------------------------------------------------------------
def payment_method_details(
    pm: dict[str, Any], amount: int, three_d_secure: bool = False
) -> dict[str, Any]:
    if pm["type"] == "sepa_debit":
        sepa = pm["sepa_debit"]
        return {
            "sepa_debit": {
                "bank_code": sepa["bank_code"],
                "branch_code": sepa["branch_code"],
                "country": sepa["country"],
                "fingerprint": sepa["fingerprint"],
                "last4": sepa["last4"],
                "mandate": "mandate_" + pm["id"][3:],
            },
            "type": "sepa_debit",
        }
    card = pm["card"]
    return {
        "card": {
            "amount_authorized": amount,
            "authorization_code": None,
            "brand": card["brand"],
            "checks": dict(card["checks"]),
            "country": card["country"],
            "electronic_commerce_indicator": None,
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card["last4"],
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card["brand"],
            "network_token": {"used": False},
            "network_transaction_id": None,
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": card["regulated_status"],
            "transaction_link_id": None,
            "three_d_secure": {
                "authentication_flow": "challenge",
                "electronic_commerce_indicator": "05",
                "exemption_indicator": None,
                "result": "authenticated",
                "result_reason": None,
                "transaction_id": None,
                "version": "2.2.0",
            }
            if three_d_secure
            else None,
            "wallet": None,
        },
        "type": "card",
    }


def outcome(decline: Decline | None) -> dict[str, Any]:
    """Stripe's `outcome` of a charge: authorized, or issuer_declined with the decline's reason."""
    if decline is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    code, decline_code, _ = decline
    reason = decline_code or code
    return {
        "advice_code": "try_again_later"
        if reason == "insufficient_funds"
        else "do_not_try_again"
        if reason in ("lost_card", "stolen_card")
        else None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": reason,
        "risk_level": "normal",
        "risk_score": 32,
        "seller_message": "The bank did not return any further details with this decline."
        if reason == "generic_decline"
        else f"The bank returned the decline code `{reason}`.",
        "type": "issuer_declined",
    }


def create_charge(
    state: State,
    pi: dict[str, Any],
    pm: dict[str, Any],
    method: TestMethod,
    *,
    decline: Decline | None,
    three_d_secure: bool = False,
) -> dict[str, Any]:
    """The charge of one payment attempt: failed, pending (SEPA), authorized or captured (card)."""
    sepa = pm["type"] == "sepa_debit"
    capture = pi["capture_method"] != "manual"
    if decline is not None and not sepa:
        status, paid, captured = "failed", False, False
    elif sepa:
        status, paid, captured = "pending", False, True
    else:
        status, paid, captured = "succeeded", True, capture
    charge_id = state.new_id("py" if sepa else "ch")
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"] if captured and status != "failed" else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": dict(pm["billing_details"]),
        "calculated_statement_descriptor": state.account_name.upper()[:22],
        "captured": captured,
        "created": state.now(),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline[0] if decline and not sepa else None,
        "failure_message": decline[2] if decline and not sepa else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "on_behalf_of": None,
        "outcome": outcome(decline if not sepa else None),
        "paid": paid,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": payment_method_details(pm, pi["amount"], three_d_secure),
        "radar_options": {},
        "receipt_email": pi.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": f"{state.base_url}/receipts/payment/{charge_id}",
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": pi.get("statement_descriptor"),
        "statement_descriptor_suffix": pi.get("statement_descriptor_suffix"),
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }
    if status == "succeeded" and captured:
        charge["balance_transaction"] = balance_transaction(
            state,
            charge_id,
            charge["amount"],
            charge["currency"],
            kind="charge",
            description=charge["description"],
        )["id"]
    state.insert("charges", charge)
    return charge


def unrefunded(charge: dict[str, Any]) -> int:
    return charge["amount_captured"] - charge["amount_refunded"]


# -- routes -------------------------------------------------------------------------------------
@api.route("get", "/v1/charges/{charge}")
def retrieve(call: Call) -> dict[str, Any]:
    return require(call.state, "charges", call.arg("charge"), "charge")


@api.route("post", "/v1/charges/{charge}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    charge = require(state, "charges", call.arg("charge"), "charge")
    changes = {
        k: params[k] or None
        for k in ("description", "receipt_email", "transfer_group")
        if k in params
    }
    if "metadata" in params:
        changes["metadata"] = apply_metadata(charge, params["metadata"])
    if "fraud_details" in params:
        changes["fraud_details"] = dict(params["fraud_details"] or {})
    if "shipping" in params:
        changes["shipping"] = params["shipping"] or None
    if "customer" in params:
        if charge["customer"] and params["customer"] != charge["customer"]:
            from ..errors import invalid

            raise invalid(
                "This charge already has a customer; it cannot be changed.", param="customer"
            )
        require(state, "customers", params["customer"], "customer", param="customer")
        changes["customer"] = params["customer"]
    previous = state.update(charge, changes)
    if previous:
        state.emit("charge.updated", charge, previous)
    return charge


@api.route("get", "/v1/charges")
def list_charges(call: Call) -> dict[str, Any]:
    params = call.params

    def keep(charge: dict[str, Any]) -> bool:
        return (
            ("customer" not in params or charge["customer"] == params["customer"])
            and (
                "payment_intent" not in params
                or charge["payment_intent"] == params["payment_intent"]
            )
            and (
                "transfer_group" not in params
                or charge["transfer_group"] == params["transfer_group"]
            )
        )

    return paginate(
        call, call.state.collection("charges"), url="/v1/charges", kind="charge", keep=keep
    )
