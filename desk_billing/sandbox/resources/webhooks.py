"""Webhook endpoints and signed delivery (`Stripe-Signature: t=...,v1=...`), as Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from ..common import deleted, require
from ..errors import invalid
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State
from ..versions import require_served


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header value for a payload."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Deliverer:
    """Posts events to the registered endpoints on a background thread, in order, best effort.

    An event's `pending_webhooks` counts the endpoints it is still owed to: set when it is
    recorded, one less for each delivery an endpoint answers with a 2xx.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.secrets: dict[str, str] = {}
        self.queue: queue.Queue[tuple[str, str, bytes]] = queue.Queue()
        self.delivered: list[tuple[str, int]] = []  # (event id, HTTP status) for tests and demo
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()
        state.on_event.append(self.enqueue)
        state.count_webhooks = self.count

    def _targets(self, event_type: str) -> list[dict[str, Any]]:
        return [
            endpoint
            for endpoint in self.state.newest_first("webhook_endpoints")
            if endpoint["status"] == "enabled"
            and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
        ]

    def count(self, event_type: str) -> int:
        return len(self._targets(event_type))

    def enqueue(self, event: dict[str, Any]) -> None:
        for endpoint in self._targets(event["type"]):
            # Stripe renders an endpoint's events in the endpoint's version (a served one)
            version = endpoint["api_version"] or event["api_version"]
            payload = json.dumps({**event, "api_version": version}).encode()
            self.queue.put((endpoint["id"], endpoint["url"], payload))

    def _delivered(self, event_id: str) -> None:
        with self.state.lock:
            event = self.state.get("events", event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1

    def _run(self) -> None:
        while True:
            endpoint_id, url, payload = self.queue.get()
            secret = self.secrets.get(endpoint_id)
            if secret is None:
                continue
            request = urllib.request.Request(
                url,
                data=payload,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign(payload, secret, int(time.time())),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
            )
            event_id = json.loads(payload)["id"]
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    self.delivered.append((event_id, response.status))
                if 200 <= response.status < 300:
                    self._delivered(event_id)
            except OSError as exc:
                self.delivered.append((event_id, getattr(exc, "code", 0) or 0))


def _check_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("Invalid URL: URL must be a valid absolute URL.", param="url")
    return url


def _deliverer(state: State) -> Deliverer:
    deliverer = getattr(state, "_deliverer", None)
    if deliverer is None:
        deliverer = Deliverer(state)
        state._deliverer = deliverer  # type: ignore[attr-defined]
    return deliverer


@api.route("post", "/v1/webhook_endpoints")
def create(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    if params.get("api_version"):
        require_served(params["api_version"], param="api_version")
    endpoint = state.insert(
        "webhook_endpoints",
        {
            "id": state.new_id("we"),
            "object": "webhook_endpoint",
            "api_version": params.get("api_version"),
            "application": None,
            "created": state.now(),
            "description": params.get("description"),
            "enabled_events": list(params["enabled_events"]),
            "livemode": False,
            "metadata": apply_metadata({}, params.get("metadata")),
            "status": "enabled",
            "url": _check_url(params["url"]),
        },
    )
    secret = "whsec_" + secrets.token_hex(16)
    _deliverer(state).secrets[endpoint["id"]] = secret
    return {**endpoint, "secret": secret}  # the secret is shown once, at creation


@api.route("get", "/v1/webhook_endpoints/{webhook_endpoint}")
def retrieve(call: Call) -> dict[str, Any]:
    return require(
        call.state, "webhook_endpoints", call.arg("webhook_endpoint"), "webhook endpoint"
    )


@api.route("post", "/v1/webhook_endpoints/{webhook_endpoint}")
def update(call: Call) -> dict[str, Any]:
    endpoint = require(
        call.state, "webhook_endpoints", call.arg("webhook_endpoint"), "webhook endpoint"
    )
    params = call.params
    changes = {k: params[k] for k in ("description", "url", "enabled_events") if k in params}
    if "url" in changes:
        _check_url(changes["url"])
    if "disabled" in params:
        changes["status"] = "disabled" if params["disabled"] else "enabled"
    if "metadata" in params:
        changes["metadata"] = apply_metadata(endpoint, params["metadata"])
    call.state.update(endpoint, changes)
    return endpoint


@api.route("delete", "/v1/webhook_endpoints/{webhook_endpoint}")
def delete(call: Call) -> dict[str, Any]:
    endpoint = require(
        call.state, "webhook_endpoints", call.arg("webhook_endpoint"), "webhook endpoint"
    )
    call.state.delete("webhook_endpoints", endpoint["id"])
    _deliverer(call.state).secrets.pop(endpoint["id"], None)
    return deleted(endpoint["id"], "webhook_endpoint")


@api.route("get", "/v1/webhook_endpoints")
def list_endpoints(call: Call) -> dict[str, Any]:
    return paginate(
        call,
        call.state.collection("webhook_endpoints"),
        url="/v1/webhook_endpoints",
        kind="webhook endpoint",
    )
