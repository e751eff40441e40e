"""Monthly recurring revenue from the cached subscriptions (issue 15's definition).

MRR counts the items of subscriptions whose status is `active` or `past_due` and whose collection
is not paused: `unit_amount × quantity` normalised to a month (year ÷ 12, week × 52 ÷ 12,
day × 365 ÷ 12, each ÷ `interval_count`), discounts applied, summed per currency in minor
units and rounded once at the end, half-even.

Discounts (API 2026-10-28: `subscription.discounts`, each naming its coupon at `source.coupon`)
count while they last: `forever` always, `repeating` until the discount's `end`; a `once` coupon
takes money off one invoice, not the recurring revenue. `percent_off` scales the subscription's
amount, `amount_off` (in the coupon's currency, taken off each invoice) is normalised like the
items and never takes a subscription below zero. Discounts arrive as ids unless the sync expands
`data.discounts.source.coupon`; a discount that is only an id cannot be applied.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import orjson

MRR_STATUSES = ("active", "past_due")

# How many months one interval is.
_MONTHS = {
    "month": Fraction(1),
    "year": Fraction(12),
    "week": Fraction(12, 52),
    "day": Fraction(12, 365),
}


def monthly(amount: int, interval: str, interval_count: int = 1) -> Fraction:
    """An amount billed every `interval_count` `interval`s, as an exact amount per month."""
    if interval not in _MONTHS:
        raise ValueError(f"Unknown billing interval '{interval}'.")
    if interval_count < 1:
        raise ValueError("interval_count must be at least 1.")
    return Fraction(amount) / (_MONTHS[interval] * interval_count)


def round_half_even(value: Fraction) -> int:
    """The nearest integer, ties to even (Python's round on a Fraction is exact)."""
    return round(value)


# Undiscounted subscriptions are grouped in SQL by what the normalisation needs, so Python sees a
# handful of rows whatever their number; the sum per group is exact (integers). Discounted ones
# (few) come whole and are priced one by one.
_PLAIN = "coalesce(json_array_length(s.data, '$.discounts'), 0) = 0"
_LIVE = """s.deleted = 0 AND s.status IN ({statuses})
  AND json_type(s.data, '$.pause_collection') IS NOT 'object'"""

_SQL = """
SELECT lower(coalesce(json_extract(i.value, '$.price.currency'), s.currency)) AS currency,
       json_extract(i.value, '$.price.recurring.interval') AS interval,
       coalesce(json_extract(i.value, '$.price.recurring.interval_count'), 1) AS interval_count,
       sum(coalesce(json_extract(i.value, '$.price.unit_amount'), 0)
           * coalesce(json_extract(i.value, '$.quantity'), 1)) AS amount
FROM subscriptions AS s, json_each(s.data, '$.items.data') AS i
WHERE {live} AND {plain}
  AND json_extract(i.value, '$.price.recurring.interval') IS NOT NULL
GROUP BY 1, 2, 3
"""

_DISCOUNTED_SQL = "SELECT s.data FROM subscriptions AS s WHERE {live} AND NOT {plain}"

_COUNT_SQL = "SELECT lower(s.currency), count(*) FROM subscriptions AS s WHERE {live} GROUP BY 1"

_STATUSES = ", ".join(f"'{status}'" for status in MRR_STATUSES)  # constants, not user input
_LIVE = _LIVE.format(statuses=_STATUSES)
_SQL, _DISCOUNTED_SQL, _COUNT_SQL = (
    sql.format(live=_LIVE, plain=_PLAIN) for sql in (_SQL, _DISCOUNTED_SQL, _COUNT_SQL)
)


def _coupon(discount: Any) -> dict[str, Any] | None:
    if not isinstance(discount, dict):
        return None
    source = discount.get("source")
    coupon = source.get("coupon") if isinstance(source, dict) else None
    return coupon if isinstance(coupon, dict) else None


def discount_applies(discount: dict[str, Any], at: int) -> bool:
    """Whether a discount lowers MRR at time `at` (see the module's docstring)."""
    coupon = _coupon(discount)
    if coupon is None or coupon.get("duration") == "once":
        return False
    start, end = discount.get("start"), discount.get("end")
    return (start is None or start <= at) and (end is None or end > at)


def subscription_monthly(sub: dict[str, Any], at: int) -> tuple[str, Fraction]:
    """One subscription's exact MRR (its status aside) and its currency, discounts as at `at`."""
    currency = str(sub.get("currency") or "").lower()
    total = Fraction(0)
    period: tuple[str, int] | None = None
    for item in (sub.get("items") or {}).get("data") or []:
        price = item.get("price") or {}
        recurring = price.get("recurring") or {}
        if not recurring.get("interval"):
            continue
        period = (recurring["interval"], int(recurring.get("interval_count") or 1))
        amount = int(price.get("unit_amount") or 0) * int(item.get("quantity") or 1)
        total += monthly(amount, *period)
    for discount in sub.get("discounts") or []:
        if period is None or not discount_applies(discount, at):
            continue
        coupon = _coupon(discount) or {}
        if coupon.get("percent_off") is not None:
            total *= 1 - Fraction(str(coupon["percent_off"])) / 100
        elif coupon.get("amount_off") and str(coupon.get("currency")).lower() == currency:
            total = max(Fraction(0), total - monthly(int(coupon["amount_off"]), *period))
    return currency, total


@dataclass(frozen=True)
class MRR:
    as_of: int
    mrr: dict[str, int]  # currency (lower case) -> minor units
    subscriptions: dict[str, int]  # currency -> subscriptions counted

    def as_json(self) -> dict[str, object]:
        """The CLI contract's shape (`desk-billing report mrr --json`)."""
        return {"as_of": self.as_of, "mrr": self.mrr, "subscriptions": self.subscriptions}


def mrr_exact(conn: sqlite3.Connection, at: int) -> dict[str, Fraction]:
    """MRR per currency from the cache as it is now, unrounded (discounts as at `at`)."""
    exact: dict[str, Fraction] = {}
    for currency, interval, count, amount in conn.execute(_SQL):
        exact[currency] = exact.get(currency, Fraction(0)) + monthly(int(amount), interval, count)
    for (data,) in conn.execute(_DISCOUNTED_SQL):
        currency, value = subscription_monthly(orjson.loads(data), at)
        exact[currency] = exact.get(currency, Fraction(0)) + value
    return exact


def mrr_now(conn: sqlite3.Connection, as_of: int | None = None) -> MRR:
    """MRR per currency from the cache as it is now."""
    as_of = int(time.time()) if as_of is None else as_of
    exact = mrr_exact(conn, as_of)
    counts = {c: n for c, n in conn.execute(_COUNT_SQL) if c is not None}
    return MRR(
        as_of=as_of,
        mrr={c: round_half_even(v) for c, v in sorted(exact.items())},
        subscriptions=dict(sorted(counts.items())),
    )
