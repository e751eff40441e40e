"""The collections queue: everything unpaid someone should act on, most urgent first.

- open invoices past their due date (`due_date`, or when they were finalised for invoices
  charged automatically), with the amount remaining;
- failed payment intents not yet retried (`requires_payment_method` after an error), unless an
  open invoice of the same customer, amount and currency is in the queue (then it is that
  invoice's payment, and the invoice is what to act on);
- subscriptions `past_due` or `unpaid`, with what their latest invoice still asks;
- SEPA Direct Debits still `processing` more than `SEPA_EXPECTED_DAYS` after they were made
  (Stripe: up to 14 business days), counted overdue from then.

Most urgent first: most days overdue, then the largest amount.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

DAY = 86400
SEPA_EXPECTED_DAYS = 14

_INVOICES_SQL = """
SELECT i.id, i.customer, i.amount_remaining, lower(i.currency),
       coalesce(i.due_date, json_extract(i.data, '$.status_transitions.finalized_at'), i.created),
       i.subscription, i.number, cu.name, cu.email
FROM invoices AS i LEFT JOIN customers AS cu ON cu.id = i.customer
WHERE i.deleted = 0 AND i.status = 'open' AND i.amount_remaining > 0
  AND coalesce(i.due_date, json_extract(i.data, '$.status_transitions.finalized_at'), i.created) < ?
"""

_FAILED_SQL = """
SELECT p.id, p.customer, p.amount, lower(p.currency), p.created,
       json_extract(p.data, '$.last_payment_error.message'), cu.name, cu.email
FROM payment_intents AS p LEFT JOIN customers AS cu ON cu.id = p.customer
WHERE p.deleted = 0 AND p.status = 'requires_payment_method'
  AND json_type(p.data, '$.last_payment_error') = 'object'
"""

_SUBSCRIPTIONS_SQL = """
SELECT s.id, s.customer, coalesce(i.amount_remaining, 0), lower(s.currency),
       coalesce(i.due_date, json_extract(i.data, '$.status_transitions.finalized_at'),
                i.created, s.current_period_end),
       s.status, cu.name, cu.email
FROM subscriptions AS s
LEFT JOIN invoices AS i ON i.id = json_extract(s.data, '$.latest_invoice')
LEFT JOIN customers AS cu ON cu.id = s.customer
WHERE s.deleted = 0 AND s.status IN ('past_due', 'unpaid')
"""

_SEPA_SQL = """
SELECT p.id, p.customer, p.amount, lower(p.currency), p.created, cu.name, cu.email
FROM payment_intents AS p
JOIN charges AS c ON c.id = p.latest_charge
LEFT JOIN customers AS cu ON cu.id = p.customer
WHERE p.deleted = 0 AND p.status = 'processing' AND p.created < ?
  AND json_extract(c.data, '$.payment_method_details.type') = 'sepa_debit'
"""


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "invoice" | "payment_intent" | "subscription"
    id: str
    customer: str | None
    amount_remaining: int
    currency: str
    days_overdue: int
    reason: str  # what the row is, in words
    customer_name: str | None = None
    customer_email: str | None = None

    def as_json(self) -> dict[str, object]:
        """The CLI contract's shape (`desk-billing report collections --json`)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "customer": self.customer,
            "amount_remaining": self.amount_remaining,
            "currency": self.currency,
            "days_overdue": self.days_overdue,
        }


def _days(now: int, since: int | None) -> int:
    return max(0, (now - int(since or now)) // DAY)


def collections_queue(conn: sqlite3.Connection, now: int | None = None) -> list[QueueItem]:
    now = int(time.time()) if now is None else now
    items: list[QueueItem] = []
    owed: set[tuple[str | None, int, str]] = set()
    for iid, cus, remaining, currency, due, sub, number, name, email in conn.execute(
        _INVOICES_SQL, (now,)
    ):
        owed.add((cus, int(remaining), currency))
        what = f"Invoice {number or iid} past due" + (" (subscription)" if sub else "")
        items.append(
            QueueItem(
                "invoice", iid, cus, int(remaining), currency, _days(now, due), what, name, email
            )
        )
    for pid, cus, amount, currency, created, message, name, email in conn.execute(_FAILED_SQL):
        if (cus, int(amount), currency) in owed:
            continue
        what = f"Payment failed: {message}" if message else "Payment failed"
        items.append(
            QueueItem(
                "payment_intent", pid, cus, int(amount), currency, _days(now, created), what,
                name, email,
            )
        )  # fmt: skip
    for sid, cus, remaining, currency, due, status, name, email in conn.execute(_SUBSCRIPTIONS_SQL):
        what = "Subscription past due" if status == "past_due" else "Subscription unpaid"
        items.append(
            QueueItem(
                "subscription", sid, cus, int(remaining), currency, _days(now, due), what,
                name, email,
            )
        )  # fmt: skip
    expected = SEPA_EXPECTED_DAYS * DAY
    for pid, cus, amount, currency, created, name, email in conn.execute(
        _SEPA_SQL, (now - expected,)
    ):
        items.append(
            QueueItem(
                "payment_intent", pid, cus, int(amount), currency,
                _days(now, created + expected), "SEPA debit still processing", name, email,
            )
        )  # fmt: skip
    items.sort(key=lambda q: (-q.days_overdue, -q.amount_remaining, q.kind, q.id))
    return items
