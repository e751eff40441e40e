"""The overview's figures as plain tables (header + rows of text), for CSV files and stdout.

Amounts are written in major units with the currency beside them, as list exports are. Cells a
spreadsheet would read as a formula are neutralised (OWASP CSV injection: a leading quote).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

from desk_billing.core.money import to_decimal

from .collections import QueueItem
from .revenue import RefundsByReason, RevenueMonth, TopCustomer

Table = tuple[list[str], list[list[str]]]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_csv(table: Table, handle: TextIO) -> None:
    header, rows = table
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows([safe_cell(c) for c in row] for row in rows)


def _major(amount: int, currency: str) -> str:
    return str(to_decimal(int(amount), currency))


def revenue_table(rows: Iterable[RevenueMonth]) -> Table:
    header = ["month", "currency", "payments", "refunds", "credit_notes", "net", "count"]
    return header, [
        [
            r.month,
            r.currency.upper(),
            *(_major(a, r.currency) for a in (r.payments, r.refunds, r.credit_notes, r.net)),
            str(r.count),
        ]
        for r in rows
    ]


def refunds_table(rows: Iterable[RefundsByReason]) -> Table:
    header = ["month", "currency", "reason", "amount", "count"]
    return header, [
        [r.month, r.currency.upper(), r.reason, _major(r.amount, r.currency), str(r.count)]
        for r in rows
    ]


def top_customers_table(rows: Iterable[TopCustomer]) -> Table:
    header = ["customer", "name", "email", "currency", "net"]
    return header, [
        [r.customer, r.name or "", r.email or "", r.currency.upper(), _major(r.net, r.currency)]
        for r in rows
    ]


def queue_table(rows: Iterable[QueueItem]) -> Table:
    header = ["kind", "id", "customer", "name", "reason", "currency", "amount_remaining"]
    header.append("days_overdue")
    return header, [
        [
            q.kind, q.id, q.customer or "", q.customer_name or "", q.reason, q.currency.upper(),
            _major(q.amount_remaining, q.currency), str(q.days_overdue),
        ]
        for q in rows
    ]  # fmt: skip


def per_currency_table(header: Sequence[str], rows: Iterable[tuple[str, str, int]]) -> Table:
    """(label, currency, minor units) rows: the trend, the movements, failed payments."""
    return list(header), [
        [label, currency.upper(), _major(amount, currency)] for label, currency, amount in rows
    ]
