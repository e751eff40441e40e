"""When the journal tries an operation again, and when an error proves nothing was done.

Every attempt sends the row's own idempotency key and parameters, so trying again can never
act twice; the question is only whether Stripe's answer settles the row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from desk_billing.core.errors import (
    AuthenticationError,
    DeskBillingError,
    IdempotencyConflict,
    NetworkError,
    PermissionDenied,
    RateLimited,
    StripeAPIError,
)


class OutcomeUnknown(DeskBillingError):
    """Stripe could not be asked to the end; the row stays pending and is replayed later."""


@dataclass(frozen=True)
class RetryPolicy:
    """Our own attempts on top of the SDK's network retries, all with the same key and params."""

    attempts: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s) * (
            0.5 + random.random() / 2
        )


def retryable(error: DeskBillingError) -> bool:
    """Worth another attempt now: the network, a rate limit, or Stripe's own trouble (5xx, 409)."""
    if isinstance(error, (NetworkError, RateLimited)):
        return True
    if isinstance(error, IdempotencyConflict):
        return False
    if isinstance(error, StripeAPIError):
        return error.http_status is None or error.http_status >= 500 or error.http_status == 409
    return False


def definitive(error: DeskBillingError, attempts: int) -> bool:
    """Whether a refusal proves nothing was done under the key.

    Errors of a request Stripe executed (400/402/404) are stored under the key, so after an
    earlier success Stripe would have replayed the success instead. A 401/403 or an
    idempotency mismatch is decided before execution: after an earlier attempt with an
    unknown outcome it proves nothing.
    """
    if isinstance(error, IdempotencyConflict):
        return False
    if isinstance(error, (AuthenticationError, PermissionDenied)):
        return attempts == 1
    return True
