"""The invoice object as API version 2026-10-28.endive shapes it, new and as a draft.

The invoice names its subscription under `parent.subscription_details` (no top-level
`subscription` since basil); `status_details` and `threshold_reason` are left out, not null,
until they have a value.
"""

from __future__ import annotations

import copy
from typing import Any

from ..listing import apply_metadata
from ..state import State

AUTO_FINALIZE_DELAY = 3600  # a draft with auto_advance is finalized about an hour after creation


def customer_snapshot(state: State, customer_id: str) -> dict[str, Any]:
    customer = state.get("customers", customer_id) or {}
    address = customer.get("address")
    return {
        "customer_address": copy.deepcopy(address) if address else None,
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": copy.deepcopy(customer.get("shipping")) or None,
        "customer_tax_exempt": customer.get("tax_exempt", "none"),
    }


def payment_settings(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {
        "default_mandate": value.get("default_mandate") or None,
        "payment_method_options": value.get("payment_method_options") or None,
        "payment_method_types": value.get("payment_method_types") or None,
    }


def new_invoice(
    state: State,
    params: dict[str, Any],
    *,
    customer: dict[str, Any],
    subscription: dict[str, Any] | None,
    billing_reason: str,
    currency: str,
    auto_advance: bool,
    period: tuple[int, int] | None,
) -> dict[str, Any]:
    """A draft invoice from the API's (checked) create parameters; not stored yet."""
    customer_id = customer["id"]
    method = params.get("collection_method", "charge_automatically")
    invoice_id = state.new_id("in")
    now = state.now()
    start, end = period or (now, now)
    due_date = params.get("due_date")
    days = params.get("days_until_due")
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": state.account_country,
        "account_name": state.account_name,
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": auto_advance,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": now + AUTO_FINALIZE_DELAY
        if auto_advance and subscription is None
        else None,
        "billing_reason": billing_reason,
        "collection_method": method,
        "created": now,
        "currency": currency,
        "custom_fields": params.get("custom_fields") or None,
        "customer": customer_id,
        "customer_account": None,
        **customer_snapshot(state, customer_id),
        "customer_tax_ids": [],
        "default_payment_method": params.get("default_payment_method"),
        "default_source": None,
        "default_tax_rates": [],
        "description": params.get("description"),
        "discounts": [],
        "due_date": due_date
        if due_date is not None
        else (now + days * 86400 if days is not None else None),
        "effective_at": None,
        "ending_balance": None,
        "footer": params.get("footer")
        if "footer" in params
        else (customer.get("invoice_settings") or {}).get("footer"),
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        # a one-off draft set to auto-advance is finalized, then charged, about an hour on
        "next_payment_attempt": now + AUTO_FINALIZE_DELAY
        if auto_advance and method == "charge_automatically" and subscription is None
        else None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription.get("metadata") or {}),
                "subscription": subscription["id"],
            },
            "type": "subscription_details",
        }
        if subscription
        else None,
        "payment_settings": payment_settings(params.get("payment_settings")),
        "period_end": end,
        "period_start": start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": params.get("shipping_details") or None,
        "starting_balance": 0,
        "statement_descriptor": params.get("statement_descriptor"),
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": None,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": now,
    }
