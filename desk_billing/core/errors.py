"""The small set of typed errors core raises; each carries one human sentence for the user."""

from __future__ import annotations


class DeskBillingError(Exception):
    """Base of every expected error; `message` is one sentence safe to show and log."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(DeskBillingError):
    """Input (a typed amount, a key, a setting) is not acceptable."""


class AuthenticationError(DeskBillingError):
    """Stripe refused the API key (401)."""


class PermissionDenied(DeskBillingError):
    """The key lacks a permission (403); the message keeps Stripe's text naming it."""


class RateLimited(DeskBillingError):
    """Stripe kept answering 429 after our retries."""


class NetworkError(DeskBillingError):
    """Stripe could not be reached (offline, DNS, timeout, dropped connection)."""


class StripeAPIError(DeskBillingError):
    """Stripe answered with an error; keeps Stripe's message, code and parameter."""

    def __init__(
        self,
        message: str,
        code: str | None = None,
        http_status: int | None = None,
        param: str | None = None,
        request_id: str | None = None,
        decline_code: str | None = None,
        payment_intent: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.param = param
        self.request_id = request_id
        self.decline_code = decline_code
        self.payment_intent = payment_intent  # the payment a card error is about, if Stripe says


class NotFound(StripeAPIError):
    """The object does not exist in this account and mode (404 / resource_missing)."""


class IdempotencyConflict(StripeAPIError):
    """Stripe refused a request whose idempotency key was already used with other parameters
    (or is still being processed); decided before anything ran, so it proves nothing was done."""


class WebhookSignatureRejected(DeskBillingError):
    """A webhook's Stripe-Signature does not match its body, or is older than the tolerance."""

    def __init__(self, message: str, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale


class NoSecureKeyring(DeskBillingError):
    """No secure OS keyring is available; the caller may offer a session-only key instead."""
