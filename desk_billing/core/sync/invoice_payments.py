"""An invoice's payments read again when an event says the invoice changed.

Stripe (API version 2026-10-28.endive) announces an InvoicePayment only when it is paid
(`invoice_payment.paid`, the one `invoice_payment.*` event type stripe-python declares); those
events are applied like any other. Its other changes have no event of their own: finalizing an
invoice opens its default payment, voiding or paying it out of band cancels it, a credit note
lowers its `amount_requested`. Each of those comes with an `invoice.*` event, so those events
make the sync list the invoice's payments again (`/v1/invoice_payments?invoice=`) and store what
Stripe has now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from typing import Any

from desk_billing.core.cache import Cache
from desk_billing.core.errors import NotFound
from desk_billing.core.sync.common import Tally
from desk_billing.core.sync.fetch import Fetcher

TABLE = "invoice_payments"
PATH = "/v1/invoice_payments"
# The invoice events after which its payments may differ from what the cache holds.
REFRESHING_EVENTS = frozenset(
    {
        "invoice.finalized",  # its default payment opens
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.voided",  # the open payment is canceled
        "invoice.marked_uncollectible",
        "invoice.updated",  # paid out of band, a credit note, an amount change
    }
)

Refreshed = dict[str, list[dict[str, Any]] | None]  # invoice id -> its payments (None: no list)


def invoices_to_refresh(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The invoices whose payments the events may have changed, in the events' order."""
    seen: dict[str, None] = {}
    for event in events:
        if event.get("type") not in REFRESHING_EVENTS:
            continue
        obj = (event.get("data") or {}).get("object") or {}
        invoice_id = obj.get("id") if isinstance(obj, Mapping) else None
        if isinstance(invoice_id, str):
            seen.setdefault(invoice_id, None)
    return list(seen)


def fetch_payments(fetcher: Fetcher, invoice_id: str) -> list[dict[str, Any]] | None:
    """Every payment of one invoice as Stripe lists it now; None when the server has no such
    list (an older server: the payments then stay as the cache has them)."""
    payments: list[dict[str, Any]] = []
    params: dict[str, Any] = {"invoice": invoice_id}
    while True:
        try:
            page = fetcher.page(PATH, params)
        except NotFound:
            return None
        payments.extend(page.data)
        if not page.has_more or not page.data:
            return payments
        params = {"invoice": invoice_id, "starting_after": page.data[-1]["id"]}


def fetch_all(fetcher: Fetcher, invoice_ids: list[str], pool: Executor | None) -> Refreshed:
    def one(invoice_id: str) -> list[dict[str, Any]] | None:
        return fetch_payments(fetcher, invoice_id)

    results = (
        pool.map(one, invoice_ids)
        if pool is not None and len(invoice_ids) > 1
        else map(one, invoice_ids)
    )
    return dict(zip(invoice_ids, results, strict=True))


def store(cache: Cache, refreshed: Refreshed, tally: Tally) -> None:
    """Write each invoice's listed payments; one the cache has that Stripe no longer lists
    (an incomplete subscription's invoice that expired) is marked deleted."""
    for invoice_id, payments in refreshed.items():
        if payments is None:
            continue
        listed = {p["id"] for p in payments}
        if payments:
            cache.upsert(TABLE, payments)
            tally.wrote(TABLE, listed)
        gone = [
            row[0]
            for row in cache.conn.execute(
                f"SELECT id FROM {TABLE} WHERE invoice = ? AND deleted = 0", (invoice_id,)
            )
            if row[0] not in listed
        ]
        for payment_id in gone:
            cache.mark_deleted(TABLE, payment_id)
        if gone:
            tally.deleted(TABLE, gone)
