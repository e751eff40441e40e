"""The sandbox HTTP server: auth, switches (latency, rate limit, faults), idempotency, dispatch."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import schema, versions
from .errors import ApiError
from .listing import expand
from .router import Call, Router, api
from .state import API_VERSION, IdempotentResult, State
from .wire import decode_form, encode_json


@dataclass
class Switches:
    """Conditions a test or benchmark can impose: slowness, throttling, failures."""

    latency_ms: int = 0
    rate_limit: float | None = None  # requests per second; None = unlimited
    fault_rate: float = 0.0  # share of mutating requests that fail
    rng: random.Random = field(default_factory=random.Random)
    _tokens: float = 0.0
    _stamp: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take_token(self) -> bool:
        """Token bucket with a one-second burst; False when the request must get a 429."""
        if not self.rate_limit:
            return True
        with self._lock:
            now = time.monotonic()
            if not self._stamp:
                self._stamp, self._tokens = now, self.rate_limit
            self._tokens = min(
                self.rate_limit, self._tokens + (now - self._stamp) * self.rate_limit
            )
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def fault(self) -> str | None:
        """None, or how this mutating request fails: "before" (500, nothing done) or "drop"."""
        if self.fault_rate <= 0:
            return None
        with self._lock:
            if self.rng.random() >= self.fault_rate:
                return None
            return "before" if self.rng.random() < 0.5 else "drop"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    drop: bool = False


# Path segment after /v1/ -> the restricted-key permission that guards it, as Stripe names them.
PERMISSIONS = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "payment_methods": "payment_method",
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "subscriptions": "subscription",
    "subscription_items": "subscription",
    "invoices": "invoice",
    "invoiceitems": "invoice",
    "invoice_payments": "invoice",  # Stripe guards them with the Invoices permission
    "credit_notes": "credit_note",
    "events": "event",
    "balance": "balance",
    "account": "account",
    "webhook_endpoints": "webhook",
}


def _mask(key: str) -> str:
    head = key[:8] if key.startswith(("sk_", "rk_", "pk_")) else ""
    return head + "*" * max(0, len(key) - len(head) - 4) + key[-4:]


class SandboxApp:
    """Turns one HTTP request into one Response. Shared by all server threads."""

    def __init__(self, state: State, switches: Switches, control: Router) -> None:
        self.state = state
        self.switches = switches
        self.control = control

    # -- entry point ------------------------------------------------------------------------
    def handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        request_id = "req_" + self.state.new_id("x")[2:16]
        split = urlsplit(target)
        path = split.path.rstrip("/") or "/"
        try:
            if self.switches.latency_ms and path.startswith(("/v1/", "/_sandbox/invoices/")):
                time.sleep(self.switches.latency_ms / 1000)  # API calls and invoice documents
            if not path.startswith("/v1/"):
                return self._control(verb, path, split.query, body, request_id)
            if not self.switches.take_token():
                raise ApiError(
                    429,
                    "Request rate limit exceeded. You can learn more about rate limits here "
                    "https://stripe.com/docs/rate-limits.",
                    code="rate_limit",
                )
            return self._api(verb, path, split.query, headers, body, request_id)
        except ApiError as error:
            return self._error(error, request_id)
        except Exception:  # noqa: BLE001 - a sandbox bug answers 500 like Stripe, and says why on stderr
            traceback.print_exc(file=sys.stderr)
            return self._error(
                ApiError(500, "An unknown error occurred", type="api_error"), request_id
            )

    # -- the API ----------------------------------------------------------------------------
    def _api(
        self,
        verb: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        key = self._authenticate(headers)
        version = versions.negotiate(headers.get("stripe-version"))
        route, args = api.match(verb, path)
        self._authorize(key, verb, path)
        raw = body.decode("utf-8") if verb == "POST" else query
        params = versions.translate_params(version, verb, route.template, decode_form(raw))
        if route.params_class is not None:
            params = schema.validate(route.params_class, params)
        idem_key = headers.get("idempotency-key") if verb == "POST" else None
        fingerprint = hashlib.sha256(
            f"{verb} {path}\n{json.dumps(decode_form(raw), sort_keys=True)}".encode()
        ).hexdigest()
        call = Call(self.state, verb, path, params, args, key, idem_key, headers)
        with self.state.lock:
            if idem_key:
                replay = self._replay(idem_key, fingerprint, request_id)
                if replay is not None:
                    return replay
            fault = self.switches.fault() if verb in ("POST", "DELETE") else None
            if fault == "before":
                raise ApiError(500, "An unknown error occurred", type="api_error")
            self.state.request = {"id": request_id, "idempotency_key": idem_key}
            self.state.begin(snapshots=verb != "GET")
            try:
                result = route.handler(call)
                if params.get("expand"):
                    result = expand(self.state, result, params["expand"])
                body = encode_json(result)
            except ApiError as error:
                # A refusal changes nothing; a declined payment's 402 keeps the attempt, as on Stripe.
                if error.status == 402:
                    self.state.commit()
                else:
                    self.state.rollback()
                if error.status >= 500:
                    raise
                response = self._error(error, request_id)
            except BaseException:
                self.state.rollback()
                raise
            else:
                self.state.commit()
                response = Response(200, body)
            finally:
                self.state.request = {"id": None, "idempotency_key": None}
            if idem_key:
                # Stripe saves the result of every request that started executing, errors included.
                self.state.idempotency[idem_key] = IdempotentResult(
                    fingerprint, response.status, response.body, self.state.now()
                )
                response.headers["Idempotency-Key"] = idem_key
        response.headers["Request-Id"] = request_id
        response.headers["Stripe-Version"] = version
        response.drop = fault == "drop"
        return response

    def _replay(self, idem_key: str, fingerprint: str, request_id: str) -> Response | None:
        stored = self.state.idempotency.get(idem_key)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise ApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{idem_key}' if you meant to execute "
                "a different request.",
                type="idempotency_error",
            )
        return Response(
            stored.status,
            stored.body,
            {
                "Idempotent-Replayed": "true",
                "Idempotency-Key": idem_key,
                "Original-Request": request_id,
            },
        )

    def _authenticate(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        key = ""
        if auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        elif auth.lower().startswith("basic "):
            try:
                key = base64.b64decode(auth[6:]).decode("utf-8").split(":", 1)[0]
            except ValueError:
                key = ""
        if not key:
            raise ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
                "See https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.",
            )
        if key.startswith("pk_"):
            raise ApiError(
                401,
                "This API call cannot be made with a publishable API key. Please use a secret API key. "
                "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
            )
        valid = (
            key.startswith("sk_test_") and len(key) > len("sk_test_")
        ) or key in self.state.restricted_keys
        if not valid:
            raise ApiError(401, f"Invalid API Key provided: {_mask(key)}")
        return key

    def _authorize(self, key: str, verb: str, path: str) -> None:
        permissions = self.state.restricted_keys.get(key)
        if permissions is None:
            return
        resource = PERMISSIONS.get(path.split("/")[2], path.split("/")[2])
        needed = "read" if verb == "GET" else "write"
        granted = permissions.get(resource)
        if granted == "write" or granted == needed:
            return
        raise ApiError(
            403,
            f"The provided key '{_mask(key)}' does not have the required permissions for this "
            f"endpoint on account '{self.state.account_id}'. Having the 'rak_{resource}_{needed}' "
            "permission would allow this request to continue.",
            type="invalid_request_error",
        )

    # -- control endpoints (/_sandbox/...) and invoice documents ----------------------------
    def _control(self, verb: str, path: str, query: str, body: bytes, request_id: str) -> Response:
        route, args = self.control.match(verb, path)
        raw = body.decode("utf-8") if verb == "POST" else query
        params = decode_form(raw)
        if body and body.lstrip().startswith(b"{"):
            params = json.loads(body)
        call = Call(self.state, verb, path, params, args)
        with self.state.lock:
            result = route.handler(call)
        if callable(result):  # work that needs no state (rendering a document): outside the lock
            result = result()
        if isinstance(result, Response):
            return result
        return Response(200, encode_json(result))

    def _error(self, error: ApiError, request_id: str) -> Response:
        headers = {"Request-Id": request_id, **error.headers}
        if error.status >= 500:
            headers.setdefault("Stripe-Should-Retry", "true")
        return Response(error.status, encode_json(error.body(request_id)), headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client waits ~40 ms
    # for the delayed ACK on every request.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.server.app.handle(self.command, self.path, headers, body)
        if response.drop:
            # The change is committed; the client never hears of it (a dropped connection).
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may have gone already
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        # the version the request was answered in; errors before that say the account's default
        self.send_header("Stripe-Version", response.headers.pop("Stripe-Version", API_VERSION))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SandboxApp, verbose: bool = False) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.verbose = verbose
