"""What a picker offers: customers matching what the user typed (the cache's full-text search,
a page of a few rows, instant at a million customers) and the catalogue's prices that can be
sold (active prices of active products), each as plain data a dialog shows and hands on.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass

from desk_billing.core.cache import lists
from desk_billing.core.cache.lists import ListQuery
from desk_billing.core.cache.pages import fetch_page
from desk_billing.core.money import format_amount

CUSTOMER_CHOICES = 8  # matches a customer picker offers at once
PRICE_CHOICES = 50
_CUSTOMER_ID = re.compile(r"^cus_\w+$")


@dataclass(frozen=True)
class CustomerChoice:
    id: str
    name: str | None
    email: str | None
    currency: str | None  # lower-case, as Stripe writes it; None until the first invoice

    @property
    def title(self) -> str:
        return self.name or self.email or self.id

    @property
    def label(self) -> str:
        """One line a person reads: name, email and currency."""
        parts = [self.title]
        if self.email and self.email != self.title:
            parts.append(self.email)
        parts.append(self.currency.upper() if self.currency else "no currency yet")
        return " · ".join(parts)


def looks_like_customer_id(text: str) -> bool:
    return bool(_CUSTOMER_ID.match(text.strip()))


def customer_choice(conn: sqlite3.Connection, customer_id: str) -> CustomerChoice | None:
    row = conn.execute(
        "SELECT id, name, email, currency FROM customers WHERE id = ? AND deleted = 0",
        (customer_id.strip(),),
    ).fetchone()
    return CustomerChoice(*row) if row else None


def find_customers(
    conn: sqlite3.Connection,
    text: str,
    limit: int = CUSTOMER_CHOICES,
    cancelled: threading.Event | None = None,
) -> list[CustomerChoice]:
    """Customers whose name, email or id matches `text` (word beginnings), newest first; a
    pasted id first of all."""
    text = text.strip()
    if not text:
        return []
    exact = customer_choice(conn, text) if looks_like_customer_id(text) else None
    spec = lists.CUSTOMERS
    page = fetch_page(conn, spec, ListQuery(search=text), None, limit, cancelled)
    at = {key: spec.index_of(key) for key in ("id", "name", "email", "currency")}
    found = [
        CustomerChoice(row[at["id"]], row[at["name"]], row[at["email"]], row[at["currency"]])
        for _rowid, _id, *row in page.rows
    ]
    if exact is not None:
        found = [exact, *(c for c in found if c.id != exact.id)]
    return found[:limit]


@dataclass(frozen=True)
class PriceChoice:
    id: str
    product: str  # the product's name
    nickname: str | None
    unit_amount: int | None
    currency: str
    interval: str | None  # None for a one-time price
    interval_count: int = 1

    @property
    def amount_text(self) -> str:
        if self.unit_amount is None:
            return "custom amount"
        amount = format_amount(self.unit_amount, self.currency)
        if not self.interval:
            return amount
        every = (
            self.interval if self.interval_count == 1 else f"{self.interval_count} {self.interval}s"
        )
        return f"{amount} / {every}"

    @property
    def label(self) -> str:
        name = f"{self.product} — {self.nickname}" if self.nickname else self.product
        return f"{name} · {self.amount_text} · {self.currency.upper()}"


def find_prices(
    conn: sqlite3.Connection,
    text: str = "",
    recurring: bool = True,
    limit: int = PRICE_CHOICES,
) -> list[PriceChoice]:
    """Active prices of active products whose product name, nickname or id contains `text`,
    by product name then amount. Archived prices and products are never offered."""
    like = f"%{text.strip()}%"
    rows = conn.execute(
        "SELECT p.id, coalesce(r.name, p.product), p.nickname, p.unit_amount, p.currency,"
        " p.interval, coalesce(json_extract(p.data, '$.recurring.interval_count'), 1)"
        " FROM prices p LEFT JOIN products r ON r.id = p.product AND r.deleted = 0"
        " WHERE p.deleted = 0 AND coalesce(p.active, 1) = 1 AND coalesce(r.active, 1) = 1"
        f" AND {'p.interval IS NOT NULL' if recurring else '1'}"
        " AND (r.name LIKE ? OR p.nickname LIKE ? OR p.id LIKE ? OR p.lookup_key LIKE ?)"
        " ORDER BY coalesce(r.name, p.product), p.currency, p.unit_amount, p.id LIMIT ?",
        (like, like, like, like, limit),
    ).fetchall()
    return [PriceChoice(*row) for row in rows]
