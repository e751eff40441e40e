"""The one module that imports `stripe`: it builds `stripe.StripeClient` (pinned API version,
timeouts, retries, a client-side rate limit on every HTTP request), maps SDK errors to core's
typed errors and verifies webhook signatures, so nothing else in the app touches the SDK.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import stripe
from stripe import _telemetry_id as stripe_telemetry_id
from stripe import _util as stripe_util
from stripe._http_client import HTTPClient, new_default_http_client

from desk_billing.core.connection import ConnectionMonitor, TokenBucket
from desk_billing.core.errors import (
    AuthenticationError,
    DeskBillingError,
    IdempotencyConflict,
    NetworkError,
    NotFound,
    PermissionDenied,
    RateLimited,
    StripeAPIError,
    WebhookSignatureRejected,
)
from desk_billing.core.logging import log_request, mask_secrets, operator_name
from desk_billing.core.profiles import (
    ENV_API_BASE,
    MAX_NETWORK_RETRIES,
    RATE_LIMIT_LIVE_RPS,
    RATE_LIMIT_TEST_RPS,
    REQUEST_TIMEOUT_S,
    SDK_TELEMETRY,
    Profile,
    Settings,
)
from desk_billing.core.request_log import request_fields
from desk_billing.core.secrets import check_key

# The cache stores objects exactly as this API version renders them; a new SDK major that
# moves the pin must come with a cache migration, so refuse to run on a silent change.
API_VERSION = "2026-10-28.endive"
if stripe.api_version != API_VERSION:
    raise ImportError(
        f"desk-billing expects the Stripe SDK pinned to API version {API_VERSION}, "
        f"found {stripe.api_version}; install stripe 16.x."
    )

CONNECT_TIMEOUT_S = 10.0

# With STRIPE_LOG=debug the SDK prints every request body and response to stderr; the
# variable is read once at import, so it is switched off here rather than trusted.
stripe.log = None
stripe_util.STRIPE_LOG = None
logging.getLogger("stripe").setLevel(logging.WARNING)
# Telemetry is a setting, off by default (`configure_telemetry`); off before any request.
stripe.enable_telemetry = False
TELEMETRY_ID_FILE = "stripe_telemetry_id"

log = logging.getLogger(__name__)
R = TypeVar("R")
Sleep = Callable[[float], None]
Clock = Callable[[], float]


class KeptBody:
    """The body of a successful response, kept by `RateLimitedHTTPClient.body_kept`."""

    body: bytes | str | None = None


class RateLimitedHTTPClient(HTTPClient):
    """Wraps the SDK's default HTTP client: a token per attempt, retries of 429, state recorded.

    The SDK's retry loop (inherited `request_with_retries`) calls `request` for every attempt
    with the same headers, so each retry also waits for a token and keeps its Idempotency-Key.
    Every wait goes through `sleep` (tests hand in one that only counts).
    """

    name = "desk-billing-rate-limited"

    def __init__(
        self,
        inner: HTTPClient,
        bucket: TokenBucket,
        monitor: ConnectionMonitor,
        max_throttled_retries: int = 2,
        sleep: Sleep = time.sleep,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.context = dict(context or {})  # operator, profile, mode: on every request's line
        self._inner = inner
        self._bucket = bucket
        self._monitor = monitor
        self._max_throttled_retries = max_throttled_retries
        self._sleep = sleep
        self._kept = threading.local()

    def _sleep_time_seconds(self, num_retries: int) -> float:
        # The SDK's retry loop sleeps with `time.sleep(<this>)`. The SDK's own backoff is
        # waited here instead, through `sleep`, and the loop is left nothing to wait for.
        self._sleep(super()._sleep_time_seconds(num_retries))
        return 0.0

    @contextlib.contextmanager
    def body_kept(self) -> Iterator[KeptBody]:
        """Inside the block, a successful response's body (on this thread) is kept for the
        caller, and the SDK is handed `{}` to decode instead. For callers that decode large
        bodies themselves: the SDK's json + OrderedDict costs ~33 us per listed object, orjson
        ~7 (the sync's list pages). Errors pass through whole: the SDK still raises them."""
        kept = KeptBody()
        self._kept.value = kept
        try:
            yield kept
        finally:
            self._kept.value = None

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None
    ) -> tuple[Any, int, Mapping[str, str]]:
        response = self._send(self._inner.request, method, url, headers, post_data)
        kept = getattr(self._kept, "value", None)
        if kept is not None and 200 <= response[1] < 300:
            kept.body = response[0]
            return b"{}", response[1], response[2]
        return response

    def request_stream(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None
    ) -> tuple[Any, int, Mapping[str, str]]:
        return self._send(self._inner.request_stream, method, url, headers, post_data)

    def _send(self, send: Callable[..., Any], method: str, url: str, headers: Any, post_data: Any):
        attempt = 0
        while True:
            self._bucket.acquire()
            started = time.monotonic()
            path = urlsplit(url).path
            try:
                response = send(method, url, headers, post_data)
            except stripe.APIConnectionError as error:
                self._monitor.record("network_error")
                fields = request_fields(method, path, headers, None)
                log_request(
                    method, path, None, time.monotonic() - started, self.context,
                    error=type(error).__name__, **fields,
                )  # fmt: skip
                raise
            fields = request_fields(method, path, headers, response)
            log_request(
                method, path, response[1], time.monotonic() - started, self.context, **fields
            )
            if response[1] != 429:
                self._monitor.record("ok")
                return response
            self._monitor.record("throttled")
            # Stripe asks clients to back off and retry 429s; the SDK itself does not.
            if attempt >= self._max_throttled_retries:
                return response
            attempt += 1
            delay = min(0.5 * 2 ** (attempt - 1), 8.0) * (0.5 + random.random() / 2)
            log.info(
                "Stripe throttled %s %s; retry %d in %.2f s",
                method.upper(),
                urlsplit(url).path,
                attempt,
                delay,
            )
            self._sleep(delay)

    def close(self) -> None:
        self._inner.close()


def configure_telemetry(enabled: bool, id_dir: Path | None) -> None:
    """The SDK's telemetry (process-wide in stripe-python): off, or on with its install id kept
    in `id_dir` (our config folder) instead of the SDK's `~/.config/stripe/telemetry_id`, so
    nothing is written outside DESK_BILLING_HOME. With no `id_dir`, no id is sent at all."""
    stripe.enable_telemetry = enabled
    if not enabled:
        return
    telemetry_id = None
    if id_dir is not None:
        path = id_dir / TELEMETRY_ID_FILE
        try:
            telemetry_id = path.read_text(encoding="ascii").strip() or None
        except OSError:
            telemetry_id = None
        if telemetry_id is None:
            telemetry_id = secrets.token_hex(16)
            try:
                id_dir.mkdir(parents=True, exist_ok=True)
                path.write_text(telemetry_id, encoding="ascii")
            except OSError as error:
                log.warning("Cannot keep the SDK's telemetry id in %s: %s", id_dir, error)
    # The SDK reads its id once per process from these two names and writes a file only when
    # it has not loaded one: answering for it keeps it out of the user's home.
    stripe_telemetry_id._cached_id = telemetry_id
    stripe_telemetry_id._loaded = True


def _payment_intent_of(error: stripe.StripeError) -> str | None:
    """The payment intent Stripe's error body names (a declined or 3-D Secure payment), if any."""
    intent = getattr(error.error, "payment_intent", None)
    if intent is None or isinstance(intent, str):
        return intent
    return getattr(intent, "id", None)


def translate_error(error: stripe.StripeError) -> DeskBillingError:
    """One of core's typed errors for an SDK error, with Stripe's own words (keys masked)."""
    message = mask_secrets((error.user_message or "").strip())
    if isinstance(error, stripe.AuthenticationError):
        return AuthenticationError(
            f"Stripe did not accept the API key of this profile ({message or 'invalid key'})."
        )
    if isinstance(error, stripe.PermissionError):
        return PermissionDenied(message or "The API key is not allowed to do this.")
    if isinstance(error, stripe.RateLimitError):
        return RateLimited("Stripe is limiting requests right now; wait a minute and try again.")
    if isinstance(error, stripe.APIConnectionError):
        return NetworkError(
            "Stripe could not be reached; check the network connection and try again."
        )
    status = error.http_status
    code = error.code
    param = getattr(error, "param", None)
    decline = getattr(error, "decline_code", None)
    details = dict(
        code=code,
        http_status=status,
        param=param,
        request_id=error.request_id,
        decline_code=decline,
        payment_intent=_payment_intent_of(error),
    )
    if isinstance(error, stripe.IdempotencyError):
        return IdempotencyConflict(
            message or "Stripe refused the request's idempotency key.", **details
        )
    if status == 404 or code == "resource_missing":
        return NotFound(message or "That object does not exist in this account.", **details)
    return StripeAPIError(message or f"Stripe answered with an error (HTTP {status}).", **details)


class Gateway:
    """A configured StripeClient plus error mapping. Use `gateway.client.v1.<resource>.<verb>`
    inside `gateway.call(...)` or `with gateway.errors():`.
    """

    def __init__(
        self,
        client: stripe.StripeClient,
        mode: str,
        api_base: str | None,
        monitor: ConnectionMonitor,
        http_client: RateLimitedHTTPClient | None = None,
    ) -> None:
        self.client = client
        self.mode = mode
        self.api_base = api_base
        self.monitor = monitor
        self.http_client = http_client

    @classmethod
    def from_profile(
        cls,
        profile: Profile,
        api_key: str,
        api_base: str | None = None,
        settings: Settings | None = None,
        *,
        rate: float | None = None,
        env: Mapping[str, str] | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> Gateway:
        """Build the client: `api_base` (the CLI's --api-base) wins over STRIPE_API_BASE, then the
        profile's. `sleep` and `clock` pace the rate limit and the retries' backoff."""
        env = os.environ if env is None else env
        key = api_key.strip()
        info = check_key(key)
        base = api_base or env.get(ENV_API_BASE, "").strip() or profile.api_base or None

        def value(setting):  # defaults when no settings file is given (tests, scripts)
            return settings.get(setting) if settings is not None else setting.default

        configure_telemetry(
            value(SDK_TELEMETRY), settings.path.parent if settings is not None else None
        )
        if rate is None:
            rate = value(RATE_LIMIT_LIVE_RPS if info.mode == "live" else RATE_LIMIT_TEST_RPS)
        monitor = ConnectionMonitor()
        timeout = value(REQUEST_TIMEOUT_S)
        # Only the `requests` client (a dependency of the SDK) takes a timeout.
        inner = new_default_http_client(timeout=(CONNECT_TIMEOUT_S, timeout))
        bucket = TokenBucket(rate, clock=clock, sleep=sleep)
        context = {"operator": operator_name(), "profile": profile.name, "mode": info.mode}
        http_client = RateLimitedHTTPClient(inner, bucket, monitor, sleep=sleep, context=context)
        client = stripe.StripeClient(
            key,
            stripe_version=API_VERSION,
            base_addresses={"api": base.rstrip("/")} if base else None,
            max_network_retries=value(MAX_NETWORK_RETRIES),
            http_client=http_client,
        )
        return cls(client, info.mode, base, monitor, http_client)

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turns SDK errors raised inside the block into core's typed errors."""
        try:
            yield
        except stripe.StripeError as error:
            raise translate_error(error) from error

    def get_body(self, path: str, params: Mapping[str, Any] | None = None) -> bytes | str:
        """GET through the SDK (API version, retries, rate limit, errors mapped), but the JSON
        body as Stripe sent it, undecoded: for callers that decode it faster themselves."""
        with self.errors():
            if self.http_client is None:
                return self.client.raw_request("get", path, **dict(params or {})).body
            with self.http_client.body_kept() as kept:
                self.client.raw_request("get", path, **dict(params or {}))
            if kept.body is None:  # cannot happen: the SDK raised for anything but a success
                raise StripeAPIError("Stripe's answer had no body.")
            return kept.body

    def call(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`fn(*args, **kwargs)` with SDK errors mapped; e.g. `gw.call(gw.client.v1.customers.retrieve, "cus_1")`."""
        with self.errors():
            return fn(*args, **kwargs)

    def account(self) -> dict[str, Any]:
        """The Stripe account the key belongs to, as a plain dict (id, settings.dashboard.display_name, ...)."""
        with self.errors():
            return self.client.v1.accounts.retrieve_current().to_dict()


def verify_webhook_signature(payload: str, header: str, secret: str, tolerance: int) -> None:
    """Stripe's check of a webhook's `Stripe-Signature` header against its body and age;
    WebhookSignatureRejected (with `stale` for a signature older than `tolerance` s) otherwise."""
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        # The SDK says "tolerance" only when the signature matched but is too old.
        stale = "tolerance" in str(error)
        raise WebhookSignatureRejected(
            "The webhook's signature is too old."
            if stale
            else "The webhook's signature does not match.",
            stale=stale,
        ) from error
