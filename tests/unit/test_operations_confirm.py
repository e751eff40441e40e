"""Live-mode confirmation and the journal's retry decisions, without a server."""

from __future__ import annotations

from desk_billing.core.errors import (
    AuthenticationError,
    IdempotencyConflict,
    NetworkError,
    PermissionDenied,
    RateLimited,
    StripeAPIError,
)
from desk_billing.core.journal.retry import RetryPolicy, definitive, retryable
from desk_billing.core.operations.confirm import LiveConfirmation, needs_confirmation


def test_typed_amount_or_id_confirms_and_nothing_else():
    confirm = LiveConfirmation("pi_123", 1250, "eur")
    assert confirm.expected == "12.50"
    assert all(confirm.matches(t) for t in ("12.50", "12,50", " 12.5 ", "pi_123"))
    assert not any(confirm.matches(t) for t in ("", "12", "125.0", "pi_12", "yes", "1250"))
    jpy = LiveConfirmation("ch_1", 1200, "jpy")
    assert jpy.expected == "1200" and jpy.matches("1,200") and not jpy.matches("12.00")
    assert LiveConfirmation("cus_9").matches("cus_9") and not LiveConfirmation("cus_9").matches("9")
    assert needs_confirmation("live") and not needs_confirmation("test")


def test_only_ambiguous_errors_are_retried():
    assert retryable(NetworkError("x"))
    assert retryable(RateLimited("x"))
    assert retryable(StripeAPIError("x", http_status=500))
    assert retryable(StripeAPIError("x", http_status=409))
    assert not retryable(StripeAPIError("declined", http_status=402))
    assert not retryable(PermissionDenied("x"))
    # A key Stripe refuses (used with other parameters) fails the same way however often it is sent.
    assert not retryable(IdempotencyConflict("Keys for idempotent requests…", http_status=400))


def test_a_refusal_after_an_unknown_outcome_does_not_close_the_row_as_failed():
    assert definitive(StripeAPIError("too large", http_status=400), attempts=3)
    assert definitive(PermissionDenied("no"), attempts=1)
    assert not definitive(PermissionDenied("no"), attempts=2)
    assert not definitive(AuthenticationError("revoked"), attempts=2)
    mismatch = IdempotencyConflict("Keys for idempotent requests…", http_status=400)
    assert not definitive(mismatch, attempts=1)


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(attempts=4, base_delay_s=1.0, max_delay_s=8.0)
    assert 0.5 <= policy.delay(1) <= 1.0
    assert 2.0 <= policy.delay(3) <= 4.0
    assert 4.0 <= policy.delay(10) <= 8.0
