"""Invoice payments in the cache: the backfill keeps every one, events keep them current (an
invoice's payment opens, is paid, is canceled), and an event delivered late never overwrites the
newer state it follows."""

from __future__ import annotations

import orjson
import stripe

from desk_billing.core.cache import Cache
from desk_billing.core.sync import SyncEngine
from tests.integration.conftest import SILENT_FIELDS, assert_cache_equals_server, server_objects


def _customer(client: stripe.StripeClient, name: str = "Ada") -> str:
    return client.v1.customers.create(
        {
            "name": name,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    ).id


def _invoice(client: stripe.StripeClient, customer: str, amount: int, currency: str = "eur") -> str:
    client.v1.invoice_items.create({"customer": customer, "amount": amount, "currency": currency})
    return client.v1.invoices.create(
        {"customer": customer, "pending_invoice_items_behavior": "include"}
    ).id


def _payments(cache: Cache, invoice_id: str) -> list[tuple]:
    return cache.conn.execute(
        "SELECT status, amount_requested, amount_paid, currency, payment_intent FROM "
        "invoice_payments WHERE invoice = ? AND deleted = 0 ORDER BY created",
        (invoice_id,),
    ).fetchall()


def test_the_backfill_caches_every_invoice_payment_with_its_payment_intent(client, gateway, cache):
    customer = _customer(client)
    paid = _invoice(client, customer, 15000)
    client.v1.invoices.pay(paid)
    voided = _invoice(client, customer, 2500)
    client.v1.invoices.finalize_invoice(voided)
    client.v1.invoices.void_invoice(voided)
    open_ = _invoice(client, customer, 700)
    client.v1.invoices.finalize_invoice(open_)

    SyncEngine(gateway, cache, reconcile_every_s=None).run()

    server = server_objects(client, "invoice_payments")
    assert len(server) == 3
    assert_cache_equals_server(cache, client)
    paying = client.v1.invoices.retrieve(paid, {"expand": ["payments"]}).payments.data[0]
    intent = paying.payment.payment_intent
    assert _payments(cache, paid) == [("paid", 15000, 15000, "eur", intent)]
    assert client.v1.payment_intents.retrieve(intent).status == "succeeded"
    assert [row[0] for row in _payments(cache, voided)] == ["canceled"]
    assert [row[:3] for row in _payments(cache, open_)] == [("open", 700, None)]


def test_events_open_pay_and_cancel_an_invoices_payment_in_the_cache(client, gateway, cache):
    engine = SyncEngine(gateway, cache, reconcile_every_s=None)
    customer = _customer(client)
    paid, voided = _invoice(client, customer, 4200), _invoice(client, customer, 990)
    engine.run()
    assert _payments(cache, paid) == []  # drafts have none

    client.v1.invoices.finalize_invoice(paid)
    client.v1.invoices.finalize_invoice(voided)
    report = engine.poll()
    # No invoice_payment.* event announces an open payment: the invoice's events bring it.
    assert [row[:3] for row in _payments(cache, paid)] == [("open", 4200, None)]
    assert [row[:3] for row in _payments(cache, voided)] == [("open", 990, None)]
    assert report.changed["invoice_payments"]

    client.v1.invoices.pay(paid)
    client.v1.invoices.void_invoice(voided)
    engine.poll()
    assert [row[:3] for row in _payments(cache, paid)] == [("paid", 4200, 4200)]
    assert [row[0] for row in _payments(cache, voided)] == ["canceled"]
    assert_cache_equals_server(cache, client, ignore=SILENT_FIELDS)


def test_an_older_event_delivered_after_a_newer_one_leaves_the_newer_state(
    sandbox, client, gateway, tmp_path
):
    """Two updates of a customer and of a subscription, a second apart; their events reach a
    second cache (the webhook path) newest first, then again oldest first."""
    customer = _customer(client, "First name")
    product = client.v1.products.create({"name": "Plan"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "eur",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
        }
    )
    sub = client.v1.subscriptions.create({"customer": customer, "items": [{"price": price.id}]}).id
    with Cache.open(tmp_path / "a.sqlite3") as cache, Cache.open(tmp_path / "b.sqlite3") as late:
        engine = SyncEngine(gateway, cache, reconcile_every_s=None)
        engine.run()
        SyncEngine(gateway, late, reconcile_every_s=None).run()

        client.v1.customers.update(customer, {"name": "Older name"})
        client.v1.subscriptions.update(sub, {"metadata": {"seats": "1"}})
        sandbox.advance_time(seconds=2)
        client.v1.customers.update(customer, {"name": "Newer name"})
        client.v1.subscriptions.update(sub, {"metadata": {"seats": "9"}})
        engine.poll()
        assert cache.get("customers", customer)["name"] == "Newer name"

        known = {row[0] for row in late.conn.execute("SELECT id FROM events")}
        events = [
            orjson.loads(data)
            for (event_id, data) in cache.conn.execute(
                "SELECT id, data FROM events ORDER BY created"
            )
            if event_id not in known
        ]
        assert len(events) == 4 and events[0]["created"] < events[-1]["created"]
        late_engine = SyncEngine(gateway, late, reconcile_every_s=None)
        for event in reversed(events):  # newest first
            late_engine.apply_event(event)
        assert late.get("customers", customer)["name"] == "Newer name"
        assert late.get("subscriptions", sub)["metadata"] == {"seats": "9"}
        assert late.get("customers", customer) == cache.get("customers", customer)
        assert late.get("subscriptions", sub) == cache.get("subscriptions", sub)
