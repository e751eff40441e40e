"""Shape parity: every object the demo account serves carries all of Stripe's fixture keys."""

from __future__ import annotations

import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import TEST_KEY, assert_shape


def test_every_listed_object_has_the_fixture_keys_of_its_resource(stripe_fixtures: dict) -> None:
    with Sandbox(seed="demo") as sandbox:
        client = stripe.StripeClient(TEST_KEY, base_addresses={"api": sandbox.url})
        listings = {
            "customer": client.v1.customers.list({"limit": 100}),
            "product": client.v1.products.list({"limit": 100}),
            "price": client.v1.prices.list({"limit": 100}),
            "subscription": client.v1.subscriptions.list({"status": "all", "limit": 100}),
            "invoice": client.v1.invoices.list({"limit": 100}),
            "invoiceitem": client.v1.invoice_items.list({"limit": 100}),
            "payment_intent": client.v1.payment_intents.list({"limit": 100}),
            "charge": client.v1.charges.list({"limit": 100}),
            "refund": client.v1.refunds.list({"limit": 100}),
            "event": client.v1.events.list({"limit": 100}),
            "payment_method": client.v1.payment_methods.list({"limit": 100}),
            "credit_note": client.v1.credit_notes.list({"limit": 100}),
        }
        seen: dict[str, int] = {}
        for resource, listing in listings.items():
            for obj in listing.auto_paging_iter():
                assert obj.object == resource
                assert_shape(obj, stripe_fixtures[resource])
                seen[resource] = seen.get(resource, 0) + 1
        invoice = next(iter(listings["invoice"].data))
        for line in client.v1.invoices.line_items.list(invoice.id).data:
            assert_shape(line, stripe_fixtures["line_item"])
        subscription = next(iter(listings["subscription"].data))
        for item in subscription["items"].data:
            assert_shape(item, stripe_fixtures["subscription_item"])
    assert all(seen.get(resource) for resource in listings), seen
