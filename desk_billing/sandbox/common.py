"""Small helpers every resource module uses: look-ups that 404 as Stripe does, deleted stubs."""

from __future__ import annotations

from typing import Any

from .errors import missing
from .state import State

# Currencies whose smallest unit is the whole unit, and those with three decimals (Stripe's lists).
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def require(
    state: State, collection: str, object_id: str, kind: str, param: str = "id"
) -> dict[str, Any]:
    """The object, or Stripe's 404 `No such <kind>: '<id>'`."""
    obj = state.get(collection, object_id)
    if obj is None:
        raise missing(kind, object_id, param=param)
    return obj


def deleted(object_id: str, object_type: str) -> dict[str, Any]:
    """What Stripe answers to a DELETE: `{"id", "object", "deleted": true}`."""
    return {"id": object_id, "object": object_type, "deleted": True}


def minor_units_label(amount: int, currency: str) -> str:
    """`$12.50`-like text for error messages, as Stripe writes amounts in them."""
    currency = currency.lower()
    digits = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    symbol = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}.get(currency, currency.upper() + " ")
    if digits == 0:
        return f"{symbol}{amount:,}"
    whole, frac = divmod(abs(amount), 10**digits)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{whole:,}.{frac:0{digits}d}"
