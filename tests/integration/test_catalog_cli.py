"""`desk-billing products|prices|webhooks|golive` against the sandbox, as a script runs them."""

from __future__ import annotations

import orjson
import pytest
import stripe

from desk_billing.cli import main
from desk_billing.core.golive import ManualTicks
from desk_billing.core.operations.webhooks import ESSENTIAL_EVENTS
from desk_billing.core.profiles import AppPaths, Profile, ProfileStore
from desk_billing.core.webhook_listener import webhook_secret

TEST_KEY = "sk_test_catalogcli000000000000"
LIVE_KEY = "rk_" + "live_catalogcli000000000000"  # built, so no scanner takes it for a real key
# What the app reads and writes, as the sandbox names the permissions.
APP_GRANTS = {
    **dict.fromkeys(["credit_note", "charge", "event", "account"], "read"),
    **dict.fromkeys(
        ["customer", "product", "price", "subscription", "invoice", "payment_intent", "refund",
         "webhook"], "write"),
}  # fmt: skip


@pytest.fixture
def run(sandbox, desk_home, capsys):
    def run_(*argv: str, key: str = TEST_KEY) -> tuple[int, str, str]:
        env = {"STRIPE_API_KEY": key, "DESK_BILLING_HOME": str(desk_home)}
        code = main([*argv, "--api-base", sandbox.url], env=env)
        out, err = capsys.readouterr()
        return code, out, err

    return run_


@pytest.fixture
def client(sandbox):
    return stripe.StripeClient(TEST_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


def test_products_and_prices_in_jpy_and_kwd(run, client):
    code, out, _ = run("products", "create", "--name", "Beratung", "--description", "Stunde")
    assert code == 0
    product = out.strip()
    assert product.startswith("prod_") and client.v1.products.retrieve(product).name == "Beratung"

    code, out, _ = run("prices", "create", product, "--amount", "1200", "--currency", "JPY",
                       "--interval", "month", "--nickname", "Monthly", "--lookup-key", "b_jpy")  # fmt: skip
    assert code == 0
    jpy = client.v1.prices.retrieve(out.strip())
    assert (jpy.unit_amount, jpy.currency, jpy.recurring.interval, jpy.lookup_key) == (
        1200, "jpy", "month", "b_jpy"
    )  # fmt: skip
    code, out, _ = run("prices", "create", product, "--amount", "1.500", "--currency", "kwd",
                       "--interval", "year", "--interval-count", "2")  # fmt: skip
    kwd = client.v1.prices.retrieve(out.strip())
    assert (kwd.unit_amount, kwd.recurring.interval_count) == (1500, 2)
    code, out, _ = run("prices", "create", product, "--amount", "12.50", "--currency", "eur")
    assert client.v1.prices.retrieve(out.strip()).type == "one_time"

    code, out, err = run("prices", "create", product, "--amount", "12.5", "--currency", "JPY")
    assert code == 1 and "whole numbers" in err and out == ""
    code, _, err = run("prices", "create", product, "--amount", "1.2345", "--currency", "KWD")
    assert code == 1 and "3 decimals" in err
    assert len(client.v1.prices.list({"product": product}).data) == 3

    code, out, _ = run("products", "list", "--json")
    listed = orjson.loads(out)["products"]
    assert [p["id"] for p in listed] == [product]
    amounts = sorted((p["currency"], p["unit_amount"]) for p in listed[0]["prices"])
    assert amounts == [("eur", 1250), ("jpy", 1200), ("kwd", 1500)]
    code, out, _ = run("products", "list")
    assert "¥1,200 / month" in out and "KWD 1.500 every 2 years" in out


def test_archiving_a_price_in_use(run, client):
    product = client.v1.products.create({"name": "Seat"})
    price = client.v1.prices.create({"product": product.id, "currency": "eur",
                                     "unit_amount": 900, "recurring": {"interval": "month"}})  # fmt: skip
    customer = client.v1.customers.create({"payment_method": "pm_card_visa",
                                           "invoice_settings": {"default_payment_method": "pm_card_visa"}})  # fmt: skip
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})

    code, out, _ = run("prices", "archive", price.id)

    assert (
        code == 0 and out.strip() == f"{price.id} archived; 1 subscription(s) go on billing at it"
    )
    assert client.v1.prices.retrieve(price.id).active is False
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    code, _, err = run("prices", "archive", "price_doesnotexist")
    assert code == 1 and "No such price" in err


def test_webhooks_create_list_delete_and_the_secret_never_printed(run, client, sandbox):
    code, out, err = run("webhooks", "create", "https://relay.example.com/stripe")
    assert code == 0
    endpoint = out.strip()
    secret = webhook_secret("default", {})
    assert secret and secret.startswith("whsec_") and "whsec_" not in out + err
    code, out, _ = run("webhooks", "list", "--json")
    (listed,) = orjson.loads(out)["endpoints"]
    assert listed["id"] == endpoint and sorted(listed["enabled_events"]) == sorted(ESSENTIAL_EVENTS)
    assert "whsec_" not in out
    code, out, _ = run("webhooks", "create", "https://relay.example.com/b", "--event",
                       "invoice.paid", "--event", "charge.refunded")  # fmt: skip
    assert client.v1.webhook_endpoints.retrieve(out.strip()).enabled_events == [
        "invoice.paid", "charge.refunded"
    ]  # fmt: skip
    code, out, _ = run("webhooks", "delete", endpoint)
    assert code == 0 and [e.id for e in client.v1.webhook_endpoints.list().data] != [endpoint]
    assert endpoint not in {e.id for e in client.v1.webhook_endpoints.list().data}


def test_a_live_endpoint_that_is_not_https_is_refused(run, client, sandbox):
    sandbox.register_restricted_key(LIVE_KEY, APP_GRANTS)
    code, out, err = run("webhooks", "create", "http://relay.example.com/stripe", key=LIVE_KEY)
    assert code == 1 and "https" in err and out == ""
    assert client.v1.webhook_endpoints.list().data == []
    code, out, _ = run("webhooks", "create", "https://relay.example.com/stripe", key=LIVE_KEY)
    assert code == 0 and out.startswith("we_")


def _items(out: str) -> dict[str, dict[str, str]]:
    items = orjson.loads(out)["items"]
    assert all(set(i) == {"id", "title", "status", "detail"} for i in items)
    return {i["id"]: i for i in items}


def test_golive_without_a_live_key_says_so(run):
    code, out, _ = run("golive", "--json")
    items = _items(out)
    assert code == 0 and items["live_key"]["status"] == "attention"
    assert items["charges_enabled"]["status"] == "attention"
    assert {items[i]["status"] for i in ("radar_rules", "customer_emails", "pci_gdpr")} == {
        "manual"
    }


def test_golive_checks_the_live_account(run, client, sandbox, desk_home):
    grants = {k: v for k, v in APP_GRANTS.items() if k != "refund"}
    grants["refund"] = "read"
    sandbox.register_restricted_key(LIVE_KEY, grants)
    sandbox.state.account_flags["payouts_enabled"] = False
    product = client.v1.products.create({"name": "Plan"})
    for currency in ("eur", "jpy"):
        client.v1.prices.create({"product": product.id, "currency": currency, "unit_amount": 500})
    run("webhooks", "create", "https://relay.example.com/stripe", "--event", "invoice.paid",
        key=LIVE_KEY)  # fmt: skip

    code, out, _ = run("golive", "--json", key=LIVE_KEY)
    items = _items(out)
    assert code == 0
    assert items["live_key"]["status"] == "pass"
    assert items["restricted_key"]["status"] == "attention"
    assert "rak_refund_write" in items["restricted_key"]["detail"]
    assert "rak_customer" not in items["restricted_key"]["detail"]
    assert [items[i]["status"] for i in ("charges_enabled", "payouts_enabled", "details_submitted")] == [
        "pass", "attention", "pass"
    ]  # fmt: skip
    assert items["live_webhook"]["status"] == "attention"
    assert "payment_intent.succeeded" in items["live_webhook"]["detail"]
    assert items["currencies"]["status"] == "pass" and "EUR, JPY" in items["currencies"]["detail"]
    assert items["radar_rules"]["status"] == "manual"

    sandbox.register_restricted_key(LIVE_KEY, APP_GRANTS)
    sandbox.state.account_flags["payouts_enabled"] = True
    run("webhooks", "create", "https://relay.example.com/all", key=LIVE_KEY)
    ManualTicks(AppPaths.from_env()).set("default", "radar_rules", True)
    sandbox.state.capabilities["card_payments"] = "inactive"
    code, out, _ = run("golive", "--json", key=LIVE_KEY)
    items = _items(out)
    statuses = {i: items[i]["status"] for i in items}
    assert statuses["restricted_key"] == statuses["payouts_enabled"] == "pass"
    assert statuses["live_webhook"] == "pass" and statuses["radar_rules"] == "pass"
    # SEPA Debit covers EUR only: JPY cannot be vouched for through the API
    assert statuses["currencies"] == "manual" and "JPY" in items["currencies"]["detail"]
    code, out, _ = run("golive", key=LIVE_KEY)
    assert "[TODO]" not in out and "[ok  ] Radar rules reviewed" in out


def test_golive_from_a_test_profile_uses_the_accounts_saved_live_profile(
    run, sandbox, memory_keyring
):
    sandbox.register_restricted_key(LIVE_KEY, APP_GRANTS)
    paths = AppPaths.from_env()
    store = ProfileStore(paths)
    account = sandbox.state.account_id
    store.save(Profile("default", "test", account, sandbox.url))
    store.save(Profile("shop-live", "live", account, sandbox.url))
    memory_keyring.set_password("desk-billing", "shop-live", LIVE_KEY)

    code, out, _ = run("golive", "--json")

    items = _items(out)
    assert items["live_key"]["status"] == "pass" and "shop-live" in items["live_key"]["detail"]
    assert items["restricted_key"]["status"] == "pass"
