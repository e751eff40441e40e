"""A local, stateful, Stripe-compatible HTTP server for demo mode, tests and benchmarks.

It imports nothing of desk_billing: code shared by the fake and the client would let one bug hide
on both sides. Start it in-process with `Sandbox().start()`, or with `desk-billing sandbox`.
"""

from __future__ import annotations

import threading
from typing import Any

from . import resources  # noqa: F401 - registers the API routes
from .app import SandboxApp, SandboxHTTPServer, Switches
from .control import control
from .state import API_VERSION, State

__all__ = ["API_VERSION", "Sandbox", "State"]


class Sandbox:
    """One sandbox account behind one HTTP server on loopback."""

    def __init__(
        self,
        *,
        seed: str = "empty",
        latency_ms: int = 0,
        rate_limit: float | None = None,
        fault_rate: float = 0.0,
        fault_seed: int | None = None,
        event_api_version: str = API_VERSION,
        verbose: bool = False,
    ) -> None:
        self.state = State(event_api_version=event_api_version)
        self.switches = Switches(
            latency_ms=latency_ms, rate_limit=rate_limit, fault_rate=fault_rate
        )
        if fault_seed is not None:
            self.switches.rng.seed(fault_seed)
        self.app = SandboxApp(self.state, self.switches, control)
        self.verbose = verbose
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._pending_seed = None if seed == "empty" else seed

    # -- lifecycle --------------------------------------------------------------------------
    def bind(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = SandboxHTTPServer((host, port), self.app, verbose=self.verbose)
        bound_host, bound_port = self._server.server_address[:2]
        self.state.base_url = f"http://{bound_host}:{bound_port}"
        if self._pending_seed:
            # seeded once the address is known: invoices carry absolute `invoice_pdf` URLs
            self.seed(self._pending_seed)
            self._pending_seed = None
        return self.state.base_url

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on a background thread; returns the base URL (give it to the SDK as `api`)."""
        url = self.bind(host, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sandbox",
            daemon=True,
        )
        self._thread.start()
        return url

    def serve_forever(self) -> None:
        assert self._server is not None, "bind() first"
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Sandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.state.base_url

    # -- in-process control (the same as the /_sandbox/ endpoints) --------------------------
    def advance_time(self, seconds: int = 0, *, days: int = 0) -> int:
        with self.state.lock:
            self.state.advance(seconds + days * 86400)
            return self.state.now()

    def register_restricted_key(self, key: str, permissions: dict[str, str]) -> None:
        """Accept `key` with permissions such as {"customer": "read", "refund": "write"}."""
        with self.state.lock:
            self.state.restricted_keys[key] = dict(permissions)

    def set_switches(self, **values: Any) -> None:
        for name, value in values.items():
            if not hasattr(self.switches, name) or name.startswith("_"):
                raise AttributeError(f"unknown switch {name}")
            setattr(self.switches, name, value)

    def seed(self, kind: str, **options: Any) -> dict[str, int]:
        """Fill the account: "demo" (a believable business) or "bulk" (large, for benchmarks).

        Call it after `start()`/`bind()` (or pass `seed=` to the constructor, which waits for the
        address), so that document URLs such as `invoice_pdf` point at this server.
        """
        from . import seeding

        with self.state.lock:
            return seeding.seed(self.state, kind, **options)
