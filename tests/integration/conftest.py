"""Fixtures for the sync engine against a live sandbox: the real SDK over HTTP, no mocks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import stripe

from desk_billing.core.cache import Cache
from desk_billing.core.cache.migrations import migrate
from desk_billing.core.gateway import Gateway
from desk_billing.core.profiles import Profile
from desk_billing.core.sync import RESOURCES, SyncEngine
from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import every_response_has_stripes_shape  # noqa: F401 - autouse

TEST_KEY = "sk_test_integration0000000000"
SEED_EACH = 110  # more than one page of every kind


def sdk_client(sb: Sandbox) -> stripe.StripeClient:
    """The official SDK, typed objects: a different path from the engine's raw pages."""
    return stripe.StripeClient(TEST_KEY, base_addresses={"api": sb.url}, max_network_retries=0)


@pytest.fixture
def client(sandbox: Sandbox) -> stripe.StripeClient:
    return sdk_client(sandbox)


def make_gateway(sb: Sandbox) -> Gateway:
    # Far above the sandbox's speed: tests measure correctness, the benchmarks measure the limiter.
    return Gateway.from_profile(
        Profile("integration"), TEST_KEY, api_base=sb.url, rate=10_000, env={}
    )


@pytest.fixture
def gateway(sandbox: Sandbox) -> Gateway:
    return make_gateway(sandbox)


@pytest.fixture
def cache(tmp_path) -> Iterator[Cache]:
    with Cache.open(tmp_path / "cache.sqlite3") as opened:
        yield opened


@pytest.fixture
def engine(gateway: Gateway, cache: Cache) -> SyncEngine:
    return SyncEngine(gateway, cache, reconcile_every_s=None)


def populate(c: stripe.StripeClient, n: int = SEED_EACH) -> dict[str, list[str]]:
    """An account with more than `n` objects of every kind the sandbox serves, canceled
    subscriptions, paid and open invoices, partial refunds. Returns ids by kind."""
    prices, customers, subscriptions = [], [], []
    for i in range(n):
        product = c.v1.products.create({"name": f"Plan {i}", "metadata": {"tier": str(i % 3)}})
        prices.append(
            c.v1.prices.create(
                {
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": 500 + i,
                    "recurring": {"interval": "month"},
                }
            ).id
        )
    for i in range(n):
        customers.append(
            c.v1.customers.create(
                {
                    "email": f"c{i}@example.com",
                    "name": f"Customer {i}",
                    "payment_method": "pm_card_visa",
                    "invoice_settings": {"default_payment_method": "pm_card_visa"},
                }
            ).id
        )
    for customer, price in zip(customers, prices, strict=True):
        subscriptions.append(
            c.v1.subscriptions.create({"customer": customer, "items": [{"price": price}]}).id
        )
    for sub in subscriptions[:15]:
        c.v1.subscriptions.cancel(sub)
    for i, customer in enumerate(customers):
        c.v1.invoice_items.create(
            {
                "customer": customer,
                "amount": 1000 + i,
                "currency": "usd",
                "description": f"Setup {i}",
            }
        )
    invoices = [
        c.v1.invoices.create({"customer": customer, "pending_invoice_items_behavior": "include"}).id
        for customer in customers[:30]
    ]
    charges = [ch.id for ch in c.v1.charges.list({"limit": 100}).auto_paging_iter()]
    for charge in charges[:n]:
        c.v1.refunds.create({"charge": charge, "amount": 100})
    return {
        "customers": customers,
        "prices": prices,
        "subscriptions": subscriptions,
        "invoices": invoices,
        "charges": charges,
    }


def server_objects(c: stripe.StripeClient, resource_table: str) -> dict[str, dict[str, Any]]:
    """Everything the server lists for a table, by id, through the typed SDK and auto-paging."""
    resource = next(r for r in RESOURCES if r.table == resource_table)
    service = {"invoiceitems": "invoice_items"}.get(resource_table, resource_table)
    try:
        listing = getattr(c.v1, service).list({"limit": 100, **resource.list_params})
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:  # a resource this sandbox does not serve yet
            return {}
        raise
    # The typed SDK turns decimal strings ("unit_amount_decimal") into Decimal; as JSON they
    # are the strings the API sent.
    return {
        obj.id: orjson.loads(orjson.dumps(obj.to_dict(), default=str))
        for obj in listing.auto_paging_iter()
    }


def cache_objects(cache: Cache, table: str) -> dict[str, dict[str, Any]]:
    rows = cache.conn.execute(f"SELECT id, data FROM {table} WHERE deleted = 0")
    return {object_id: orjson.loads(data) for object_id, data in rows}


# Fields Stripe changes without an event about the object (finalizing an invoice moves its
# customer's `next_invoice_sequence`, but there is no customer.updated). Events cannot carry them;
# reconciliation does.
SILENT_FIELDS = {"customers": {"next_invoice_sequence"}}


def _without(obj: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in fields}


def assert_cache_equals_server(
    cache: Cache, c: stripe.StripeClient, ignore: dict[str, set[str]] | None = None
) -> dict[str, int]:
    """Every synced table holds exactly the server's live objects, with the same data (but the
    `ignore` fields)."""
    sizes = {}
    for resource in RESOURCES:
        server = server_objects(c, resource.table)
        cached = cache_objects(cache, resource.table)
        missing = server.keys() - cached.keys()
        extra = cached.keys() - server.keys()
        assert not missing and not extra, (
            f"{resource.table}: {len(missing)} missing {sorted(missing)[:3]}, "
            f"{len(extra)} extra {sorted(extra)[:3]}"
        )
        skip = (ignore or {}).get(resource.table, set())
        differ = [i for i in server if _without(server[i], skip) != _without(cached[i], skip)]
        assert not differ, f"{resource.table}: data differs for {differ[:3]}, fields " + str(
            {k for k, v in server[differ[0]].items() if cached[differ[0]].get(k) != v}
        )
        sizes[resource.table] = len(server)
    assert cache.integrity_check() == []
    assert_all_indexes(cache)
    return sizes


def assert_all_indexes(cache: Cache) -> None:
    """Every index of the schema is there: a backfill that built some of them only at its end
    (a first one) finished that too, even after a crash or a cancel."""
    fresh = sqlite3.connect(":memory:")
    migrate(fresh)
    query = "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
    expected = [r[0] for r in fresh.execute(query)]
    assert [r[0] for r in cache.conn.execute(query)] == expected


def table_snapshot(cache: Cache) -> dict[str, list[tuple[Any, ...]]]:
    """Every object row (id, data, deleted), to compare a cache before and after something."""
    return {
        r.table: cache.conn.execute(
            f"SELECT id, data, deleted FROM {r.table} ORDER BY id"
        ).fetchall()
        for r in RESOURCES
    }
