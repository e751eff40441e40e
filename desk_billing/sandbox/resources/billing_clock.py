"""Sandbox time for billing: run a block at another time, and replay what falls due in time order.

Invoices and subscriptions add their schedulers to SCHEDULERS; one `on_advance` hook per state
(`ensure_billing_hook`) runs them whenever sandbox time moves.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from ..state import State


@contextlib.contextmanager
def billing_clock(state: State, at: int | None) -> Iterator[None]:
    """Run the block with the sandbox clock at `at` (a past or future unix time), then restore it.

    Everything created inside — invoices, payment intents, charges, events — carries that time.
    Seeding uses it to build a year of history; the advance hook to replay renewals in order.
    """
    if at is None:
        yield
        return
    saved = state.offset
    state.offset = int(at) - int(time.time())
    try:
        yield
    finally:
        state.offset = saved


SCHEDULERS: list[Callable[[State, int, int], list[tuple[int, int, str, Callable[[], None]]]]] = []


"""Each returns (time, order, key, action) for what falls due by `after`; subscriptions add theirs."""


def ensure_billing_hook(state: State) -> None:
    """Register the billing hook on this state (once), as soon as it holds anything billable."""
    if run_billing not in state.on_advance:
        state.on_advance.append(run_billing)


def run_billing(state: State, before: int, after: int) -> None:
    """Replay everything due in (before, after] in time order, each at its own sandbox time.

    Renewals, trial ends, retries, auto-finalization, overdue notices, incomplete expiry: each
    action runs under `billing_clock(its time)`, so objects and events carry the right dates; a
    round's actions may schedule more (next period, next retry), hence the rounds.
    """
    fired: set[str] = set()
    for _ in range(10_000):
        actions = [
            a
            for scheduler in SCHEDULERS
            for a in scheduler(state, before, after)
            if a[2] not in fired
        ]
        if not actions:
            return
        actions.sort(key=lambda a: (a[0], a[1]))
        for at, _order, key, action in actions:
            fired.add(key)
            with billing_clock(state, at):
                action()
