"""Subscriptions through the official SDK: every status, renewals and dunning in sandbox time, updates."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.conftest import assert_shape

DAY = 86400


@pytest.fixture
def price(client: stripe.StripeClient) -> stripe.Price:
    product = client.v1.products.create(params={"name": "Gold"})
    return client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 2000,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )


def _customer(client: stripe.StripeClient, pm: str | None = "pm_card_visa") -> stripe.Customer:
    params: dict = {"name": "Ana", "email": "ana@example.com"}
    if pm:
        params.update(payment_method=pm, invoice_settings={"default_payment_method": pm})
    return client.v1.customers.create(params=params)


def _sub(client, customer, price, **extra) -> stripe.Subscription:
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], **extra}
    )


def _invoices(client, sub_id: str) -> list[stripe.Invoice]:
    return list(reversed(client.v1.invoices.list(params={"subscription": sub_id}).data))


def _events(client, sub_id: str) -> list[stripe.Event]:
    events = client.v1.events.list(params={"limit": 100, "type": "customer.subscription.*"}).data
    return [e for e in reversed(events) if e.data.object.id == sub_id]


def test_active_with_paid_first_invoice(client, price):
    sub = _sub(client, _customer(client), price, metadata={"plan": "gold"})
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert item.current_period_end - item.current_period_start in (
        28 * DAY,
        29 * DAY,
        30 * DAY,
        31 * DAY,
    )
    assert_shape(sub)
    assert_shape(item)
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid) == (
        "paid",
        "subscription_create",
        2000,
    )
    assert invoice.parent.subscription_details.subscription == sub.id
    line = invoice.lines.data[0]
    assert line.parent.subscription_item_details.subscription_item == item.id
    assert line.description == "1 × Gold (at $20.00 / month)"
    assert_shape(line)
    assert [e.type for e in _events(client, sub.id)] == ["customer.subscription.created"]
    listed = client.v1.subscription_items.list(params={"subscription": sub.id}).data
    assert [i.id for i in listed] == [item.id]


def test_renewal_creates_new_paid_invoice(sandbox, client, price):
    sub = _sub(client, _customer(client), price)
    end = sub["items"].data[0].current_period_end
    sandbox.advance_time(end - sandbox.state.now() + 60)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active"
    assert sub["items"].data[0].current_period_start == end
    invoices = _invoices(client, sub.id)
    assert [(i.billing_reason, i.status) for i in invoices] == [
        ("subscription_create", "paid"),
        ("subscription_cycle", "paid"),
    ]
    assert invoices[1].created == end and invoices[1].id == sub.latest_invoice
    updated = [e for e in _events(client, sub.id) if e.type == "customer.subscription.updated"]
    assert updated and "latest_invoice" in updated[-1].data.previous_attributes


def test_failed_renewal_past_due_retries_then_unpaid(sandbox, client, price):
    customer = _customer(client)
    sub = _sub(client, customer, price)
    client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    failing = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"}).data
    bad = next(pm for pm in failing if pm.card.last4 == "0341")
    client.v1.subscriptions.update(sub.id, params={"default_payment_method": bad.id})
    end = sub["items"].data[0].current_period_end
    sandbox.advance_time(end - sandbox.state.now() + 60)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "past_due"
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 1
    assert invoice.next_payment_attempt == end + 3 * DAY
    sandbox.advance_time(days=3)
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == 2
    sandbox.advance_time(days=13)  # the retries at +5 and +7 days fail too
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.attempt_count == 4 and invoice.next_payment_attempt is None
    assert client.v1.subscriptions.retrieve(sub.id).status == "unpaid"
    # paying the invoice by hand brings the subscription back
    client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_incomplete_then_expired(sandbox, client, price):
    customer = _customer(client, pm="pm_card_chargeCustomerFail")
    sub = _sub(client, customer, price)
    assert sub.status == "incomplete"
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 1
    sandbox.advance_time(23 * 3600 + 1)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "incomplete_expired"
    assert client.v1.invoices.retrieve(invoice.id).status == "void"


def test_default_incomplete_and_error_if_incomplete(client, price):
    sub = _sub(client, _customer(client, pm=None), price, payment_behavior="default_incomplete")
    assert sub.status == "incomplete"
    assert client.v1.invoices.retrieve(sub.latest_invoice).status == "open"

    customer = _customer(client, pm="pm_card_chargeCustomerFail")
    with pytest.raises(stripe.CardError) as exc:
        _sub(client, customer, price, payment_behavior="error_if_incomplete")
    assert exc.value.http_status == 402
    assert (
        client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data == []
    )

    with pytest.raises(stripe.InvalidRequestError) as exc:
        _sub(client, _customer(client, pm=None), price)
    assert "no attached payment source" in exc.value.json_body["error"]["message"]


def test_trial_then_active(sandbox, client, price):
    sub = _sub(client, _customer(client), price, trial_period_days=7)
    assert sub.status == "trialing" and sub.trial_end == sub.trial_start + 7 * DAY
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert first.status == "paid" and first.amount_due == 0
    assert first.lines.data[0].description == "Trial period for Gold"
    sandbox.advance_time(days=8)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active"
    latest = client.v1.invoices.retrieve(sub.latest_invoice)
    assert latest.status == "paid" and latest.amount_paid == 2000
    types = [e.type for e in _events(client, sub.id)]
    assert "customer.subscription.trial_will_end" in types


def test_cancel_at_period_end_and_undo(sandbox, client, price):
    sub = _sub(client, _customer(client), price)
    end = sub["items"].data[0].current_period_end
    updated = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert updated.cancel_at_period_end is True and updated.cancel_at == end
    event = _events(client, sub.id)[-1]
    assert event.type == "customer.subscription.updated"
    assert event.data.previous_attributes["cancel_at_period_end"] is False
    undone = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})
    assert undone.cancel_at is None and undone.canceled_at is None
    client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    sandbox.advance_time(end - sandbox.state.now() + 60)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "canceled" and sub.ended_at == end
    assert len(_invoices(client, sub.id)) == 1  # no renewal invoice
    assert _events(client, sub.id)[-1].type == "customer.subscription.deleted"


def test_cancel_and_status_listing(client, price):
    customer = _customer(client)
    kept = _sub(client, customer, price)
    canceled = client.v1.subscriptions.cancel(_sub(client, customer, price).id)
    assert canceled.status == "canceled" and canceled.canceled_at and canceled.ended_at
    default = {s.id for s in client.v1.subscriptions.list(params={"customer": customer.id}).data}
    assert default == {kept.id}
    every = {
        s.id
        for s in client.v1.subscriptions.list(
            params={"customer": customer.id, "status": "all"}
        ).data
    }
    assert every == {kept.id, canceled.id}
    only = client.v1.subscriptions.list(params={"status": "canceled"}).data
    assert [s.id for s in only] == [canceled.id]
    assert [s.id for s in client.v1.subscriptions.list(params={"price": price.id}).data] == [
        kept.id
    ]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscriptions.update(canceled.id, params={"description": "x"})
    assert "canceled subscription" in exc.value.json_body["error"]["message"]


def test_update_price_and_quantity(client, price):
    sub = _sub(client, _customer(client), price)
    item = sub["items"].data[0]
    product = client.v1.products.create(params={"name": "Platinum"})
    better = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 5000,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )
    updated = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item.id, "price": better.id, "quantity": 3}],
            "proration_behavior": "none",
        },
    )
    assert updated["items"].data[0].price.id == better.id and updated["items"].data[0].quantity == 3
    event = _events(client, sub.id)[-1]
    assert event.data.previous_attributes["items"]["data"][0]["price"]["id"] == price.id


def test_pause_collection_and_pause_resume(sandbox, client, price):
    sub = _sub(client, _customer(client), price)
    paused = client.v1.subscriptions.update(
        sub.id, params={"pause_collection": {"behavior": "void"}}
    )
    assert paused.pause_collection.behavior == "void" and paused.status == "active"
    end = sub["items"].data[0].current_period_end
    sandbox.advance_time(end - sandbox.state.now() + 60)
    assert (
        client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice).status
        == "void"
    )
    resumed = client.v1.subscriptions.update(sub.id, params={"pause_collection": ""})
    assert resumed.pause_collection is None

    paused = client.v1.subscriptions.pause(sub.id)
    assert (
        paused.status == "paused"
        and paused.status_details.paused.subscription.type == "pause_requested"
    )
    resumed = client.v1.subscriptions.resume(sub.id)
    assert resumed.status == "active"
    assert client.v1.invoices.retrieve(resumed.latest_invoice).status == "paid"
    types = [e.type for e in _events(client, sub.id)]
    assert "customer.subscription.paused" in types and "customer.subscription.resumed" in types
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.resume(sub.id)


def test_send_invoice_subscription_goes_past_due(sandbox, client, price):
    sub = _sub(
        client,
        _customer(client, pm=None),
        price,
        collection_method="send_invoice",
        days_until_due=7,
    )
    assert sub.status == "active"
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "open" and invoice.due_date == invoice.created + 7 * DAY
    sandbox.advance_time(days=8)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"


def test_deleting_customer_cancels_subscriptions(client, price):
    customer = _customer(client)
    sub = _sub(client, customer, price)
    client.v1.customers.delete(customer.id)
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
