"""A throwaway Stripe-shaped HTTP server on loopback for gateway tests.

Not a mock of the SDK: the real SDK sends real HTTP here. Each test scripts the replies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: str
    at: float


Reply = tuple[int, dict]
Script = Callable[[Seen], Reply]


def stripe_error(
    status: int, type_: str, message: str, code: str | None = None, param: str | None = None
) -> Reply:
    error = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return status, {"error": error}


class FakeTime:
    """A clock that moves only when something sleeps on it: waits cost no real time, and every
    wait is recorded (for the rate limit and the retries' backoff)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


class StripeStub:
    """Answers every request with `script(request)`; records what it saw, and when by `clock`."""

    def __init__(self, script: Script, clock: Callable[[], float] = time.monotonic) -> None:
        self.script = script
        self.seen: list[Seen] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this each answer waited for the
            # client's delayed ACK (~40 ms).
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                seen = Seen(self.command, self.path, dict(self.headers), body, clock())
                stub.seen.append(seen)
                status, payload = stub.script(seen)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{len(stub.seen)}")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, *args) -> None:  # keep test output clean
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll: `shutdown` waits for the serving loop to notice (0.5 s by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> StripeStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def customer(n: int) -> dict:
    return {
        "id": f"cus_{n:04d}",
        "object": "customer",
        "created": 1_700_000_000 - n,
        "email": f"c{n}@example.com",
    }
