"""MRR over the last 12 months, and the month's movements (new, expansion, contraction, churned,
reactivated), from the cached subscriptions and their `customer.subscription.*` events.

A subscription counts from when it started paying (`trial_end` if it had a trial, else
`start_date`) until it ended (`ended_at`). Its amount at a past time is that of the latest cached
`customer.subscription.*` event before that time (so a price or quantity change moves it), else
its current items. Its past status is not known where no event tells it: subscriptions that are
now `active`, `past_due` or `canceled` are counted over those dates, the others (`unpaid`,
`incomplete`, `paused`, collection paused) not at all; so the current month's point is `mrr_now`.

Movements compare, per customer and currency, MRR at the month's start with MRR now: up from
zero is *new* (or *reactivated* if the customer had MRR that ended before), down to zero is
*churned*, otherwise *expansion* or *contraction*.
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import orjson

from .mrr import MRR_STATUSES, monthly, round_half_even, subscription_monthly
from .periods import Month, last_months, month_of

_COUNTED = ("active", "past_due", "canceled")
_BEGIN = "coalesce(json_extract(s.data, '$.trial_end'), json_extract(s.data, '$.start_date'))"
_END = "json_extract(s.data, '$.ended_at')"
_MONTH_INDEX = (
    "(CAST(strftime('%Y', {t}, 'unixepoch') AS INTEGER) * 12"
    " + CAST(strftime('%m', {t}, 'unixepoch') AS INTEGER) - 1)"
)
_WHERE = f"""s.deleted = 0 AND s.status IN ({", ".join(f"'{x}'" for x in _COUNTED)})
  AND json_type(s.data, '$.pause_collection') IS NOT 'object'"""
_PLAIN = "coalesce(json_array_length(s.data, '$.discounts'), 0) = 0"

# One scan: undiscounted items grouped by the month they began and ended paying.
_TREND_SQL = f"""
SELECT {_MONTH_INDEX.format(t=_BEGIN)}, {_MONTH_INDEX.format(t=_END)},
       lower(coalesce(json_extract(i.value, '$.price.currency'), s.currency)),
       json_extract(i.value, '$.price.recurring.interval'),
       coalesce(json_extract(i.value, '$.price.recurring.interval_count'), 1),
       sum(coalesce(json_extract(i.value, '$.price.unit_amount'), 0)
           * coalesce(json_extract(i.value, '$.quantity'), 1))
FROM subscriptions AS s, json_each(s.data, '$.items.data') AS i
WHERE {_WHERE} AND {_PLAIN}
  AND json_extract(i.value, '$.price.recurring.interval') IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""
_DISCOUNTED_SQL = f"SELECT s.data FROM subscriptions AS s WHERE {_WHERE} AND NOT {_PLAIN}"

# Customers whose MRR may have moved this month: a subscription began or ended paying in it, or
# an event of theirs says it changed.
_MOVED_SQL = f"""
SELECT DISTINCT s.customer FROM subscriptions AS s
WHERE s.deleted = 0 AND ({_BEGIN} >= :start OR {_END} >= :start)
UNION
SELECT DISTINCT s.customer FROM events AS e JOIN subscriptions AS s ON s.id = e.object_id
WHERE e.type LIKE 'customer.subscription.%' AND e.created >= :start
"""

_CUSTOMER_SUBS_SQL = "SELECT data FROM subscriptions WHERE deleted = 0 AND customer = ?"
_LAST_EVENT_SQL = """
SELECT json_extract(data, '$.data.object') FROM events
WHERE object_id = ? AND type LIKE 'customer.subscription.%' AND created < ?
ORDER BY created DESC LIMIT 1
"""

MOVEMENTS = ("new", "expansion", "contraction", "churned", "reactivated")


@dataclass(frozen=True)
class TrendPoint:
    month: str
    mrr: dict[str, int]  # currency -> minor units at the month's end (now for this month)


@dataclass
class Movement:
    amount: dict[str, int] = field(default_factory=dict)  # currency -> minor units moved
    customers: list[str] = field(default_factory=list)


def _index(month: Month) -> int:
    return int(month.label[:4]) * 12 + int(month.label[5:]) - 1


def _paying_span(sub: dict[str, Any]) -> tuple[int, float]:
    begin = sub.get("trial_end") or sub.get("start_date") or sub.get("created") or 0
    return int(begin), float(sub["ended_at"]) if sub.get("ended_at") else float("inf")


def mrr_trend(conn: sqlite3.Connection, as_of: int | None = None, months: int = 12):
    """MRR per currency at the end of each of the last `months` months, oldest first."""
    as_of = int(time.time()) if as_of is None else as_of
    span = last_months(as_of, months)
    exact: list[dict[str, Fraction]] = [defaultdict(Fraction) for _ in span]
    first = _index(span[0])
    for begin, end, currency, interval, count, amount in conn.execute(_TREND_SQL):
        value = monthly(int(amount), interval, int(count))
        for n in range(len(span)):
            if begin is not None and begin <= first + n and (end is None or end > first + n):
                exact[n][currency] += value
    for (data,) in conn.execute(_DISCOUNTED_SQL):
        sub = orjson.loads(data)
        begin, end = _paying_span(sub)
        for n, month in enumerate(span):
            at = min(month.end - 1, as_of)
            if begin <= at < end:
                currency, value = subscription_monthly(sub, at)
                exact[n][currency] += value
    return [
        TrendPoint(m.label, {c: round_half_even(v) for c, v in sorted(e.items()) if v})
        for m, e in zip(span, exact, strict=True)
    ]


def _value_at(conn: sqlite3.Connection, sub: dict[str, Any], at: int, now: int) -> Fraction:
    """The subscription's MRR at time `at` (see the module's docstring)."""
    if at >= now:
        counted = sub.get("status") in MRR_STATUSES and not isinstance(
            sub.get("pause_collection"), dict
        )
        return subscription_monthly(sub, at)[1] if counted else Fraction(0)
    row = conn.execute(_LAST_EVENT_SQL, (sub["id"], at)).fetchone()
    if row and row[0]:
        then = orjson.loads(row[0])
        if then.get("status") not in MRR_STATUSES or isinstance(then.get("pause_collection"), dict):
            return Fraction(0)
        return subscription_monthly(then, at)[1]
    begin, end = _paying_span(sub)
    if sub.get("status") not in _COUNTED or not begin <= at < end:
        return Fraction(0)
    return subscription_monthly(sub, at)[1]


def movements(conn: sqlite3.Connection, as_of: int | None = None) -> dict[str, Movement]:
    """The current month's MRR movements per kind (see the module's docstring)."""
    now = int(time.time()) if as_of is None else as_of
    start = month_of(now).start
    exact: dict[str, dict[str, Fraction]] = {k: defaultdict(Fraction) for k in MOVEMENTS}
    who: dict[str, set[str]] = {k: set() for k in MOVEMENTS}
    for (customer,) in conn.execute(_MOVED_SQL, {"start": start}):
        if customer is None:
            continue
        subs = [orjson.loads(d) for (d,) in conn.execute(_CUSTOMER_SUBS_SQL, (customer,))]
        before: dict[str, Fraction] = defaultdict(Fraction)
        after: dict[str, Fraction] = defaultdict(Fraction)
        ended_earlier: set[str] = set()
        for sub in subs:
            currency = str(sub.get("currency") or "").lower()
            before[currency] += _value_at(conn, sub, start - 1, now)
            after[currency] += _value_at(conn, sub, now, now)
            begin, end = _paying_span(sub)
            if begin < end < start:
                ended_earlier.add(currency)
        for currency in set(before) | set(after):
            was, now_is = before[currency], after[currency]
            if was == now_is:
                continue
            if was == 0:
                kind = "reactivated" if currency in ended_earlier else "new"
            elif now_is == 0:
                kind = "churned"
            else:
                kind = "expansion" if now_is > was else "contraction"
            exact[kind][currency] += abs(now_is - was)
            who[kind].add(customer)
    return {
        kind: Movement(
            {c: round_half_even(v) for c, v in sorted(exact[kind].items())}, sorted(who[kind])
        )
        for kind in MOVEMENTS
    }


_STATUS_COUNT_SQL = """
SELECT status, count(*) FROM subscriptions
WHERE deleted = 0 AND status IN ('active', 'trialing', 'past_due') GROUP BY 1
"""


def subscription_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Active subscribers, trialing and past due: subscriptions per status."""
    counts = dict.fromkeys(("active", "trialing", "past_due"), 0)
    counts.update(dict(conn.execute(_STATUS_COUNT_SQL).fetchall()))
    return counts
