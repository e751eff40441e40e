"""Stripe's error envelope: every refusal the sandbox makes is an ApiError rendered as Stripe renders it."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answered with Stripe's `{"error": {...}}` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # noqa: A002 - Stripe's own field name
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}
        self.extra = extra

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def invalid(
    message: str, *, param: str | None = None, code: str | None = None, **extra: Any
) -> ApiError:
    """A 400 invalid_request_error, Stripe's answer to a request it cannot carry out."""
    return ApiError(400, message, code=code, param=param, **extra)


def missing(kind: str, object_id: str, param: str = "id") -> ApiError:
    """Stripe's 404 for an unknown id: `No such customer: 'cus_x'`."""
    return ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def state_error(message: str, *, code: str, param: str | None = None) -> ApiError:
    """A 400 for an action the object's current state does not allow."""
    return ApiError(400, message, code=code, param=param)


def card_error(
    message: str, *, code: str, decline_code: str | None = None, **extra: Any
) -> ApiError:
    """A 402 card_error, as Stripe answers a declined payment."""
    if decline_code:
        extra["decline_code"] = decline_code
    return ApiError(402, message, type="card_error", code=code, **extra)
