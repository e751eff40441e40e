"""The webhook listener: signed deliveries from the sandbox are applied; forged, stale and
replayed ones are not."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from desk_billing.core.webhook_listener import WebhookListener, save_webhook_secret, webhook_secret
from desk_billing.sandbox.resources.webhooks import sign


def _post(url: str, payload: bytes, signature: str) -> int:
    request = urllib.request.Request(
        url,
        data=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _next(listener: WebhookListener, timeout: float = 5.0) -> dict:
    return listener.received.get(timeout=timeout)


def test_signed_delivery_is_applied_through_the_engine(sandbox, client, engine, cache):
    engine.run()
    endpoint = client.v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/", "enabled_events": ["*"]}
    )
    with WebhookListener(endpoint.secret) as listener:
        assert listener.url.startswith("http://127.0.0.1:")
        client.v1.webhook_endpoints.update(endpoint.id, {"url": listener.url})
        customer = client.v1.customers.create({"email": "hook@example.com"})

        event = _next(listener)
        assert event["type"] == "customer.created"
        assert engine.apply_event(event)
        assert cache.get("customers", customer.id)["email"] == "hook@example.com"
        # Polling afterwards does not apply it twice.
        assert engine.poll().events_applied == 0


def test_bad_signature_stale_and_replayed_are_rejected():
    secret = "whsec_" + "a" * 32
    event = {"id": "evt_1", "object": "event", "type": "customer.created", "data": {"object": {}}}
    payload = json.dumps(event).encode()
    with WebhookListener(secret) as listener:
        url = listener.url
        assert _post(url, payload, sign(payload, "whsec_" + "b" * 32, int(time.time()))) == 400
        assert _post(url, payload, sign(payload, secret, int(time.time()) - 301)) == 400
        assert _post(url, payload + b" ", sign(payload, secret, int(time.time()))) == 400
        assert listener.received.empty()
        assert listener.rejected["signature"] == 2 and listener.rejected["stale"] == 1

        assert _post(url, payload, sign(payload, secret, int(time.time()))) == 200
        assert _post(url, payload, sign(payload, secret, int(time.time()))) == 200  # replay
        assert _next(listener)["id"] == "evt_1"
        assert listener.received.empty()
        assert listener.rejected["replayed"] == 1 and listener.accepted == 1
        assert (
            _post(
                url.replace("/webhook", "/other"), payload, sign(payload, secret, int(time.time()))
            )
            == 404
        )


def test_secret_lives_in_the_keyring_and_is_never_shown():
    secret = "whsec_" + "c" * 32
    save_webhook_secret("default", secret)
    assert webhook_secret("default", env={}) == secret
    assert secret not in repr(WebhookListener(secret))
    with pytest.raises(Exception, match="whsec_"):
        save_webhook_secret("default", "sk_test_notasecret")
