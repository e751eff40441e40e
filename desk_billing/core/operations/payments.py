"""Payments: capture (full or partial) or cancel an uncaptured payment intent, and charge a
customer's saved payment method off-session, saying plainly when the bank wants the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desk_billing.core.errors import DeskBillingError, StripeAPIError, ValidationError
from desk_billing.core.journal import (
    Journal,
    OperationRequest,
    OperationResult,
    operation,
    reports_changes,
)
from desk_billing.core.money import format_amount
from desk_billing.core.operations.validation import object_id, positive_amount, require_id
from desk_billing.core.statuses import PAYMENT_CANCELABLE

CANCELABLE = PAYMENT_CANCELABLE
CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


@operation("payment_intent.capture")
def _capture(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.payment_intents.capture(target, params, options)


@operation("payment_intent.cancel")
def _cancel(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.payment_intents.cancel(target, params, options)


@operation("payment_intent.create")
def _create(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.payment_intents.create(params, options)


class AuthenticationNeeded(DeskBillingError):
    """The customer's bank wants the customer to authenticate (3-D Secure); we cannot do it for them."""

    def __init__(self, message: str, payment_intent: str | None) -> None:
        super().__init__(message)
        self.payment_intent = payment_intent


@dataclass(frozen=True)
class ChargeOutcome:
    """Where an off-session charge stands, in words a person can act on."""

    payment_intent: dict[str, Any]

    @property
    def status(self) -> str:
        return self.payment_intent["status"]

    def describe(self) -> str:
        pi = self.payment_intent
        amount = format_amount(pi["amount"], pi["currency"])
        if self.status == "succeeded":
            return f"{amount} charged ({pi['id']})."
        if self.status == "processing":
            return f"{amount} is processing ({pi['id']}); SEPA debits settle after a few days."
        if self.status == "requires_action":
            return f"{amount} needs the customer to authenticate with their bank ({pi['id']})."
        return f"{amount}: {self.status} ({pi['id']})."


def _fresh_intent(journal: Journal, pi_id: str) -> Any:
    with journal.gateway.errors():
        return journal.gateway.client.v1.payment_intents.retrieve(
            require_id(pi_id, ("pi_",), "payment")
        )


@reports_changes
def capture(journal: Journal, pi_id: str, amount_text: str | None = None) -> OperationResult:
    """Capture all of an authorised payment, or part of it (the rest is released)."""
    pi = _fresh_intent(journal, pi_id)
    if pi.status != "requires_capture":
        raise ValidationError(f"Payment {pi.id} cannot be captured; its status is {pi.status}.")
    capturable = pi.amount_capturable
    params: dict[str, Any] = {}
    amount = capturable
    if amount_text is not None and str(amount_text).strip():
        amount = positive_amount(amount_text, pi.currency, "amount to capture")
        if amount > capturable:
            raise ValidationError(
                f"At most {format_amount(capturable, pi.currency)} can be captured on {pi.id}."
            )
        params["amount_to_capture"] = amount
    request = OperationRequest("payment_intent.capture", params, pi.id, amount, pi.currency)
    return journal.run(request)


@reports_changes
def cancel(journal: Journal, pi_id: str, reason: str | None = None) -> OperationResult:
    """Cancel a payment that has not been captured (the authorisation is released)."""
    pi = _fresh_intent(journal, pi_id)
    if pi.status not in CANCELABLE:
        raise ValidationError(f"Payment {pi.id} cannot be canceled; its status is {pi.status}.")
    params: dict[str, Any] = {}
    if reason:
        if reason not in CANCEL_REASONS:
            raise ValidationError(
                f"'{reason}' is not a cancellation reason; use one of {', '.join(CANCEL_REASONS)}."
            )
        params["cancellation_reason"] = reason
    request = OperationRequest("payment_intent.cancel", params, pi.id, pi.amount, pi.currency)
    return journal.run(request)


@reports_changes
def charge_saved_method(
    journal: Journal,
    customer: str,
    amount_text: str,
    currency: str,
    payment_method: str | None = None,
    description: str | None = None,
) -> OperationResult:
    """Charge the customer's saved (or default) payment method without them present
    (`ChargeOutcome(result.object)` says where it stands).

    Raises AuthenticationNeeded when the bank wants the customer (authentication_required).
    """
    customer = require_id(customer, ("cus_",), "customer")
    amount = positive_amount(amount_text, currency)
    if payment_method is None:
        with journal.gateway.errors():
            found = journal.gateway.client.v1.customers.retrieve(customer).to_dict()
        settings = found.get("invoice_settings") or {}
        payment_method = object_id(settings.get("default_payment_method"))
        if not payment_method:
            raise ValidationError(f"Customer {customer} has no default payment method; choose one.")
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency.lower(),
        "customer": customer,
        "payment_method": payment_method,
        "confirm": True,
        "off_session": True,
        # nobody is there to follow a redirect, and Stripe refuses a confirmation with automatic
        # payment methods that could need one unless a return_url is given
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
    }
    if description:
        params["description"] = description
    request = OperationRequest(
        "payment_intent.create", params, customer, amount, currency.lower(), tag=True
    )
    try:
        return journal.run(request)
    except StripeAPIError as error:
        if (
            error.code == "authentication_required"
            or error.decline_code == "authentication_required"
        ):
            raise AuthenticationNeeded(
                "The customer's bank asks the customer to authenticate this payment (3-D Secure); "
                "send them a payment link or ask them to pay while present.",
                error.payment_intent,
            ) from error
        raise
