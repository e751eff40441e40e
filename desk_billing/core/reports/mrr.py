"""Monthly recurring revenue from the cached subscriptions (issue 15's definition).

MRR counts the items of subscriptions whose status is `active` or `past_due` and whose collection
is not paused: `unit_amount × quantity` normalised to a month (year ÷ 12, week × 52 ÷ 12,
day × 365 ÷ 12, each ÷ `interval_count`), a percent-off discount applied, summed per currency
in minor units and rounded once at the end, half-even.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from fractions import Fraction

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


# Grouped in SQL by what the normalisation needs, so Python sees a handful of rows whatever
# the number of subscriptions; the sum per group is exact (integers).
_SQL = """
SELECT lower(coalesce(json_extract(i.value, '$.price.currency'), s.currency)) AS currency,
       json_extract(i.value, '$.price.recurring.interval') AS interval,
       coalesce(json_extract(i.value, '$.price.recurring.interval_count'), 1) AS interval_count,
       coalesce(json_extract(s.data, '$.discount.coupon.percent_off'), 0) AS percent_off,
       sum(coalesce(json_extract(i.value, '$.price.unit_amount'), 0)
           * coalesce(json_extract(i.value, '$.quantity'), 1)) AS amount
FROM subscriptions AS s, json_each(s.data, '$.items.data') AS i
WHERE s.deleted = 0
  AND s.status IN ({statuses})
  AND json_type(s.data, '$.pause_collection') IS NOT 'object'
  AND json_extract(i.value, '$.price.recurring.interval') IS NOT NULL
GROUP BY 1, 2, 3, 4
"""

_COUNT_SQL = """
SELECT lower(s.currency), count(*) FROM subscriptions AS s
WHERE s.deleted = 0 AND s.status IN ({statuses})
  AND json_type(s.data, '$.pause_collection') IS NOT 'object'
GROUP BY 1
"""

_STATUSES = ", ".join(f"'{status}'" for status in MRR_STATUSES)  # constants, not user input
_SQL, _COUNT_SQL = (sql.format(statuses=_STATUSES) for sql in (_SQL, _COUNT_SQL))


@dataclass(frozen=True)
class MRR:
    as_of: int
    mrr: dict[str, int]  # currency (lower case) -> minor units
    subscriptions: dict[str, int]  # currency -> subscriptions counted

    def as_json(self) -> dict[str, object]:
        """The CLI contract's shape (`desk-billing report mrr --json`)."""
        return {"as_of": self.as_of, "mrr": self.mrr, "subscriptions": self.subscriptions}


def mrr_now(conn: sqlite3.Connection, as_of: int | None = None) -> MRR:
    """MRR per currency from the cache as it is now."""
    exact: dict[str, Fraction] = {}
    for currency, interval, count, percent_off, amount in conn.execute(_SQL):
        value = monthly(int(amount), interval, int(count))
        if percent_off:
            value *= 1 - Fraction(str(percent_off)) / 100
        exact[currency] = exact.get(currency, Fraction(0)) + value
    counts = {c: n for c, n in conn.execute(_COUNT_SQL) if c is not None}
    return MRR(
        as_of=int(time.time()) if as_of is None else as_of,
        mrr={c: round_half_even(v) for c, v in sorted(exact.items())},
        subscriptions=dict(sorted(counts.items())),
    )
