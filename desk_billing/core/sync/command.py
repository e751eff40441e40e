"""What `desk-billing sync` does around the engine: print a summary, keep polling with `--watch`.
(Binding the profile to its account is `AccountSession.bind_account`.)"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from desk_billing.core.cache import Cache
from desk_billing.core.sync.engine import SyncEngine, SyncReport

log = logging.getLogger(__name__)


def format_report(report: SyncReport, cache: Cache) -> str:
    """The summary `desk-billing sync` prints: objects per resource, events applied, duration."""
    kind = "full backfill" if report.full_backfill else "incremental"
    lines = [
        f"Synced in {report.duration:.1f} s ({kind}); {report.events_applied} events applied.",
    ]
    counts = cache.counts()
    for table, rows in counts.items():
        if table == "events":
            continue
        written = report.objects.get(table, 0)
        lines.append(f"  {table:<16} {rows:>8} in cache  {written:>8} written")
    return "\n".join(lines)


def watch(
    engine: SyncEngine,
    interval: float,
    *,
    out: Callable[[str], None],
    stop: threading.Event,
    webhooks: queue.Queue[dict[str, Any]] | None = None,
) -> None:
    """Poll every `interval` seconds until `stop` is set; reconcile when due; apply webhook
    events as they arrive (on this thread, the cache's owner)."""
    next_poll = time.monotonic() + interval
    while not stop.is_set():
        timeout = max(0.0, next_poll - time.monotonic())
        if webhooks is not None:
            try:
                event = webhooks.get(timeout=min(timeout, 0.5))
            except queue.Empty:
                pass
            else:
                if engine.apply_event(event):
                    out(f"webhook {event.get('type')} {event.get('id')} applied")
                continue
        elif stop.wait(min(timeout, 0.5)):
            return
        if time.monotonic() < next_poll:
            continue
        report = engine.run() if engine.reconcile_due() else engine.poll()
        if report.events_applied or report.changed or report.full_backfill:
            changed = sum(len(ids) for ids in report.changed.values())
            out(
                f"{time.strftime('%H:%M:%S')} {report.events_applied} events, {changed} objects changed"
            )
        next_poll = time.monotonic() + interval
