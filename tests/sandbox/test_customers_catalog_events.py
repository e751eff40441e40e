"""Customers, products, prices, the account, events and webhooks, through the official SDK."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import assert_shape


def test_customer_crud_and_shape(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        {"name": "株式会社テスト", "email": "keiri@example.jp", "phone": "+81 3 1234 5678"}
    )
    assert customer.id.startswith("cus_")
    assert customer.livemode is False
    assert_shape(customer)
    updated = client.v1.customers.update(
        customer.id, {"email": "new@example.jp", "metadata": {"erp": "C-9"}}
    )
    assert updated.email == "new@example.jp"
    cleared = client.v1.customers.update(customer.id, {"metadata": {"erp": ""}})
    assert cleared.metadata.to_dict() == {}
    gone = client.v1.customers.delete(customer.id)
    assert gone.to_dict() == {"id": customer.id, "object": "customer", "deleted": True}
    assert_shape(gone)
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.update(customer.id, {"name": "x"})
    assert caught.value.http_status == 404


def test_every_change_is_an_event_with_previous_attributes(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Old Name"})
    client.v1.customers.update(customer.id, {"name": "New Name"})
    client.v1.customers.delete(customer.id)
    events = client.v1.events.list().data
    assert [e.type for e in events] == ["customer.deleted", "customer.updated", "customer.created"]
    updated = events[1]
    assert updated.data.object.name == "New Name"
    assert updated.data.previous_attributes.to_dict() == {"name": "Old Name"}
    assert updated.api_version == "2026-10-28.endive"
    assert updated.request.id.startswith("req_")
    assert client.v1.events.retrieve(updated.id).type == "customer.updated"


def test_event_shape_and_type_filters(client: stripe.StripeClient) -> None:
    client.v1.customers.create({"name": "A"})
    client.v1.products.create({"name": "Widget"})
    events = client.v1.events.list().data
    for event in events:
        assert_shape(event)
    assert [e.type for e in client.v1.events.list({"type": "product.created"}).data] == [
        "product.created"
    ]
    assert [e.type for e in client.v1.events.list({"types": ["customer.created"]}).data] == [
        "customer.created"
    ]
    assert {e.type for e in client.v1.events.list({"type": "customer.*"}).data} == {
        "customer.created"
    }


def test_events_older_than_30_days_drop_out(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    client.v1.customers.create({"name": "A"})
    old = client.v1.events.list().data[0]
    sandbox.advance_time(days=31)
    client.v1.customers.create({"name": "B"})
    assert [e.data.object.name for e in client.v1.events.list().data] == ["B"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.events.retrieve(old.id)
    assert caught.value.http_status == 404


def test_products_and_prices(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        {
            "name": "Pro plan",
            "default_price_data": {
                "currency": "jpy",
                "unit_amount": 1200,
                "recurring": {"interval": "month"},
            },
        }
    )
    assert_shape(product)
    price = client.v1.prices.retrieve(product.default_price)
    assert_shape(price)
    assert (price.unit_amount, price.currency, price.type) == (1200, "jpy", "recurring")
    assert price.recurring.interval == "month"
    one_time = client.v1.prices.create(
        {"product": product.id, "currency": "kwd", "unit_amount": 1500}
    )
    assert one_time.type == "one_time" and one_time.recurring is None
    listed = client.v1.prices.list(
        {"product": product.id, "type": "one_time", "expand": ["data.product"]}
    ).data
    assert [p.id for p in listed] == [one_time.id]
    assert listed[0].product.name == "Pro plan"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.delete(product.id)
    assert "prices" in caught.value.user_message


def test_account_and_balance(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.retrieve_current()
    assert account.id.startswith("acct_")
    assert_shape(account)
    balance = client.v1.balance.retrieve()
    assert_shape(balance)


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((json.loads(body), self.headers["Stripe-Signature"], body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhooks_are_delivered_signed_as_stripe_signs(client: stripe.StripeClient) -> None:
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = client.v1.webhook_endpoints.create(
            {
                "url": f"http://127.0.0.1:{server.server_address[1]}/webhook",
                "enabled_events": ["customer.created"],
            }
        )
        assert endpoint.secret.startswith("whsec_")
        assert_shape(endpoint)
        client.v1.customers.create({"name": "Hooked"})
        client.v1.products.create({"name": "not subscribed"})
        deadline = time.monotonic() + 5
        while not _Receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        server.shutdown()
    assert len(_Receiver.received) == 1
    event, header, body = _Receiver.received[0]
    assert event["type"] == "customer.created"
    # the official SDK's verifier accepts it
    verified = stripe.Webhook.construct_event(body, header, endpoint.secret)
    assert verified.data.object.name == "Hooked"
    timestamp = header.split(",")[0][2:]
    expected = hmac.new(
        endpoint.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert header.endswith(f"v1={expected}")


def test_customer_with_a_refused_card_is_not_created(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError):
        client.v1.customers.create({"name": "Declined", "payment_method": "pm_card_chargeDeclined"})
    assert client.v1.customers.list().data == []
    assert client.v1.events.list().data == []
