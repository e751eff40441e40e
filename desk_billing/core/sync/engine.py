"""The sync engine: backfill, event polling and reconciliation that keep one cache true to Stripe.

It assembles the parts (`Backfill`, `EventPoller`, `Reconciliation`, each given what it uses)
and decides which runs when. Threads: the engine writes only on the thread that owns its `Cache`
(the caller of run/poll/reconcile/apply_event). Fetch threads, started per call, do HTTP through
the gateway (whose rate limiter is shared), decode each page and prepare its rows
(`Cache.prepare`, no connection), and hand them back through a bounded queue (`walk.PageWalk`);
so a big account syncs at the limiter's ceiling while SQLite sees one writer, which stores a page
in one statement and one transaction. (DESIGN says gui/tasks.py makes the threads: these are
HTTP-only helpers inside one core call, never visible to Qt.) The sync runs at the CPU priority of
the thread that calls it, fetch threads included: the GUI calls it on its background lane, whose
threads are lowered for good; the engine never lowers a thread itself (it could not raise it back).

Crash safety: every page is written in one transaction together with the cursor that says it
was written, so a killed sync resumes from its last committed page and ends equal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from desk_billing.core.cache import STATE_LAST_SYNC, Cache
from desk_billing.core.errors import DeskBillingError
from desk_billing.core.sync.backfill import Backfill
from desk_billing.core.sync.common import (
    DEFAULT_RECONCILE_EVERY_S,
    EVENT_RETENTION_S,
    EXPIRY_MARGIN_S,
    STATE_CURSOR,
    CursorGone,
    Progress,
    SyncCancelled,
    SyncProgress,
    SyncReport,
    Tally,
)
from desk_billing.core.sync.current import CurrentObjects
from desk_billing.core.sync.events import EventPoller
from desk_billing.core.sync.fetch import Fetcher
from desk_billing.core.sync.reconcile import Reconciliation
from desk_billing.core.sync.resources import RESOURCES, Resource

log = logging.getLogger(__name__)

__all__ = ["SyncCancelled", "SyncEngine", "SyncProgress", "SyncReport"]


class SyncEngine:
    """Keeps `cache` equal to the account behind `gateway`. See DESIGN.md, "Sync path"."""

    def __init__(
        self,
        gateway: Any,
        cache: Cache,
        *,
        progress: Callable[[SyncProgress], None] | None = None,
        cancel: threading.Event | None = None,
        concurrency: int = 4,
        reconcile_every_s: float | None = DEFAULT_RECONCILE_EVERY_S,
        resources: Sequence[Resource] = RESOURCES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from desk_billing.core.gateway import API_VERSION  # the SDK import, only when syncing

        self.cache = cache
        self.fetcher = Fetcher(gateway)
        self.cancel = cancel or threading.Event()
        self.concurrency = max(1, concurrency)
        self.reconcile_every_s = reconcile_every_s
        self.resources = tuple(resources)
        self._clock = clock
        reporter = Progress(progress)
        current = CurrentObjects(cache, self.fetcher)
        self.backfill = Backfill(
            cache, self.fetcher, self.resources, cancel=self.cancel, progress=reporter, clock=clock
        )
        self.events = EventPoller(
            cache,
            self.fetcher,
            current,
            api_version=API_VERSION,
            cancel=self.cancel,
            progress=reporter,
        )
        self.reconciliation = Reconciliation(
            cache, self.fetcher, current, cancel=self.cancel, progress=reporter, clock=clock
        )

    # -- public -------------------------------------------------------------------------------
    def run(self, full: bool = False) -> SyncReport:
        """Backfill what needs it (first run, resume, expired cursor), then apply new events,
        then reconcile when the schedule says so."""
        tally = Tally()
        with self._pool() as pool:
            cursor = self.cache.state_get(STATE_CURSOR)
            if full or cursor is None or self._cursor_expired(cursor, ask_server=True):
                self.backfill.begin_full(tally)
            self.backfill.run(pool, self.concurrency, tally)
            try:
                self.events.poll(pool, tally)
            except CursorGone:
                log.warning("The event cursor is no longer known to Stripe; backfilling everything")
                self.backfill.begin_full(tally)
                self.backfill.run(pool, self.concurrency, tally)
                self.events.poll(pool, tally)
            if self.reconcile_due():
                self.reconciliation.run(self.resources, pool, self.concurrency, tally)
        self._finish()
        return tally.report()

    def poll(self) -> SyncReport:
        """One events poll; nothing new costs exactly one request. Backfills first when the cache
        was never (completely) backfilled or its cursor has expired."""
        cursor = self.cache.state_get(STATE_CURSOR)
        pending = self.backfill.pending()
        if cursor is None or pending or self._cursor_expired(cursor, ask_server=False):
            return self.run(full=cursor is not None and not pending)
        tally = Tally()
        with self._pool() as pool:
            try:
                self.events.poll(pool, tally)
            except CursorGone:
                return self.run(full=True)
        self._finish()
        return tally.report()

    def reconcile(self, resources: Iterable[str] | None = None) -> SyncReport:
        """List again and compare: add missing rows, replace changed data, mark deleted what the
        server no longer lists. `resources` are cache table names (default: all)."""
        chosen = self.resources
        if resources is not None:
            wanted = set(resources)
            unknown = wanted - {r.table for r in self.resources}
            if unknown:
                raise DeskBillingError(
                    f"Cannot reconcile {', '.join(sorted(unknown))}: not synced."
                )
            chosen = tuple(r for r in self.resources if r.table in wanted)
        tally = Tally()
        with self._pool() as pool:
            self.reconciliation.run(chosen, pool, self.concurrency, tally)
        return tally.report()

    def apply_event(self, event: dict) -> bool:
        """Apply one event (from a webhook, or a test) through the same rules as polling.
        True when it was new; False for an event already applied. Never moves the poll cursor."""
        return self.events.apply([event], None, Tally(), move_cursor=False) > 0

    def reconcile_due(self) -> bool:
        """Whether the slow reconciliation schedule says it is time (run() does it then)."""
        return self.reconciliation.due(self.reconcile_every_s)

    # -- plumbing -----------------------------------------------------------------------------
    def _pool(self) -> ThreadPoolExecutor:
        # Its threads start from the caller's thread (on submit) and so run at its priority: all
        # lowered on the GUI's background lane, all normal in `desk-billing sync`. Fetch threads
        # lowered below a normal writer lost the CPU to it on a busy machine, and they are the
        # slower end of the pipeline.
        return ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sync-fetch")

    def _finish(self) -> None:
        with self.cache.transaction():
            self.cache.state_set(STATE_LAST_SYNC, self._clock())

    def _cursor_expired(self, cursor: Mapping[str, Any], ask_server: bool) -> bool:
        created = cursor.get("created")
        if (
            isinstance(created, (int, float))
            and self._clock() - created > EVENT_RETENTION_S - EXPIRY_MARGIN_S
        ):
            return True
        # Our clock cannot see Stripe's (nor a sandbox's moved clock): ask whether the cursor
        # event still exists. One request, so only in run(), never in the cheap poll().
        event_id = cursor.get("id")
        return bool(ask_server and event_id and not self.fetcher.event_exists(event_id))
