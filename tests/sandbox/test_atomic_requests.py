"""A request Stripe refuses with a 4xx changes nothing: no object, no event, no webhook delivery.

(A declined payment's 402 is the exception, on Stripe as here: the attempt happened.) Each case
is one the sandbox got wrong before requests were all-or-nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from tests.sandbox.conftest import NO_REDIRECTS


class _Endpoint(BaseHTTPRequestHandler):
    """A webhook receiver: answers 200 (or the status a test sets) and records event types."""

    status = 200
    received: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body)["type"])
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint_url() -> Iterator[tuple[str, type[_Endpoint]]]:
    handler = type("Receiver", (_Endpoint,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def _price(client: stripe.StripeClient) -> stripe.Price:
    product = client.v1.products.create({"name": "Gold"})
    return client.v1.prices.create(
        {"product": product.id, "unit_amount": 2000, "currency": "usd",
         "recurring": {"interval": "month"}}
    )  # fmt: skip


def test_a_bad_expand_creates_no_subscription_invoice_intent_event_or_delivery(
    client: stripe.StripeClient, endpoint_url
) -> None:
    url, receiver = endpoint_url
    customer = client.v1.customers.create(
        {"payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip
    price = _price(client)
    client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["*"]})
    before = len(client.v1.events.list({"limit": 100}).data)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": price.id}],
             "expand": ["latest_invoice.no_such_field"]}
        )  # fmt: skip
    assert caught.value.http_status == 400 and caught.value.param == "expand"
    assert client.v1.subscriptions.list({"status": "all"}).data == []
    assert client.v1.invoices.list().data == []
    assert client.v1.payment_intents.list().data == []
    assert client.v1.charges.list().data == []
    assert len(client.v1.events.list({"limit": 100}).data) == before
    assert client.v1.customers.retrieve(customer.id).currency is None
    client.v1.products.create({"name": "after"})  # a request that does go through
    assert _wait_for(lambda: "product.created" in receiver.received)
    assert "customer.subscription.created" not in receiver.received
    assert receiver.received == ["product.created"]


def test_an_update_refused_halfway_leaves_the_subscription_as_it_was(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(
        {"payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip
    sub = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": _price(client).id}]}
    )
    item = sub["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError, match="days_until_due"):
        client.v1.subscriptions.update(
            sub.id,
            {"items": [{"id": item.id, "quantity": 5}], "metadata": {"k": "v"},
             "days_until_due": 3},  # only for send_invoice: refused after the items were read
        )  # fmt: skip
    again = client.v1.subscriptions.retrieve(sub.id)
    assert again["items"].data[0].quantity == 1 and again.metadata.to_dict() == {}
    assert client.v1.subscription_items.retrieve(item.id).quantity == 1
    updates = client.v1.events.list({"type": "customer.subscription.updated"}).data
    assert updates == []


def test_a_refused_refund_changes_no_charge(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True,
         **NO_REDIRECTS}
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 400, "expand": ["nope"]})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    assert client.v1.refunds.list().data == []


def test_a_declined_payment_keeps_its_attempt(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "eur", "payment_method": "pm_card_chargeDeclined",
             "confirm": True, **NO_REDIRECTS}
        )  # fmt: skip
    (pi,) = client.v1.payment_intents.list().data
    assert pi.status == "requires_payment_method" and pi.last_payment_error.code == "card_declined"
    assert [c.status for c in client.v1.charges.list().data] == ["failed"]
    types = {e.type for e in client.v1.events.list().data}
    assert {"payment_intent.payment_failed", "charge.failed"} <= types


def test_pending_webhooks_counts_the_deliveries_still_owed(
    client: stripe.StripeClient, endpoint_url
) -> None:
    url, receiver = endpoint_url
    client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["customer.created"]})
    client.v1.webhook_endpoints.create(
        {"url": url.replace("/hook", "/other"), "enabled_events": ["*"]}
    )
    client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["product.created"]})
    receiver.status = 500  # the first delivery fails: still owed
    customer = client.v1.customers.create({"name": "Hooked"})
    event = client.v1.events.list({"type": "customer.created"}).data[0]
    assert event.data.object.id == customer.id
    assert _wait_for(lambda: len(receiver.received) == 2)
    receiver.status = 200
    client.v1.products.create({"name": "Widget"})
    assert _wait_for(lambda: len(receiver.received) == 4)
    assert _wait_for(
        lambda: client.v1.events.list({"type": "product.created"}).data[0].pending_webhooks == 0
    )
    assert client.v1.events.retrieve(event.id).pending_webhooks == 2
