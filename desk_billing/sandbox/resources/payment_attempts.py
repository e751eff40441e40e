"""One payment attempt on a payment intent: the charge, 3-D Secure, declines, SEPA settlement.

An attempt leaves the intent in its next status: succeeded or requires_capture (card),
processing (SEPA, settled later in sandbox time), requires_action (authentication needed on
session), or requires_payment_method with `last_payment_error` and a failed charge.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..common import require
from ..control import control
from ..errors import state_error
from ..router import Call
from ..state import State
from . import charges as charges_mod
from .payment_method_catalog import AUTH_REQUIRED, Decline, behaviour

ON_PAYMENT_SETTLED: list[Callable[[State, dict[str, Any]], None]] = []


"""Called with the intent when it reaches succeeded, or when a processing (SEPA) intent fails."""


def settle_hooks(state: State, pi: dict[str, Any]) -> None:
    for hook in ON_PAYMENT_SETTLED:
        hook(state, pi)


def _last_payment_error(
    pm: dict[str, Any], decline: Decline, charge_id: str | None
) -> dict[str, Any]:
    code, decline_code, message = decline
    error: dict[str, Any] = {
        "charge": charge_id,
        "code": code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": copy.deepcopy(pm),
        "type": "card_error" if pm["type"] == "card" else "invalid_request_error",
    }
    if decline_code:
        error["decline_code"] = decline_code
    return error


def _fail(
    state: State, pi: dict[str, Any], pm: dict[str, Any], decline: Decline, charge: dict | None
) -> None:
    pi.update(
        status="requires_payment_method",
        payment_method=None,
        next_action=None,
        last_payment_error=_last_payment_error(pm, decline, charge["id"] if charge else None),
    )
    state.emit("payment_intent.payment_failed", pi)


def _succeed(state: State, pi: dict[str, Any], charge: dict[str, Any]) -> None:
    state.emit("charge.succeeded", charge)
    if charge["captured"]:
        pi.update(
            status="succeeded", amount_received=charge["amount_captured"], amount_capturable=0
        )
        state.emit("payment_intent.succeeded", pi)
        settle_hooks(state, pi)
    else:
        pi.update(status="requires_capture", amount_capturable=charge["amount"])
        state.emit("payment_intent.amount_capturable_updated", pi)


def attempt(state: State, pi: dict[str, Any], *, off_session: bool, error_on_requires_action: bool = False,
            authenticated: bool = False, return_url: str | None = None) -> None:  # fmt: skip
    """Try to collect the intent's amount with its payment method; leaves the intent in its new status."""
    pm = state.get("payment_methods", pi["payment_method"])
    method = behaviour(pm)
    pi.update(last_payment_error=None, next_action=None)
    needs_auth = method.three_ds == "always" or (
        method.three_ds == "on_session" and not off_session
    )
    if needs_auth and not authenticated:
        if off_session or error_on_requires_action:
            decline = method.off_session_decline or AUTH_REQUIRED
            charge = charges_mod.create_charge(state, pi, pm, method, decline=decline)
            pi["latest_charge"] = charge["id"]
            state.emit("charge.failed", charge)
            _fail(state, pi, pm, decline, charge)
            return
        pi.update(status="requires_action", next_action=_next_action(state, pi, return_url))
        state.emit("payment_intent.requires_action", pi)
        return
    decline = method.decline
    if method.three_ds == "on_session" and off_session and method.off_session_decline:
        decline = method.off_session_decline
    charge = charges_mod.create_charge(
        state, pi, pm, method, decline=decline, three_d_secure=authenticated
    )
    pi["latest_charge"] = charge["id"]
    if pm["type"] == "sepa_debit":
        pi.update(status="processing", processing=None)
        state.emit("charge.pending", charge)
        state.emit("payment_intent.processing", pi)
        charges_mod.schedule(state, state.now() + method.settle_after, "sepa_settle", pi["id"])
        return
    if decline is not None:
        state.emit("charge.failed", charge)
        _fail(state, pi, pm, decline, charge)
        return
    _succeed(state, pi, charge)


def _next_action(state: State, pi: dict[str, Any], return_url: str | None) -> dict[str, Any]:
    url = f"{state.base_url}/_sandbox/authenticate/{pi['id']}"
    if return_url:
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": return_url, "url": url},
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": url,
            "source": "src_" + pi["id"][3:],
        },
    }


def _sepa_settle(state: State, entry: dict[str, Any]) -> None:
    pi = state.get("payment_intents", entry["target"])
    if pi is None or pi["status"] != "processing":
        return
    charge = state.get("charges", pi["latest_charge"])
    pm = state.get("payment_methods", charge["payment_method"])
    decline = behaviour(pm).decline
    if decline is None:
        txn = charges_mod.balance_transaction(
            state,
            charge["id"],
            charge["amount"],
            charge["currency"],
            kind="charge",
            description=charge["description"],
        )
        previous = state.update(
            charge, {"status": "succeeded", "paid": True, "balance_transaction": txn["id"]}
        )
        state.emit("charge.succeeded", charge, previous)
        pi.update(status="succeeded", amount_received=charge["amount"])
        state.emit("payment_intent.succeeded", pi)
    else:
        code, _, message = decline
        changes = {"status": "failed", "captured": False, "amount_captured": 0}
        changes.update(
            failure_code=code, failure_message=message, outcome=charges_mod.outcome(decline)
        )
        previous = state.update(charge, changes)
        state.emit("charge.failed", charge, previous)
        _fail(state, pi, pm, decline, charge)
    settle_hooks(state, pi)


charges_mod.HANDLERS["sepa_settle"] = _sepa_settle


def complete_authentication(
    state: State, pi: dict[str, Any], succeed: bool = True
) -> dict[str, Any]:
    """What the customer does on the 3-D Secure page: authenticate (the attempt goes on) or fail it."""
    if pi["status"] != "requires_action":
        raise state_error(
            f"This PaymentIntent does not require authentication; it has a status of {pi['status']}.",
            code="payment_intent_unexpected_state",
        )
    if succeed:
        attempt(state, pi, off_session=False, authenticated=True)
    else:
        pm = state.get("payment_methods", pi["payment_method"])
        _fail(
            state,
            pi,
            pm,
            (
                "payment_intent_authentication_failure",
                None,
                "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a "
                "new PaymentMethod to attempt to fulfill this PaymentIntent again.",
            ),
            None,
        )
    return pi


@control.route("post", "/_sandbox/authenticate/{intent}")
@control.route("get", "/_sandbox/authenticate/{intent}")
def authenticate(call: Call) -> dict[str, Any]:
    """The sandbox's 3-D Secure page: `outcome=fail` fails authentication, anything else completes it."""
    pi = require(
        call.state, "payment_intents", call.arg("intent"), "payment_intent", param="intent"
    )
    return complete_authentication(
        call.state, pi, succeed=call.params.get("outcome", "complete") != "fail"
    )
