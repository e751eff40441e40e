"""Webhook endpoints of the account: list, create (the integration guide's essential events
preselected), enable or disable, delete; and the local listener's `stripe listen` line.

The signing secret Stripe returns once, when an endpoint is created, goes straight to the OS
keyring as the profile's listener secret (`core.webhook_listener`); it is taken out of the
result before anything else sees it, so it is never shown, logged or journaled. Live mode only
takes https URLs: Stripe delivers live events to nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from desk_billing.core.errors import DeskBillingError, ValidationError
from desk_billing.core.journal import (
    Journal,
    OperationRequest,
    OperationResult,
    operation,
    reports_changes,
)
from desk_billing.core.operations.validation import require_id

log = logging.getLogger(__name__)

ESSENTIAL_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
)
LISTENER_PATH = "/webhook"


@operation("webhook_endpoint.create")
def _create(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.webhook_endpoints.create(params, options)


@operation("webhook_endpoint.update")
def _update(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.webhook_endpoints.update(target, params, options)


@operation("webhook_endpoint.delete")
def _delete(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.webhook_endpoints.delete(target, params, options)


@dataclass(frozen=True)
class Endpoint:
    """One webhook endpoint as the Webhooks view and `webhooks list` show it."""

    id: str
    url: str
    status: str
    enabled_events: tuple[str, ...]
    api_version: str | None
    description: str | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Endpoint:
        return cls(
            data["id"],
            data["url"],
            data.get("status") or "enabled",
            tuple(data.get("enabled_events") or ()),
            data.get("api_version"),
            data.get("description"),
        )

    def covers(self, events: Sequence[str] = ESSENTIAL_EVENTS) -> tuple[str, ...]:
        """The events of `events` this endpoint is NOT sent (empty: it covers them all)."""
        if "*" in self.enabled_events:
            return ()
        return tuple(e for e in events if e not in self.enabled_events)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "status": self.status,
            "enabled_events": list(self.enabled_events),
            "api_version": self.api_version,
            "description": self.description,
        }


def check_url(url: str, mode: str) -> str:
    """An absolute http(s) URL; https in live mode."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"'{text}' is not a URL; give one such as https://example.com/stripe."
        )
    if mode == "live" and parts.scheme != "https":
        raise ValidationError(
            "In live mode a webhook endpoint must use https (Stripe sends live events only over TLS)."
        )
    return text


def check_events(events: Sequence[str] | None) -> list[str]:
    chosen = [e.strip() for e in (events or ESSENTIAL_EVENTS) if e and e.strip()]
    for event in chosen:
        if event != "*" and ("." not in event or any(c.isspace() for c in event)):
            raise ValidationError(f"'{event}' is not an event type such as invoice.paid.")
    return list(dict.fromkeys(chosen))


def list_endpoints(gateway: Any) -> list[Endpoint]:
    """Every endpoint of the account in this mode (not cached: a handful, read fresh)."""
    with gateway.errors():
        listing = gateway.client.v1.webhook_endpoints.list({"limit": 100})
        return [Endpoint.of(e.to_dict()) for e in listing.auto_paging_iter()]


def _without_secret(result: OperationResult) -> OperationResult:
    data = {k: v for k, v in result.object.items() if k != "secret"}
    return replace(result, object=data)


@reports_changes
def create_endpoint(
    journal: Journal,
    url: str,
    events: Sequence[str] | None = None,
    *,
    description: str = "",
    save_secret: Any = None,
) -> OperationResult:
    """Register an endpoint (the essential events unless `events` names others) and keep its
    signing secret in the keyring for the listener. `save_secret(profile, secret)` defaults to
    the listener's keyring entry."""
    url = check_url(url, journal.gateway.mode)
    params: dict[str, Any] = {"url": url, "enabled_events": check_events(events)}
    if description.strip():
        params["description"] = description.strip()
    result = journal.run(OperationRequest("webhook_endpoint.create", params, tag=True))
    secret = result.object.get("secret")
    cleaned = _without_secret(result)
    if secret:
        if save_secret is None:
            from desk_billing.core.webhook_listener import save_webhook_secret as save_secret
        try:
            save_secret(journal.profile, secret)
        except DeskBillingError as error:
            # The endpoint exists; without a keyring the secret cannot be kept, only said so.
            raise DeskBillingError(
                f"Endpoint {cleaned.object['id']} was created, but its signing secret could not be "
                f"kept ({error.message}); roll the secret in the Stripe Dashboard once a keyring works."
            ) from error
    return cleaned


@reports_changes
def set_endpoint_enabled(journal: Journal, endpoint_id: str, enabled: bool) -> OperationResult:
    endpoint_id = require_id(endpoint_id, ("we_",), "webhook endpoint")
    return journal.run(
        OperationRequest("webhook_endpoint.update", {"disabled": not enabled}, endpoint_id)
    )


@reports_changes
def delete_endpoint(journal: Journal, endpoint_id: str) -> OperationResult:
    endpoint_id = require_id(endpoint_id, ("we_",), "webhook endpoint")
    return journal.run(OperationRequest("webhook_endpoint.delete", {}, endpoint_id))


def listen_command(port: int) -> str:
    """The exact line that forwards this account's events to the local listener."""
    return f"stripe listen --forward-to localhost:{int(port)}{LISTENER_PATH}"
