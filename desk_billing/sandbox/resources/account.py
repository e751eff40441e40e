"""The account itself and its balance: what the key-setup dialog shows and checks.

The sandbox is one standard account, not a Connect platform: it has no connected accounts, so the
list of them is empty, as Stripe answers an account that is not a platform.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..listing import list_object
from ..router import Call, api


def _nothing_due() -> dict[str, Any]:
    """An account with no outstanding verification requirements (current or future)."""
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


@api.route("get", "/v1/accounts")
def list_connected_accounts(call: Call) -> dict[str, Any]:
    return list_object("/v1/accounts", [], False)


@api.route("get", "/v1/account")
def retrieve_account(call: Call) -> dict[str, Any]:
    state = call.state
    return {
        "id": state.account_id,
        "object": "account",
        "business_profile": {
            "mcc": None,
            "minority_owned_business_designation": None,
            "name": state.account_name,
            "specified_commercial_transactions_act_url": None,
            "support_address": None,
            "support_email": "support@example.com",
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        "business_type": "company",
        "capabilities": dict(state.capabilities),
        "charges_enabled": state.account_flags["charges_enabled"],
        "controller": {"type": "account"},
        "country": state.account_country,
        "created": 1577836800,
        "default_currency": state.default_currency,
        "details_submitted": state.account_flags["details_submitted"],
        "email": "finance@example.com",
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/accounts/{state.account_id}/external_accounts",
        },
        "future_requirements": _nothing_due(),
        "metadata": {},
        "payouts_enabled": state.account_flags["payouts_enabled"],
        "requirements": _nothing_due(),
        "settings": {
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_payments": {
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": state.account_name, "timezone": "Europe/Berlin"},
            "payments": {
                "statement_descriptor": state.account_name.upper()[:22],
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
        },
        "tos_acceptance": {"date": 1577836800},
        "type": "standard",
    }


@api.route("get", "/v1/balance")
def retrieve_balance(call: Call) -> dict[str, Any]:
    """Succeeded charges less refunds, per currency; SEPA money still settling is pending."""
    available: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    for charge in call.state.newest_first("charges"):
        if charge.get("status") == "succeeded" and charge.get("captured", True):
            available[charge["currency"]] += charge["amount_captured"] - charge["amount_refunded"]
        elif charge.get("status") == "pending":
            pending[charge["currency"]] += charge["amount"]
    currencies = sorted(set(available) | set(pending)) or ["eur"]

    def funds(amounts: dict[str, int]) -> list[dict[str, Any]]:
        return [
            {"amount": amounts[c], "currency": c, "source_types": {"card": amounts[c]}}
            for c in currencies
        ]

    return {
        "object": "balance",
        "available": funds(available),
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": False,
        "pending": funds(pending),
    }
