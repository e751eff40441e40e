"""Checks shared by the operation modules: typed amounts, ids, expandable fields."""

from __future__ import annotations

from typing import Any

from desk_billing.core.errors import ValidationError
from desk_billing.core.money import parse_amount


def positive_amount(text: str | None, currency: str, what: str = "amount") -> int:
    """A typed amount in minor units, more than zero, with the currency's decimals at most."""
    if not currency or len(currency) != 3 or not currency.isalpha():
        raise ValidationError("Choose a currency (a three-letter code such as EUR).")
    amount = parse_amount(str(text or ""), currency)
    if amount <= 0:
        raise ValidationError(f"The {what} must be more than zero.")
    return amount


def object_id(value: Any) -> str | None:
    """The id of an expandable field, whether Stripe sent the id or the object."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id") if hasattr(value, "get") else getattr(value, "id", None)


def require_id(value: str | None, prefixes: tuple[str, ...], what: str) -> str:
    """A Stripe id of the expected kind, e.g. ("cus_",) for a customer."""
    text = (value or "").strip()
    if not text.startswith(prefixes):
        raise ValidationError(f"'{text}' is not a {what} id ({prefixes[0]}…).")
    return text
