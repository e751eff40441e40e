"""What one Stripe request's log line names, read from the request's path and headers and the
answer's headers (and, for writes, the id, amount and currency of the object Stripe returned)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

# An object id in a path (`/v1/refunds/re_3Nx…`): a lowercase prefix, then a suffix with a
# digit or a capital, which resource names (`payment_intents`) never have.
_PATH_ID = re.compile(r"[a-z]+(?:_[a-z]+)*_(?=[A-Za-z0-9]*[0-9A-Z])[A-Za-z0-9]+")
# Objects whose creation or update moves money: their line names amount and currency.
_MONEY_OBJECTS = {
    "refund": "amount",
    "charge": "amount",
    "payment_intent": "amount",
    "credit_note": "amount",
    "invoice": "amount_paid",
    "payout": "amount",
    "transfer": "amount",
}


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def request_fields(
    method: str, path: str, headers: Mapping[str, str] | None, response: Any
) -> dict[str, Any]:
    """The identifiers of one request and its answer, for its log line; a body is only looked
    into (for the id, amount and currency of what a write returned), never logged."""
    ids = [part for part in path.split("/") if _PATH_ID.fullmatch(part)]
    fields: dict[str, Any] = {
        "idempotency_key": _header(headers, "Idempotency-Key"),
        "object_id": ids[-1] if ids else None,
    }
    if response is None:
        return fields
    body, status, response_headers = response
    fields["request_id"] = _header(response_headers, "Request-Id")
    small = isinstance(body, bytes | str) and len(body) < 65536
    if method.lower() in ("post", "delete") and 200 <= status < 300 and small:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return fields
        if isinstance(data, dict):
            fields["object_id"] = fields["object_id"] or data.get("id")
            money = _MONEY_OBJECTS.get(str(data.get("object")))
            if money and isinstance(data.get(money), int):
                fields["amount"] = data[money]
                fields["currency"] = data.get("currency")
    return fields
