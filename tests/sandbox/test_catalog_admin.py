"""Catalogue upkeep, webhook endpoint management and the account's capability fields, as
Stripe answers them, through the official SDK."""

from __future__ import annotations

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import assert_shape


def _plan(client: stripe.StripeClient, **price: object) -> tuple[stripe.Product, stripe.Price]:
    product = client.v1.products.create({"name": "Team plan"})
    made = client.v1.prices.create(
        {"product": product.id, "currency": "eur", "unit_amount": 900, **price}
    )
    return product, made


def test_a_product_is_edited_archived_and_given_its_own_default_price(client) -> None:
    product, price = _plan(client)
    edited = client.v1.products.update(
        product.id,
        {"name": "Team", "description": "For teams", "metadata": {"tier": "2"}},
    )
    assert (edited.name, edited.description, edited.metadata.to_dict()) == (
        "Team", "For teams", {"tier": "2"}
    )  # fmt: skip
    assert client.v1.products.update(product.id, {"default_price": price.id}).default_price == (
        price.id
    )
    other, foreign = _plan(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.update(product.id, {"default_price": foreign.id})
    assert caught.value.param == "default_price"
    archived = client.v1.products.update(product.id, {"active": False})
    assert archived.active is False
    assert [p.id for p in client.v1.products.list({"active": False}).data] == [product.id]
    assert client.v1.products.update(product.id, {"active": True}).active is True
    assert_shape(archived)
    events = [e.type for e in client.v1.events.list({"type": "product.updated"}).data]
    assert len(events) == 4


def test_a_price_keeps_its_amount_and_is_archived_not_deleted(client) -> None:
    _, price = _plan(client, recurring={"interval": "month"})
    updated = client.v1.prices.update(
        price.id, {"nickname": "Monthly", "lookup_key": "team_monthly", "metadata": {"a": "1"}}
    )
    assert (updated.nickname, updated.lookup_key) == ("Monthly", "team_monthly")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.update(price.id, {"unit_amount": 1000})  # type: ignore[typeddict-item]
    assert "unit_amount" in caught.value.user_message
    assert client.v1.prices.retrieve(price.id).unit_amount == 900
    customer = client.v1.customers.create({"payment_method": "pm_card_visa",
                                            "invoice_settings": {"default_payment_method": "pm_card_visa"}})  # fmt: skip
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}]}
    )
    archived = client.v1.prices.update(price.id, {"active": False})
    assert archived.active is False and archived.unit_amount == 900
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    assert "inactive" in caught.value.user_message
    assert client.v1.prices.update(price.id, {"active": True}).active is True
    assert not hasattr(client.v1.prices, "delete")  # Stripe has no endpoint to delete a price
    assert_shape(archived)


def test_a_lookup_key_names_one_price_unless_it_is_transferred(client) -> None:
    _, first = _plan(client, lookup_key="standard")
    _, second = _plan(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.update(second.id, {"lookup_key": "standard"})
    assert first.id in caught.value.user_message
    moved = client.v1.prices.update(
        second.id, {"lookup_key": "standard", "transfer_lookup_key": True}
    )
    assert moved.lookup_key == "standard"
    assert client.v1.prices.retrieve(first.id).lookup_key is None
    assert [p.id for p in client.v1.prices.list({"lookup_keys": ["standard"]}).data] == [second.id]


def test_webhook_endpoints_are_listed_toggled_and_deleted_and_the_secret_shown_once(
    client,
) -> None:
    made = client.v1.webhook_endpoints.create(
        {"url": "https://relay.example.com/stripe", "enabled_events": ["invoice.paid"]}
    )
    assert made.secret.startswith("whsec_")
    assert "secret" not in client.v1.webhook_endpoints.retrieve(made.id)
    listed = client.v1.webhook_endpoints.list().data
    assert [e.id for e in listed] == [made.id] and "secret" not in listed[0]
    off = client.v1.webhook_endpoints.update(made.id, {"disabled": True})
    assert off.status == "disabled"
    changed = client.v1.webhook_endpoints.update(
        made.id,
        {"disabled": False, "url": "https://relay.example.com/v2", "enabled_events": ["*"]},
    )
    assert (changed.status, changed.url, changed.enabled_events) == (
        "enabled", "https://relay.example.com/v2", ["*"]
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.webhook_endpoints.update(made.id, {"url": "not a url"})
    assert caught.value.param == "url"
    gone = client.v1.webhook_endpoints.delete(made.id)
    assert gone.deleted is True
    assert client.v1.webhook_endpoints.list().data == []
    assert_shape(changed)


def test_the_account_says_what_it_may_do(sandbox: Sandbox, client) -> None:
    account = client.v1.accounts.retrieve_current()
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        True, True, True
    )  # fmt: skip
    assert account.capabilities.card_payments == "active"
    sandbox.state.account_flags["payouts_enabled"] = False
    sandbox.state.capabilities["card_payments"] = "inactive"
    account = client.v1.accounts.retrieve_current()
    assert account.payouts_enabled is False and account.capabilities.card_payments == "inactive"
    assert_shape(account)
