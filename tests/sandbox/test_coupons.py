"""Coupons and a subscription's discounts through the official SDK, in API 2026-10-28's shape:
`subscription.discounts` lists discount ids, a discount names its coupon at `source.coupon`."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.conftest import assert_shape


@pytest.fixture
def price(client: stripe.StripeClient) -> stripe.Price:
    product = client.v1.products.create(params={"name": "Gold"})
    return client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 3000,
            "currency": "kwd",
            "recurring": {"interval": "month"},
        }
    )


def _customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(
        params={
            "name": "Ana",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )


def test_coupons_are_created_listed_retrieved_and_deleted(client):
    percent = client.v1.coupons.create(params={"percent_off": 25, "duration": "forever"})
    fixed = client.v1.coupons.create(
        params={
            "id": "TENOFF",
            "amount_off": 1000,
            "currency": "KWD",
            "duration": "repeating",
            "duration_in_months": 3,
        }
    )
    assert_shape(percent)
    assert len(percent.id) == 8 and percent.percent_off == 25 and percent.amount_off is None
    assert (fixed.id, fixed.amount_off, fixed.currency) == ("TENOFF", 1000, "kwd")
    assert fixed.duration_in_months == 3
    assert [c.id for c in client.v1.coupons.list().data] == ["TENOFF", percent.id]
    assert client.v1.coupons.retrieve("TENOFF").duration == "repeating"
    gone = client.v1.coupons.delete("TENOFF")
    assert gone.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.coupons.retrieve("TENOFF")
    assert error.value.http_status == 404


def test_a_coupon_needs_exactly_one_of_percent_off_and_amount_off(client):
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.create(params={"duration": "once"})
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.coupons.create(params={"amount_off": 500})
    assert error.value.param == "currency"


def test_a_subscription_redeems_coupons_into_discounts(client, price):
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "forever"})
    sub = client.v1.subscriptions.create(
        params={
            "customer": _customer(client).id,
            "items": [{"price": price.id}],
            "discounts": [{"coupon": coupon.id}],
        }
    )
    assert sub.status == "active"
    assert len(sub.discounts) == 1 and sub.discounts[0].startswith("di_")
    expanded = client.v1.subscriptions.list(
        params={"status": "all", "expand": ["data.discounts.source.coupon"]}
    ).data[0]
    discount = expanded.discounts[0]
    assert_shape(discount)
    assert discount.subscription == sub.id and discount.source.type == "coupon"
    assert discount.source.coupon.percent_off == 25
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_an_unknown_coupon_is_refused(client, price):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.create(
            params={
                "customer": _customer(client).id,
                "items": [{"price": price.id}],
                "discounts": [{"coupon": "NOPE"}],
            }
        )
    assert error.value.http_status == 404 and error.value.param == "discounts[0][coupon]"
