"""What an operation did, as one sentence in amounts and names: "Refunded ¥1,000 of ¥15,600 to
株式会社サンプル", "Invoice 9ODPDRJD-0011 (£45.00) sent to Acme Widgets Ltd" — not ids and API
states. Names come from the cache (the operation has just written its objects there)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from desk_billing.core.money import format_amount


def _ref(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def _one(conn: sqlite3.Connection, sql: str, *args: Any) -> Any:
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def _customer_name(conn: sqlite3.Connection, customer: Any) -> str | None:
    if isinstance(customer, Mapping) and (customer.get("name") or customer.get("email")):
        return str(customer.get("name") or customer.get("email"))
    customer_id = _ref(customer)
    if not customer_id:
        return None
    return (
        _one(conn, "SELECT coalesce(name, email) FROM customers WHERE id = ?", customer_id)
        or customer_id
    )


def _date(epoch: Any) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d")


def _money(amount: Any, currency: Any) -> str:
    return format_amount(int(amount or 0), str(currency or ""))


def _refund(conn: sqlite3.Connection, refund: Mapping[str, Any]) -> str:
    charge = _ref(refund.get("charge"))
    row = conn.execute("SELECT amount, customer FROM charges WHERE id = ?", (charge,)).fetchone()
    amount = _money(refund.get("amount"), refund.get("currency"))
    of = f" of {_money(row[0], refund.get('currency'))}" if row and row[0] else ""
    who = _customer_name(conn, row[1]) if row and row[1] else None
    to = f" to {who}" if who else ""
    status = refund.get("status")
    if status == "succeeded":
        return f"Refunded {amount}{of}{to}."
    if status in ("pending", "requires_action"):
        return f"Refund of {amount}{of}{to} is on its way (pending at the bank)."
    return f"Refund of {amount}{of}{to} {status}." if status else f"Refund of {amount}{of}{to}."


_INVOICE_DONE = {
    "draft": "saved as a draft for",
    "paid": "paid by",
    "void": "voided for",
    "uncollectible": "marked uncollectible for",
}


def _invoice(conn: sqlite3.Connection, invoice: Mapping[str, Any]) -> str:
    total = _money(invoice.get("total"), invoice.get("currency"))
    who = invoice.get("customer_name") or _customer_name(conn, invoice.get("customer"))
    name = f"Invoice {invoice['number']}" if invoice.get("number") else "Invoice"
    status = str(invoice.get("status") or "")
    if status == "open":
        verb = "sent to" if invoice.get("collection_method") == "send_invoice" else "finalized for"
    else:
        verb = _INVOICE_DONE.get(status, f"{status} for")
    return f"{name} ({total}) {verb} {who}."


def _every(price: Mapping[str, Any]) -> str:
    recurring = price.get("recurring") or {}
    interval, count = recurring.get("interval"), int(recurring.get("interval_count") or 1)
    if not interval:
        return ""
    return f" / {interval}" if count == 1 else f" / {count} {interval}s"


def _subscription(conn: sqlite3.Connection, sub: Mapping[str, Any]) -> str:
    who = _customer_name(conn, sub.get("customer"))
    parts = []
    for item in (sub.get("items") or {}).get("data") or ():
        price = item.get("price") or {}
        product = _ref(price.get("product"))
        name = _one(conn, "SELECT name FROM products WHERE id = ?", product) or product or "?"
        quantity = int(item.get("quantity") or 1)
        amount = _money(price.get("unit_amount"), price.get("currency")) + _every(price)
        parts.append(f"{quantity} × {name} ({amount})" if quantity > 1 else f"{name} ({amount})")
    what = f"Subscription to {', '.join(parts)}" if parts else "Subscription"
    status = sub.get("status")
    if status == "canceled":
        return f"{what} of {who} canceled."
    if sub.get("cancel_at_period_end") and sub.get("cancel_at"):
        return f"{what} of {who} ends {_date(sub['cancel_at'])}."
    if sub.get("pause_collection"):
        return f"Collection paused on the {what[0].lower()}{what[1:]} of {who}."
    if status == "trialing" and sub.get("trial_end"):
        return f"{what} for {who} is on trial until {_date(sub['trial_end'])}."
    if status in ("active", "trialing"):
        return f"{what} for {who} is running."
    return f"{what} for {who}: {str(status).replace('_', ' ')}."


def _customer(conn: sqlite3.Connection, customer: Mapping[str, Any]) -> str:
    name = customer.get("name") or customer.get("email") or customer.get("id")
    return f"Customer {name} {'deleted' if customer.get('deleted') else 'saved'}."


def _payment(conn: sqlite3.Connection, pi: Mapping[str, Any]) -> str:
    amount = _money(pi.get("amount"), pi.get("currency"))
    who = _customer_name(conn, pi.get("customer"))
    by = f" from {who}" if who else ""
    if pi.get("status") == "succeeded":
        return f"Charged {amount}{by}."
    return f"Payment of {amount}{by}: {str(pi.get('status')).replace('_', ' ')}."


_BY_OBJECT = {
    "refund": _refund,
    "invoice": _invoice,
    "subscription": _subscription,
    "customer": _customer,
    "payment_intent": _payment,
}


def result_sentence(conn: sqlite3.Connection, obj: Mapping[str, Any]) -> str | None:
    """One sentence on what an operation left behind; None for kinds it has no words for."""
    if obj.get("deleted") and obj.get("object") == "customer":
        # A deleted customer comes back as {id, object, deleted}: its name is in the cache.
        name = _customer_name(conn, obj.get("id"))
        return f"Customer {name} deleted."
    words = _BY_OBJECT.get(str(obj.get("object")))
    return words(conn, obj) if words is not None else None
