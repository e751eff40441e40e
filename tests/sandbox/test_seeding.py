"""The demo and bulk seeds: a believable account, and a large one, read through the SDK."""

from __future__ import annotations

from collections import Counter

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import TEST_KEY


@pytest.fixture(scope="module")
def demo() -> Sandbox:
    with Sandbox(seed="demo") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def demo_client(demo: Sandbox) -> stripe.StripeClient:
    return stripe.StripeClient(TEST_KEY, base_addresses={"api": demo.url})


def _all(listing) -> list:
    return list(listing.auto_paging_iter())


def test_demo_has_dozens_of_customers_with_non_ascii_names(
    demo_client: stripe.StripeClient,
) -> None:
    customers = _all(demo_client.v1.customers.list({"limit": 100}))
    assert len(customers) >= 36
    names = {c.name for c in customers}
    assert {"Zoë Müller", "株式会社サンプル", "Łukasz Wiśniewski"} <= names
    assert all(c.email for c in customers)


def test_demo_subscriptions_cover_every_status(demo_client: stripe.StripeClient) -> None:
    subscriptions = _all(demo_client.v1.subscriptions.list({"status": "all", "limit": 100}))
    statuses = Counter(s.status for s in subscriptions)
    assert set(statuses) >= {
        "incomplete",
        "incomplete_expired",
        "trialing",
        "active",
        "past_due",
        "canceled",
        "unpaid",
        "paused",
    }
    default = _all(demo_client.v1.subscriptions.list({"limit": 100}))
    assert "canceled" not in {s.status for s in default}


def test_demo_has_a_year_of_invoices_in_every_status_and_currency(
    demo: Sandbox, demo_client: stripe.StripeClient
) -> None:
    invoices = _all(demo_client.v1.invoices.list({"limit": 100}))
    assert {i.status for i in invoices} == {"draft", "open", "paid", "void", "uncollectible"}
    assert {"eur", "usd", "gbp", "jpy", "kwd"} <= {i.currency for i in invoices}
    span_days = (max(i.created for i in invoices) - min(i.created for i in invoices)) / 86400
    assert span_days > 300
    finalized = [i for i in invoices if i.status != "draft"]
    assert all(i.number and i.invoice_pdf.startswith(demo.url) for i in finalized)


def test_demo_has_failed_payments_and_partial_refunds(demo_client: stripe.StripeClient) -> None:
    intents = _all(demo_client.v1.payment_intents.list({"limit": 100}))
    assert {
        "succeeded",
        "requires_payment_method",
        "requires_capture",
        "requires_action",
        "processing",
        "canceled",
    } <= {p.status for p in intents}
    refunds = _all(demo_client.v1.refunds.list({"limit": 100}))
    charges = {c.id: c for c in _all(demo_client.v1.charges.list({"limit": 100}))}
    partially = [c for c in charges.values() if 0 < c.amount_refunded < c.amount_captured]
    assert refunds and partially
    assert any(c.status == "failed" for c in charges.values())


def test_demo_events_cover_only_the_last_30_days(
    demo: Sandbox, demo_client: stripe.StripeClient
) -> None:
    events = _all(demo_client.v1.events.list({"limit": 100}))
    assert events
    now = demo.state.now()
    assert min(e.created for e in events) >= now - 30 * 86400
    assert demo.state.offset == 0  # the demo ends at the real present


def test_bulk_seed_builds_each_kind_and_lists_all_of_it() -> None:
    with Sandbox() as sandbox:
        counts = sandbox.seed("bulk", each=150)
        client = stripe.StripeClient(TEST_KEY, base_addresses={"api": sandbox.url})
        for kind in ("customers", "products", "prices", "invoiceitems", "charges", "refunds"):
            assert counts[kind] >= 150
        subs = _all(client.v1.subscriptions.list({"status": "all", "limit": 100}))
        assert len(subs) == counts["subscriptions"] >= 150
        assert sum(s.status == "canceled" for s in subs) >= 15
        assert len(_all(client.v1.customers.list({"limit": 100}))) == counts["customers"]
        assert client.v1.events.list().data == []  # bulk history predates the events window
