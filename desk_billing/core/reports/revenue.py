"""Revenue per month and currency, refunds by reason, failed payments and top customers.

Revenue is money received through Stripe, net: succeeded charges (an invoice paid by card or
debit is its charge, so invoice and standalone payments are each counted once), less
refunds (succeeded or pending, by the refund's date) and less credit notes issued after payment
for what they did not refund (credit to the balance, out of band; a refunding note is already a
refund). Invoices marked paid out of band are not money Stripe received (and API 2026-10-28
no longer says so on the invoice), so they are not counted. Months are UTC; amounts are minor units of each currency, never converted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .periods import MONTH_SQL, Month, months_between

_MONTH = MONTH_SQL.format(column="created")

_CHARGES_SQL = f"""
SELECT {_MONTH}, lower(currency), sum(amount_captured), count(*) FROM charges
WHERE deleted = 0 AND status = 'succeeded' AND created >= ? AND created < ?
GROUP BY 1, 2
"""

_REFUNDS_SQL = f"""
SELECT {_MONTH}, lower(currency), coalesce(reason, ''), sum(amount), count(*) FROM refunds
WHERE deleted = 0 AND status IN ('succeeded', 'pending') AND created >= ? AND created < ?
GROUP BY 1, 2, 3
"""

_CREDIT_NOTES_SQL = f"""
SELECT {_MONTH}, lower(currency), sum(credited) FROM (
  SELECT created, currency,
         coalesce(json_extract(data, '$.post_payment_amount'), total)
         - coalesce((SELECT sum(json_extract(r.value, '$.amount_refunded'))
                     FROM json_each(data, '$.refunds') AS r), 0) AS credited
  FROM credit_notes
  WHERE deleted = 0 AND status = 'issued' AND json_extract(data, '$.type') = 'post_payment'
    AND created >= ? AND created < ?
) GROUP BY 1, 2
"""

_FAILED_SQL = """
SELECT lower(currency), count(*), sum(amount) FROM charges
WHERE deleted = 0 AND status = 'failed' AND created >= ? AND created < ?
GROUP BY 1
"""

_TOP_SQL = """
SELECT c.customer, lower(c.currency), sum(c.amount_captured)
       - coalesce(sum((SELECT sum(r.amount) FROM refunds AS r
                       WHERE r.charge = c.id AND r.deleted = 0
                         AND r.status IN ('succeeded', 'pending'))), 0) AS net,
       cu.name, cu.email
FROM charges AS c LEFT JOIN customers AS cu ON cu.id = c.customer
WHERE c.deleted = 0 AND c.status = 'succeeded' AND c.customer IS NOT NULL
  AND c.created >= ? AND c.created < ?
GROUP BY 1, 2 ORDER BY net DESC
"""


@dataclass(frozen=True)
class RevenueMonth:
    month: str  # "2026-12"
    currency: str
    payments: int  # succeeded charges
    refunds: int
    credit_notes: int
    count: int  # payments counted

    @property
    def net(self) -> int:
        return self.payments - self.refunds - self.credit_notes

    def as_json(self) -> dict[str, object]:
        return {
            "month": self.month,
            "currency": self.currency,
            "payments": self.payments,
            "refunds": self.refunds,
            "credit_notes": self.credit_notes,
            "net": self.net,
            "count": self.count,
        }


@dataclass(frozen=True)
class RefundsByReason:
    month: str
    currency: str
    reason: str  # Stripe's reason, "" when none was given
    amount: int
    count: int


@dataclass(frozen=True)
class FailedPayments:
    currency: str
    count: int
    amount: int


@dataclass(frozen=True)
class TopCustomer:
    customer: str
    currency: str
    net: int
    name: str | None
    email: str | None


def revenue(conn: sqlite3.Connection, start: int, end: int) -> list[RevenueMonth]:
    """Net revenue per month and currency for [start, end), months with no money left out."""
    rows: dict[tuple[str, str], list[int]] = {}

    def add(key: tuple[str, str], column: int, amount: int, count: int = 0) -> None:
        row = rows.setdefault(key, [0, 0, 0, 0])
        row[column] += int(amount or 0)
        row[3] += count if column == 0 else 0

    for month, currency, amount, count in conn.execute(_CHARGES_SQL, (start, end)):
        add((month, currency), 0, amount, count)
    for month, currency, _reason, amount, _count in conn.execute(_REFUNDS_SQL, (start, end)):
        add((month, currency), 1, amount)
    for month, currency, amount in conn.execute(_CREDIT_NOTES_SQL, (start, end)):
        add((month, currency), 2, amount)
    order = {m.label: n for n, m in enumerate(months_between(start, end))}
    return [
        RevenueMonth(month, currency, *values)
        for (month, currency), values in sorted(
            rows.items(), key=lambda kv: (order.get(kv[0][0], 0), kv[0][1])
        )
    ]


def refunds_by_reason(conn: sqlite3.Connection, start: int, end: int) -> list[RefundsByReason]:
    return [
        RefundsByReason(month, currency, reason, int(amount), count)
        for month, currency, reason, amount, count in conn.execute(_REFUNDS_SQL, (start, end))
    ]


def failed_payments(conn: sqlite3.Connection, month: Month) -> list[FailedPayments]:
    """Failed charges (each failed attempt) in the month, per currency."""
    return [
        FailedPayments(currency, count, int(amount or 0))
        for currency, count, amount in conn.execute(_FAILED_SQL, (month.start, month.end))
    ]


def top_customers(
    conn: sqlite3.Connection, start: int, end: int, limit: int = 10
) -> list[TopCustomer]:
    """The customers who paid most in [start, end), net of refunds, `limit` per currency."""
    taken: dict[str, int] = {}
    out = []
    for customer, currency, net, name, email in conn.execute(_TOP_SQL, (start, end)):
        if taken.get(currency, 0) >= limit:
            continue
        taken[currency] = taken.get(currency, 0) + 1
        out.append(TopCustomer(customer, currency, int(net), name, email))
    return out
