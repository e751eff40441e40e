"""Pacing and health of the connection to Stripe: a token bucket for the client-side rate limit
and a monitor of outcomes (throttled, offline, last reached) for the status bar. No SDK here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

THROTTLED_FOR_S = 30.0


class TokenBucket:
    """Allows `rate` requests per second on average, `burst` at once; thread-safe, blocking."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        # A quarter second's worth of burst: any one-second window then holds at most
        # 1.25 x rate requests, which for the defaults (20/80) is Stripe's ceiling (25/100).
        self.capacity = burst if burst is not None else max(1.0, rate / 4)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1 - 1e-9:  # tolerance: float refills land a hair below 1
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                delay = (1 - self._tokens) / self.rate
            self._sleep(delay)
            waited += delay


@dataclass(frozen=True)
class ConnectionState:
    """What the status bar shows: throttled by Stripe lately, offline, when last reached."""

    throttled: bool
    offline: bool
    last_ok_at: float | None
    last_throttled_at: float | None
    last_network_error_at: float | None


class ConnectionMonitor:
    """Records outcomes of HTTP requests, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ok: float | None = None
        self._throttled: float | None = None
        self._network_error: float | None = None

    def record(self, outcome: str) -> None:
        """`outcome` is "ok", "throttled" or "network_error"; times are UTC epoch seconds."""
        now = time.time()
        with self._lock:
            if outcome == "ok":
                self._ok = now
            elif outcome == "throttled":
                self._throttled = now
            else:
                self._network_error = now

    def state(self) -> ConnectionState:
        """A snapshot for display."""
        with self._lock:
            now = time.time()
            throttled = self._throttled is not None and now - self._throttled < THROTTLED_FOR_S
            offline = self._network_error is not None and (
                self._ok is None or self._network_error > self._ok
            )
            return ConnectionState(
                throttled, offline, self._ok, self._throttled, self._network_error
            )
