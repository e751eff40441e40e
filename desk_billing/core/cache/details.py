"""What a detail pane shows of one row: the object as last synced and the rows around it
(a customer's subscriptions, invoices, payments and refunds; an invoice's lines and payments; ...).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from desk_billing.core.errors import ValidationError


def _object(conn: sqlite3.Connection, table: str, object_id: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT data FROM {table} WHERE id = ?", (object_id,)).fetchone()
    return None if row is None else orjson.loads(row[0])


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


RELATED_LIMIT = 50


def customer_detail(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any]:
    """A customer with its subscriptions, invoices, payments and refunds (newest first)."""
    limit = RELATED_LIMIT
    refunds_sql = (
        "SELECT id, created, status, amount, currency, reason, charge, payment_intent FROM refunds "
        "WHERE deleted = 0 AND (charge IN (SELECT id FROM charges WHERE customer = ?) "
        "OR payment_intent IN (SELECT id FROM payment_intents WHERE customer = ?)) "
        "ORDER BY created DESC LIMIT ?"
    )
    return {
        "object": _object(conn, "customers", customer_id),
        "subscriptions": _rows(
            conn,
            "SELECT id, created, status, current_period_end, description, price, "
            "(SELECT name FROM products p WHERE p.id = s.product) AS product_name FROM subscriptions s "
            "WHERE deleted = 0 AND customer = ? ORDER BY created DESC LIMIT ?",
            (customer_id, limit),
        ),
        "invoices": _rows(
            conn,
            "SELECT id, created, number, status, total, amount_remaining, currency, due_date "
            "FROM invoices WHERE deleted = 0 AND customer = ? ORDER BY created DESC LIMIT ?",
            (customer_id, limit),
        ),
        "payments": _rows(
            conn,
            "SELECT id, created, status, amount, currency, description FROM payment_intents "
            "WHERE deleted = 0 AND customer = ? UNION ALL "
            "SELECT id, created, status, amount, currency, description FROM charges "
            "WHERE deleted = 0 AND customer = ? AND payment_intent IS NULL "
            "ORDER BY created DESC LIMIT ?",
            (customer_id, customer_id, limit),
        ),
        "refunds": _rows(conn, refunds_sql, (customer_id, customer_id, limit)),
    }


def invoice_detail(conn: sqlite3.Connection, invoice_id: str) -> dict[str, Any]:
    """An invoice with its lines (as embedded, else its invoice items) and payments."""
    invoice = _object(conn, "invoices", invoice_id) or {}
    lines = [
        {
            "id": line.get("id"),
            "description": line.get("description"),
            "quantity": line.get("quantity"),
            "amount": line.get("amount"),
            "currency": line.get("currency") or invoice.get("currency"),
        }
        for line in ((invoice.get("lines") or {}).get("data") or [])
    ]
    if not lines:
        lines = _rows(
            conn,
            "SELECT id, description, NULL AS quantity, amount, currency FROM invoiceitems "
            "WHERE deleted = 0 AND invoice = ? ORDER BY created",
            (invoice_id,),
        )
    # Stripe's own link (`invoice.payments`, the InvoicePayment objects): each with the
    # payment intent it is paid by. `id` is that intent (what a refund of it names);
    # `status` the invoice payment's (open, paid, canceled), `intent_status` the intent's.
    payments = _rows(
        conn,
        "SELECT coalesce(ip.payment_intent, ip.id) AS id, ip.id AS invoice_payment, "
        "ip.payment_intent, ip.status, pi.status AS intent_status, "
        "coalesce(ip.amount_paid, ip.amount_requested) AS amount, ip.currency, "
        "coalesce(json_extract(ip.data, '$.status_transitions.paid_at'), "
        "json_extract(ip.data, '$.status_transitions.canceled_at'), ip.created) AS created "
        "FROM invoice_payments ip LEFT JOIN payment_intents pi ON pi.id = ip.payment_intent "
        "WHERE ip.deleted = 0 AND ip.invoice = ? ORDER BY ip.created DESC, ip.id",
        (invoice_id,),
    )
    return {"object": invoice or None, "lines": lines, "payments": payments}


def _ref(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def subscription_detail(conn: sqlite3.Connection, subscription_id: str) -> dict[str, Any]:
    """A subscription with its items (product names from the cache) and invoices."""
    sub = _object(conn, "subscriptions", subscription_id) or {}
    items = []
    for item in (sub.get("items") or {}).get("data") or []:
        price = item.get("price") or {}
        product = price.get("product")
        product_id = product.get("id") if isinstance(product, dict) else product
        name_row = conn.execute("SELECT name FROM products WHERE id = ?", (product_id,)).fetchone()
        recurring = price.get("recurring") or {}
        items.append(
            {
                "id": item.get("id"),
                "product": name_row[0] if name_row else product_id,
                "price": price.get("id"),
                "quantity": item.get("quantity") or 1,
                "unit_amount": price.get("unit_amount"),
                "currency": price.get("currency") or sub.get("currency"),
                "interval": recurring.get("interval"),
                "current_period_start": item.get("current_period_start"),
                "current_period_end": item.get("current_period_end"),
            }
        )
    invoices = _rows(
        conn,
        "SELECT id, created, number, status, total, currency FROM invoices "
        "WHERE deleted = 0 AND subscription = ? ORDER BY created DESC LIMIT ?",
        (subscription_id, RELATED_LIMIT),
    )
    customer = conn.execute(
        "SELECT coalesce(name, email) FROM customers WHERE id = ?", (_ref(sub.get("customer")),)
    ).fetchone()
    return {
        "object": sub or None,
        "items": items,
        "invoices": invoices,
        "customer_name": customer[0] if customer else None,
    }


def payment_detail(conn: sqlite3.Connection, table: str, object_id: str) -> dict[str, Any]:
    """A payment intent, charge or refund with the charges and refunds around it."""
    obj = _object(conn, table, object_id) or {}
    charge = _ref(obj.get("charge")) if table == "refunds" else None
    if table == "payment_intents":
        pi = object_id
    else:
        pi = _ref(obj.get("payment_intent"))
        if not pi and charge:
            row = conn.execute(
                "SELECT payment_intent FROM charges WHERE id = ?", (charge,)
            ).fetchone()
            pi = row[0] if row else None
    if not pi:  # a charge made without a payment intent, or a refund of one
        charges = _rows(
            conn,
            "SELECT id, created, status, amount, amount_refunded, currency FROM charges WHERE id = ?",
            (object_id if table == "charges" else charge,),
        )
    else:
        charges = _rows(
            conn,
            "SELECT id, created, status, amount, amount_refunded, currency FROM charges "
            "WHERE deleted = 0 AND payment_intent = ? ORDER BY created DESC",
            (pi,),
        )
    charge_ids = [c["id"] for c in charges] or ([charge] if charge else [])
    marks = ", ".join("?" * len(charge_ids)) or "NULL"
    refunds = _rows(
        conn,
        "SELECT id, created, status, amount, currency, reason FROM refunds WHERE deleted = 0 "
        f"AND (payment_intent = ? OR charge IN ({marks})) ORDER BY created DESC",
        (pi, *charge_ids),
    )
    return {"object": obj or None, "payment_intent": pi, "charges": charges, "refunds": refunds}


def product_detail(conn: sqlite3.Connection, product_id: str) -> dict[str, Any]:
    """A product with every price of it (archived ones too) and the subscriptions on each
    price (by their first item, as the cache keeps it), not ended, newest first."""
    prices = []
    for (data,) in conn.execute(
        "SELECT data FROM prices WHERE deleted = 0 AND product = ? ORDER BY active DESC, created DESC",
        (product_id,),
    ):
        price = orjson.loads(data)
        recurring = price.get("recurring") or {}
        price_id = price["id"]
        prices.append(
            {
                "id": price_id,
                "active": bool(price.get("active")),
                "currency": price.get("currency"),
                "unit_amount": price.get("unit_amount"),
                "type": price.get("type"),
                "interval": recurring.get("interval"),
                "interval_count": recurring.get("interval_count"),
                "nickname": price.get("nickname"),
                "lookup_key": price.get("lookup_key"),
                "subscriptions": _rows(
                    conn,
                    "SELECT s.id, s.status, s.created, s.current_period_end, "
                    "(SELECT coalesce(c.name, c.email) FROM customers c WHERE c.id = s.customer) "
                    "AS customer_name FROM subscriptions s WHERE s.deleted = 0 AND s.price = ? "
                    "AND s.status NOT IN ('canceled', 'incomplete_expired') "
                    "ORDER BY s.created DESC LIMIT ?",
                    (price_id, RELATED_LIMIT),
                ),
            }
        )
    return {"object": _object(conn, "products", product_id), "prices": prices}


def event_detail(conn: sqlite3.Connection, event_id: str) -> dict[str, Any]:
    """An event and the cached state of the object it is about."""
    event = _object(conn, "events", event_id) or {}
    return {"object": event or None}


def read_detail(conn: sqlite3.Connection, table: str, object_id: str) -> dict[str, Any]:
    """What the detail pane of a row of `table` shows; its "object" is None when not cached."""
    if table in ("payment_intents", "charges", "refunds"):
        return payment_detail(conn, table, object_id)
    readers = {
        "customers": customer_detail,
        "invoices": invoice_detail,
        "subscriptions": subscription_detail,
        "events": event_detail,
        "products": product_detail,
    }
    if table not in readers:
        raise ValidationError(f"The {table} table has no detail view.")
    return readers[table](conn, object_id)
