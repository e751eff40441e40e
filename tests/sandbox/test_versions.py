"""`Stripe-Version` through the official SDK: Stripe's 400 for an invalid one, what is served, what not."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from desk_billing.sandbox import API_VERSION, Sandbox
from desk_billing.sandbox.versions import served_versions


def _customers(client: stripe.StripeClient) -> int:
    return len(client.v1.customers.list({"limit": 100}).data)


def test_an_invalid_version_is_stripes_400_and_changes_nothing(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.create({"name": "Ada"}, {"stripe_version": "garbage"})
    assert caught.value.http_status == 400
    assert caught.value.error.type == "invalid_request_error"
    assert caught.value.user_message == "Invalid Stripe API version: garbage"
    assert _customers(client) == 0


def test_a_well_formed_version_stripe_never_released_is_invalid(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list(options={"stripe_version": "2026-10-29.endive"})
    assert caught.value.user_message == "Invalid Stripe API version: 2026-10-29.endive"


@pytest.mark.parametrize("version", ["2025-08-27.basil", "2026-02-25.clover", "2020-08-27"])
def test_a_real_version_in_another_shape_is_refused_naming_what_is_served(
    client: stripe.StripeClient, version: str
) -> None:
    """basil still had `invoice.subscription`; answering it in endive's shape would be a lie."""
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.create({"name": "Ada"}, {"stripe_version": version})
    assert caught.value.http_status == 400
    message = caught.value.user_message
    assert version in message and API_VERSION in message and "2026-03-25.dahlia" in message
    assert _customers(client) == 0


@pytest.mark.parametrize("version", ["2026-08-26.dahlia", "2026-09-30.endive", API_VERSION])
def test_versions_whose_changes_are_additive_are_served_under_their_name(
    client: stripe.StripeClient, version: str
) -> None:
    customer = client.v1.customers.create({"name": "Ada"}, {"stripe_version": version})
    assert customer.last_response.headers["Stripe-Version"] == version
    assert client.v1.customers.retrieve(customer.id).name == "Ada"


def test_without_a_version_the_account_default_is_used(sandbox: Sandbox) -> None:
    import urllib.request

    request = urllib.request.Request(
        sandbox.url + "/v1/customers",
        headers={"Authorization": "Bearer sk_test_noversionheader0000"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.headers["Stripe-Version"] == API_VERSION


def test_the_served_versions_are_endive_and_dahlia_and_nothing_newer() -> None:
    served = served_versions()
    assert served[0] == API_VERSION
    assert {v.split(".")[1] for v in served} == {"endive", "dahlia"}
    assert "2026-03-25.dahlia" in served and "2026-02-25.clover" not in served


def test_a_dahlia_client_still_names_payment_method_types_as_it_did(
    client: stripe.StripeClient,
) -> None:
    """endive renamed the parameter to `allowed_payment_method_types`; dahlia's SDK sends the old name."""
    params = {"amount": 1000, "currency": "eur", "payment_method_types": ["card"]}
    dahlia = client.v1.payment_intents.create(params, {"stripe_version": "2026-08-26.dahlia"})
    assert dahlia.payment_method_types == ["card"]
    assert dahlia.automatic_payment_methods is None  # the types given, not automatic ones
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(params)
    assert caught.value.user_message == "Received unknown parameter: payment_method_types"


def test_a_webhook_endpoint_is_not_promised_a_version_the_sandbox_cannot_render(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.webhook_endpoints.create(
            {
                "url": "http://127.0.0.1:9/hook",
                "enabled_events": ["*"],
                "api_version": "2025-08-27.basil",
            }
        )
    assert caught.value.error.param == "api_version"
    assert "2025-08-27.basil" in caught.value.user_message
    assert client.v1.webhook_endpoints.list().data == []


def test_a_dahlia_webhook_endpoint_gets_its_events_labelled_dahlia(
    client: stripe.StripeClient,
) -> None:
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass  # the test's own receiver; nothing to log

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client.v1.webhook_endpoints.create(
            {
                "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
                "enabled_events": ["customer.created"],
                "api_version": "2026-08-26.dahlia",
            }
        )
        client.v1.customers.create({"name": "Hooked"})
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        server.shutdown()
    assert [e["api_version"] for e in received] == ["2026-08-26.dahlia"]
    # the event as listed keeps the account's version
    assert client.v1.events.list().data[0].api_version == API_VERSION
