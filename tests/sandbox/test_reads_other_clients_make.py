"""What clients not written for the sandbox ask any account (dj-stripe, stripe-node), through the SDK.

A non-Connect account's list of connected accounts, fields Stripe includes only when expanded,
a customer's sources and tax ids, balance transactions, and charges without embedded refunds.
"""

from __future__ import annotations

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import NO_REDIRECTS, TEST_KEY


@pytest.fixture(scope="module")
def demo() -> stripe.StripeClient:
    with Sandbox(seed="demo") as sandbox:
        yield stripe.StripeClient(
            TEST_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0
        )


def _paid(client: stripe.StripeClient, amount: int = 2000) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
            **NO_REDIRECTS,
        }
    )


def test_a_standard_account_lists_no_connected_accounts(client: stripe.StripeClient) -> None:
    accounts = client.v1.accounts.list()
    assert (accounts.data, accounts.has_more, accounts.url) == ([], False, "/v1/accounts")


def test_customer_fields_left_out_by_default_come_when_expanded(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create({"name": "Ada", "payment_method": "pm_card_visa"})
    price = client.v1.prices.create(
        {
            "currency": "eur",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )
    card = client.v1.payment_methods.list({"customer": customer.id}).data[0]
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": card.id}
    )
    plain = client.v1.customers.retrieve(customer.id).to_dict()
    assert not {"sources", "subscriptions", "tax_ids", "tax", "cash_balance"} & set(plain)
    expanded = client.v1.customers.retrieve(
        customer.id, {"expand": ["sources", "subscriptions", "tax_ids", "tax", "cash_balance"]}
    )
    assert expanded.sources.url == f"/v1/customers/{customer.id}/sources"
    assert expanded.sources.data == [] and expanded.tax_ids.data == []
    assert [s.id for s in expanded.subscriptions.data] == [subscription.id]
    assert expanded.tax.automatic_tax == "not_collecting"
    assert expanded.cash_balance is None
    listed = client.v1.customers.list({"expand": ["data.sources", "data.subscriptions"]}).data
    assert [s.id for s in listed[0].subscriptions.data] == [subscription.id]
    assert "sources" not in client.v1.customers.retrieve(customer.id).to_dict()  # not stored


def test_a_customers_sources_and_tax_ids_are_listed(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Ada", "payment_method": "pm_card_visa"})
    sources = client.v1.customers.payment_sources.list(customer.id, {"object": "card"})
    assert (sources.data, sources.url) == ([], f"/v1/customers/{customer.id}/sources")
    assert client.v1.customers.tax_ids.list(customer.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.payment_sources.list("cus_missing")
    assert caught.value.http_status == 404


def test_price_tiers_and_currency_options_come_when_expanded(
    client: stripe.StripeClient,
) -> None:
    price = client.v1.prices.create(
        {"currency": "jpy", "unit_amount": 1200, "product_data": {"name": "Tea"}}
    )
    assert "currency_options" not in price.to_dict() and "tiers" not in price.to_dict()
    expanded = client.v1.prices.retrieve(price.id, {"expand": ["currency_options", "tiers"]})
    assert expanded.currency_options["jpy"].unit_amount == 1200
    assert expanded.tiers == []
    listed = client.v1.prices.list({"expand": ["data.currency_options"]}).data
    assert listed[0].currency_options["jpy"].unit_amount_decimal == "1200"


def test_charges_embed_no_refunds_unless_expanded(client: stripe.StripeClient) -> None:
    pi = _paid(client)
    first = client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    second = client.v1.refunds.create({"payment_intent": pi.id, "amount": 300})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert "refunds" not in charge.to_dict()
    assert charge.amount_refunded == 800
    expanded = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["refunds"]})
    assert [r.id for r in expanded.refunds.data] == [second.id, first.id]
    refunded = client.v1.events.list({"type": "charge.refunded"}).data[0]
    assert "refunds" not in refunded.data.object.to_dict()


def test_balance_transactions_are_retrieved_and_listed(client: stripe.StripeClient) -> None:
    pi = _paid(client, 2000)
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.amount, txn.currency, txn.type, txn.source) == (2000, "eur", "charge", charge.id)
    assert txn.net == txn.amount - txn.fee and txn.fee > 0
    listed = client.v1.balance_transactions.list()
    assert [t.id for t in listed.data] == [refund.balance_transaction, txn.id]
    assert [t.amount for t in client.v1.balance_transactions.list({"type": "refund"}).data] == [
        -500
    ]
    assert [t.id for t in client.v1.balance_transactions.list({"source": charge.id}).data] == [
        txn.id
    ]
    assert client.v1.balance_transactions.list({"currency": "USD"}).data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.balance_transactions.retrieve("txn_missing")
    assert caught.value.http_status == 404
    assert caught.value.user_message == "No such balance transaction: 'txn_missing'"


def test_every_captured_charge_of_the_demo_account_has_its_balance_transaction(
    demo: stripe.StripeClient,
) -> None:
    captured = [
        c
        for c in demo.v1.charges.list({"limit": 100}).auto_paging_iter()
        if c.status == "succeeded" and c.captured
    ]
    assert len(captured) > 100
    by_id = {t.id: t for t in demo.v1.balance_transactions.list({"limit": 100}).auto_paging_iter()}
    for charge in captured:
        txn = by_id[charge.balance_transaction]
        assert (txn.source, txn.amount, txn.currency) == (
            charge.id,
            charge.amount_captured,
            charge.currency,
        )
    refunds = list(demo.v1.refunds.list({"limit": 100}).auto_paging_iter())
    assert all(by_id[r.balance_transaction].amount == -r.amount for r in refunds)


def test_a_products_features_are_listed(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Plan"})
    features = client.v1.products.features.list(product.id)
    assert (features.data, features.url) == ([], f"/v1/products/{product.id}/features")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.features.list("prod_missing")
    assert caught.value.user_message == "No such product: 'prod_missing'"
