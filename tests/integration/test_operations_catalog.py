"""The catalogue and webhook endpoints through the journal against the sandbox (real SDK over
HTTP): prices in each currency's own decimals, archiving, default prices, the signing secret kept
in the keyring and nowhere else."""

from __future__ import annotations

import pytest
import stripe

from desk_billing.core.cache import Cache
from desk_billing.core.errors import ValidationError
from desk_billing.core.gateway import Gateway
from desk_billing.core.journal import Journal, entries
from desk_billing.core.operations import catalog
from desk_billing.core.operations import webhooks as hooks
from desk_billing.core.profiles import Profile
from desk_billing.core.webhook_listener import webhook_secret

KEY = "sk_test_operationscatalog0000"


@pytest.fixture
def client(sandbox):
    return stripe.StripeClient(KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


@pytest.fixture
def cache(tmp_path):
    with Cache.open(tmp_path / "cache.sqlite3") as c:
        yield c


@pytest.fixture
def journal(sandbox, cache):
    return Journal(cache, Gateway.from_profile(Profile("shop"), KEY, sandbox.url), "shop")


def _cached(cache, table, object_id):
    return cache.conn.execute(
        f"SELECT active, unit_amount, currency FROM {table} WHERE id = ?", (object_id,)
    ).fetchone() if table == "prices" else cache.conn.execute(
        f"SELECT name, active FROM {table} WHERE id = ?", (object_id,)
    ).fetchone()  # fmt: skip


def test_products_and_prices_in_each_currencys_decimals(journal, cache, client):
    made = catalog.create_product(journal, catalog.ProductFields("Pro", "For pros", {"t": "1"}))
    product = made.object["id"]
    assert made.changed["products"] == {product} and _cached(cache, "products", product) == (
        "Pro", 1
    )  # fmt: skip
    jpy = catalog.create_price(
        journal, catalog.PriceFields(product, "1,200", "JPY", "month", nickname="Monthly")
    )
    kwd = catalog.create_price(journal, catalog.PriceFields(product, "1.500", "kwd", "year", 2))
    once = catalog.create_price(journal, catalog.PriceFields(product, "12.50", "eur"))
    assert client.v1.prices.retrieve(jpy.object["id"]).unit_amount == 1200
    server_kwd = client.v1.prices.retrieve(kwd.object["id"])
    assert (server_kwd.unit_amount, server_kwd.recurring.interval_count) == (1500, 2)
    assert client.v1.prices.retrieve(once.object["id"]).type == "one_time"
    assert _cached(cache, "prices", jpy.object["id"]) == (1, 1200, "jpy")
    for bad in (("12.5", "JPY"), ("1.2345", "KWD"), ("0", "EUR")):
        with pytest.raises(ValidationError):
            catalog.create_price(journal, catalog.PriceFields(product, *bad, "month"))
    with pytest.raises(ValidationError, match="three years"):
        catalog.create_price(journal, catalog.PriceFields(product, "5", "eur", "month", 37))

    catalog.set_default_price(journal, product, jpy.object["id"])
    assert client.v1.products.retrieve(product).default_price == jpy.object["id"]
    catalog.update_product(journal, product, catalog.ProductFields("Pro 2", "", {}))
    edited = client.v1.products.retrieve(product)
    assert (edited.name, edited.metadata.to_dict()) == ("Pro 2", {})
    archived = catalog.set_product_active(journal, product, False)
    assert archived.changed["products"] == {product} and _cached(cache, "products", product) == (
        "Pro 2", 0
    )  # fmt: skip
    with pytest.raises(ValidationError, match="archived"):
        catalog.create_price(journal, catalog.PriceFields(product, "5", "eur"))
    catalog.set_product_active(journal, product, True)
    kinds = [e.kind for e in entries(cache)]
    assert kinds.count("price.create") == 3 and kinds.count("product.update") == 4


def test_archiving_a_price_in_use_keeps_its_subscription(journal, cache, client):
    product = catalog.create_product(journal, catalog.ProductFields("Seat")).object["id"]
    price = catalog.create_price(journal, catalog.PriceFields(product, "9", "eur", "month"))
    price_id = price.object["id"]
    customer = client.v1.customers.create(
        {"payment_method": "pm_card_visa",
         "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price_id}]})
    result = catalog.set_price_active(journal, price_id, False)
    assert result.changed["prices"] == {price_id}
    assert _cached(cache, "prices", price_id)[0] == 0
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    catalog.set_price_active(journal, price_id, True)
    assert client.v1.prices.retrieve(price_id).active is True


def test_an_endpoint_keeps_its_secret_in_the_keyring_only(journal, cache, client, memory_keyring):
    result = hooks.create_endpoint(journal, "https://relay.example.com/stripe")
    endpoint = result.object["id"]
    assert "secret" not in result.object
    server = client.v1.webhook_endpoints.retrieve(endpoint)
    assert sorted(server.enabled_events) == sorted(hooks.ESSENTIAL_EVENTS)
    secret = webhook_secret("shop", {})
    assert secret is not None and secret.startswith("whsec_")
    row = cache.conn.execute("SELECT * FROM operations").fetchall()
    assert secret not in repr(row) and secret not in repr(result)
    assert [e.id for e in hooks.list_endpoints(journal.gateway)] == [endpoint]
    hooks.set_endpoint_enabled(journal, endpoint, False)
    assert client.v1.webhook_endpoints.retrieve(endpoint).status == "disabled"
    hooks.delete_endpoint(journal, endpoint)
    assert hooks.list_endpoints(journal.gateway) == []


def test_live_mode_refuses_an_endpoint_that_is_not_https(sandbox, cache, client):
    live = "rk_" + "live_operationscatalog0000"  # built, so no scanner takes it for a real key
    sandbox.register_restricted_key(live, {"webhook": "write"})
    journal = Journal(
        cache, Gateway.from_profile(Profile("shop", "live"), live, sandbox.url), "shop"
    )
    with pytest.raises(ValidationError, match="https"):
        hooks.create_endpoint(journal, "http://relay.example.com/stripe")
    assert client.v1.webhook_endpoints.list().data == [] and entries(cache) == []
    assert hooks.create_endpoint(journal, "https://relay.example.com/stripe").object["url"] == (
        "https://relay.example.com/stripe"
    )
