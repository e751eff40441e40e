"""An optional local endpoint for signed Stripe webhooks (`stripe listen --forward-to`, a relay).

Off by default: polling is the safety net and stays on. Bound to 127.0.0.1 only. A request is
accepted when its `Stripe-Signature` verifies with the signing secret (the SDK's own check) and
its timestamp is at most `tolerance` seconds old; an event id seen before is a replay and is not
delivered again. Accepted events go to `deliver` (by default the `received` queue), which the
thread owning the cache drains into `SyncEngine.apply_event` — the same path as polling.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import keyring
import keyring.errors
import orjson

from desk_billing.core.errors import (
    DeskBillingError,
    NoSecureKeyring,
    ValidationError,
    WebhookSignatureRejected,
)
from desk_billing.core.gateway import verify_webhook_signature
from desk_billing.core.secrets import insecure_reason

log = logging.getLogger(__name__)

ENV_WEBHOOK_SECRET = "STRIPE_WEBHOOK_SECRET"
SERVICE = "desk-billing-webhook"  # keyring service; the username is the profile name
PATH = "/webhook"
TOLERANCE_S = 300  # Stripe's default: older signatures are refused as replays
MAX_BODY = 1 << 20
REMEMBERED_IDS = 10_000


def check_webhook_secret(secret: str) -> str:
    secret = (secret or "").strip()
    if not secret.startswith("whsec_") or len(secret) < 12 or any(c.isspace() for c in secret):
        raise ValidationError(
            "A webhook signing secret starts with whsec_; copy it again from Stripe."
        )
    return secret


def save_webhook_secret(profile: str, secret: str) -> None:
    """Keep the signing secret of a profile in the OS keyring (never in settings or logs)."""
    secret = check_webhook_secret(secret)
    reason = insecure_reason()
    if reason is not None:
        raise NoSecureKeyring(reason)
    try:
        keyring.set_password(SERVICE, profile, secret)
    except keyring.errors.KeyringError as error:
        raise DeskBillingError(
            f"The keyring refused to store the webhook secret: {error}."
        ) from error


def webhook_secret(profile: str, env: Mapping[str, str]) -> str | None:
    """STRIPE_WEBHOOK_SECRET when set, else the profile's keyring entry, else None."""
    from_env = env.get(ENV_WEBHOOK_SECRET, "").strip()
    if from_env:
        return check_webhook_secret(from_env)
    if insecure_reason() is not None:
        return None
    try:
        return keyring.get_password(SERVICE, profile)
    except keyring.errors.KeyringError as error:
        raise DeskBillingError(f"The keyring could not be read: {error}.") from error


class WebhookListener:
    """`with WebhookListener(secret) as listener: listener.url` -> http://127.0.0.1:PORT/webhook."""

    def __init__(
        self,
        secret: str,
        *,
        port: int = 0,
        tolerance: int = TOLERANCE_S,
        deliver: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._secret = check_webhook_secret(secret)
        self._port = port
        self.tolerance = tolerance
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self._deliver = deliver or self.received.put
        self.rejected: Counter[str] = Counter()  # reason -> count, for the status display and tests
        self.accepted = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never the secret
        return f"WebhookListener(url={self.url!r})"

    @property
    def url(self) -> str | None:
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def start(self) -> str:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                status, text = listener.handle(self.path, self.headers, self._body())
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes | None:
                length = int(self.headers.get("Content-Length") or 0)
                return None if length > MAX_BODY else self.rfile.read(length)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                log.debug("webhook: " + format, *args)

        # Loopback only: this endpoint must never be reachable from the network.
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-listener", daemon=True
        )
        self._thread.start()
        return self.url  # type: ignore[return-value]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookListener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, path: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, str]:
        """(HTTP status, text) for one request; delivers the event when it is accepted."""
        if path.split("?", 1)[0] != PATH:
            return self._reject("path", 404, "not found")
        if body is None:
            return self._reject("size", 413, "too large")
        try:
            payload = body.decode("utf-8")
            verify_webhook_signature(
                payload, headers.get("Stripe-Signature") or "", self._secret, self.tolerance
            )
        except UnicodeDecodeError:
            return self._reject("encoding", 400, "not UTF-8")
        except WebhookSignatureRejected as error:
            return self._reject(
                "stale" if error.stale else "signature",
                400,
                "stale" if error.stale else "bad signature",
            )
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            return self._reject("json", 400, "not JSON")
        event_id = event.get("id") if isinstance(event, dict) else None
        if not isinstance(event_id, str):
            return self._reject("json", 400, "not an event")
        with self._lock:
            if event_id in self._seen:
                # A replay (or a duplicate delivery): never applied twice. 200 so that Stripe,
                # which only retries on failure, stops sending it.
                self.rejected["replayed"] += 1
                return 200, "already received"
            self._seen[event_id] = None
            while len(self._seen) > REMEMBERED_IDS:
                self._seen.popitem(last=False)
            self.accepted += 1
        self._deliver(event)
        return 200, "ok"

    def _reject(self, reason: str, status: int, text: str) -> tuple[int, str]:
        with self._lock:
            self.rejected[reason] += 1
        log.info("Webhook refused: %s", reason)
        return status, text
