"""The sync engine: backfill, event polling and reconciliation that keep one cache true to Stripe.

Threads: the engine writes only on the thread that owns its `Cache` (the caller of run/poll/
reconcile/apply_event). Fetch threads, started per call, do HTTP through the gateway (whose
rate limiter is shared), decode each page and prepare its rows (`Cache.prepare`, no connection),
and hand them back through a bounded queue; so a big account syncs at the limiter's ceiling
while SQLite sees one writer, which stores a page in one statement and one transaction. (DESIGN says gui/tasks.py makes the threads:
these are HTTP-only helpers inside one core call, never visible to Qt.)

Crash safety: every page is written in one transaction together with the cursor that says it
was written, so a killed sync resumes from its last committed page and ends equal.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import orjson

from desk_billing.core.cache import STATE_LAST_SYNC, Cache
from desk_billing.core.errors import DeskBillingError, NotFound
from desk_billing.core.sync.backfill import Backfill
from desk_billing.core.sync.common import (
    BACKFILL_PREFIX,
    DEFAULT_RECONCILE_EVERY_S,
    EVENT_RETENTION_S,
    EXPIRY_MARGIN_S,
    STATE_CURSOR,
    STATE_FLOOR,
    STATE_RECONCILED,
    CursorGone,
    SyncCancelled,
    SyncProgress,
    SyncReport,
    Tally,
)
from desk_billing.core.sync.fetch import PAGE_SIZE, Fetcher, Page
from desk_billing.core.sync.plan import Action, Decision, Known, decide, group_by_object
from desk_billing.core.sync.reconcile import Reconciliation
from desk_billing.core.sync.resources import RESOURCES, Resource
from desk_billing.core.tuning import background_thread

log = logging.getLogger(__name__)

__all__ = ["SyncCancelled", "SyncEngine", "SyncProgress", "SyncReport"]


class SyncEngine(Backfill, Reconciliation):
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
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.concurrency = max(1, concurrency)
        self.reconcile_every_s = reconcile_every_s
        self.resources = tuple(resources)
        self.api_version = API_VERSION
        self._clock = clock

    # -- public -------------------------------------------------------------------------------
    def run(self, full: bool = False) -> SyncReport:
        """Backfill what needs it (first run, resume, expired cursor), then apply new events,
        then reconcile when the schedule says so."""
        tally = Tally()
        with self._pool() as pool:
            cursor = self.cache.state_get(STATE_CURSOR)
            if full or cursor is None or self._cursor_expired(cursor, ask_server=True):
                self._begin_full_backfill(tally)
            self._backfill_pending(pool, tally)
            try:
                self._poll_events(pool, tally)
            except CursorGone:
                log.warning("The event cursor is no longer known to Stripe; backfilling everything")
                self._begin_full_backfill(tally)
                self._backfill_pending(pool, tally)
                self._poll_events(pool, tally)
            if self.reconcile_due():
                self._reconcile(self.resources, pool, tally)
        self._finish(tally)
        return tally.report()

    def poll(self) -> SyncReport:
        """One events poll; nothing new costs exactly one request. Backfills first when the cache
        was never (completely) backfilled or its cursor has expired."""
        cursor = self.cache.state_get(STATE_CURSOR)
        if cursor is None or self._pending() or self._cursor_expired(cursor, ask_server=False):
            return self.run(full=cursor is not None and not self._pending())
        tally = Tally()
        with self._pool() as pool:
            try:
                self._poll_events(pool, tally)
            except CursorGone:
                return self.run(full=True)
        self._finish(tally)
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
            self._reconcile(chosen, pool, tally)
        return tally.report()

    def apply_event(self, event: dict) -> bool:
        """Apply one event (from a webhook, or a test) through the same rules as polling.
        True when it was new; False for an event already applied. Never moves the poll cursor."""
        tally = Tally()
        return self._apply_batch([event], None, tally, move_cursor=False) > 0

    def reconcile_due(self) -> bool:
        """Whether the slow reconciliation schedule says it is time (run() does it then)."""
        if not self.reconcile_every_s:
            return False
        last = self.cache.state_get(STATE_RECONCILED)
        return last is None or self._clock() - last >= self.reconcile_every_s

    # -- plumbing -----------------------------------------------------------------------------
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(
            max_workers=self.concurrency,
            thread_name_prefix="sync-fetch",
            initializer=background_thread,
        )

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise SyncCancelled()

    def _report_progress(self, resource: str, objects: int, since: float, phase: str) -> None:
        if self.progress is not None:
            elapsed = max(time.monotonic() - since, 1e-6)
            self.progress(SyncProgress(resource, objects, objects / elapsed, phase))

    def _finish(self, tally: Tally) -> None:
        with self.cache.transaction():
            self.cache.state_set(STATE_LAST_SYNC, self._clock())

    def _pending(self) -> list[Resource]:
        return [r for r in self.resources if not (self._backfill_state(r) or {}).get("done")]

    def _backfill_state(self, resource: Resource) -> dict[str, Any] | None:
        return self.cache.state_get(BACKFILL_PREFIX + resource.table)

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

    def _pages(
        self, pool: Executor, starts: Sequence[tuple[Resource, str | None]]
    ) -> Iterator[tuple[str, Resource, Page | None]]:
        """Pages of several resources, each listed in order by one fetch thread, yielded here
        on the writer's thread: ("page", resource, page) | ("restart", resource, None) |
        ("unsupported", resource, None)."""
        pages: queue.Queue[tuple[str, Resource, Any]] = queue.Queue(maxsize=2 * self.concurrency)
        stop = threading.Event()

        def put(item: tuple[str, Resource, Any]) -> None:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        def walk(resource: Resource, after: str | None) -> None:
            try:
                while not stop.is_set() and not self.cancel.is_set():
                    try:
                        page = self.fetcher.list_page(resource, after)
                    except NotFound as error:
                        if after and error.param == "starting_after":
                            # The resume object was deleted meanwhile: list this one again.
                            put(("restart", resource, None))
                            after = None
                            continue
                        if after is None:
                            put(("unsupported", resource, None))
                            return
                        raise
                    put(("page", resource, page))
                    if not page.has_more or not page.data:
                        return
                    after = page.data[-1]["id"]
            except BaseException as error:  # handed to the writer thread, which raises it
                put(("error", resource, error))
            finally:
                put(("end", resource, None))

        for resource, after in starts:
            pool.submit(walk, resource, after)
        remaining = len(starts)
        try:
            while remaining:
                self._check_cancel()
                try:
                    kind, resource, value = pages.get(timeout=0.1)
                except queue.Empty:
                    continue
                if kind == "end":
                    remaining -= 1
                elif kind == "error":
                    raise value
                else:
                    yield kind, resource, value
        finally:
            stop.set()

    # -- events -------------------------------------------------------------------------------
    def _poll_events(self, pool: Executor, tally: Tally) -> None:
        """Apply every event newer than the cursor, oldest first, one page per transaction."""
        cursor = self.cache.state_get(STATE_CURSOR) or {}
        since = time.monotonic()
        if cursor.get("id") is None:
            self._apply_all_events(pool, tally)
            return
        before = cursor["id"]
        while True:
            self._check_cancel()
            try:
                # Pages with ending_before walk towards newer events; each page is newest first.
                page = self.fetcher.page("/v1/events", {"ending_before": before})
            except NotFound as error:
                if error.param == "ending_before":
                    raise CursorGone() from error
                raise
            if not page.data:
                return
            self._apply_batch(list(reversed(page.data)), pool, tally, move_cursor=True)
            self._report_progress("events", tally.events_applied, since, "events")
            if not page.has_more:
                return
            before = page.data[0]["id"]

    def _apply_all_events(self, pool: Executor, tally: Tally) -> None:
        """No event existed when the backfill began, so every event there is now is newer."""
        events: list[dict[str, Any]] = []
        after = None
        while True:
            self._check_cancel()
            params = {"starting_after": after} if after else {}
            page = self.fetcher.page("/v1/events", params)
            events.extend(page.data)
            if not page.has_more or not page.data:
                break
            after = page.data[-1]["id"]
        events.reverse()
        for start in range(0, len(events), PAGE_SIZE):
            self._apply_batch(events[start : start + PAGE_SIZE], pool, tally, move_cursor=True)

    def _known(self, table: str, object_id: str) -> Known:
        newest = self.cache.conn.execute(
            "SELECT max(created) FROM events WHERE object_id = ?", (object_id,)
        ).fetchone()[0]
        row = self.cache.conn.execute(
            f"SELECT data, deleted FROM {table} WHERE id = ?", (object_id,)
        ).fetchone()
        if row is None:
            return Known(newest_event=newest)
        return Known(newest_event=newest, row=orjson.loads(row[0]), deleted=bool(row[1]))

    def _apply_batch(
        self,
        events: list[dict[str, Any]],
        pool: Executor | None,
        tally: Tally,
        *,
        move_cursor: bool,
    ) -> int:
        """Apply events (oldest first) in one transaction; returns how many were new."""
        ids = [e["id"] for e in events if isinstance(e.get("id"), str)]
        seen = self._seen_events(ids)
        fresh: list[dict[str, Any]] = []
        for event in events:
            if isinstance(event.get("id"), str) and event["id"] not in seen:
                seen.add(event["id"])
                fresh.append(event)
        floor = self.cache.state_get(STATE_FLOOR)
        decisions = [
            decide(group, self._known(table, object_id), floor=floor, api_version=self.api_version)
            for (table, object_id), group in group_by_object(fresh).items()
        ]
        refetch = [d for d in decisions if d.action is Action.REFETCH]
        fetched = self._retrieve_all(refetch, pool)
        with self.cache.transaction():
            for decision in decisions:
                self._write_decision(decision, fetched, tally)
            if fresh:
                self.cache.upsert("events", fresh)
            if move_cursor and events:
                newest = events[-1]
                self.cache.state_set(
                    STATE_CURSOR, {"id": newest["id"], "created": newest.get("created")}
                )
        tally.events_applied += len(fresh)
        return len(fresh)

    def _seen_events(self, ids: list[str]) -> set[str]:
        seen: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            seen.update(
                r[0]
                for r in self.cache.conn.execute(
                    f"SELECT id FROM events WHERE id IN ({marks})", chunk
                )
            )
        return seen

    def _retrieve_all(
        self, decisions: Sequence[Decision], pool: Executor | None
    ) -> dict[tuple[str, str], dict[str, Any] | None]:
        def one(decision: Decision) -> dict[str, Any] | None:
            return self.fetcher.retrieve(decision.resource, decision.object_id)

        results = (
            pool.map(one, decisions)
            if pool is not None and len(decisions) > 1
            else map(one, decisions)
        )
        return {
            (d.resource.table, d.object_id): obj for d, obj in zip(decisions, results, strict=True)
        }

    def _write_decision(
        self,
        decision: Decision,
        fetched: Mapping[tuple[str, str], dict[str, Any] | None],
        tally: Tally,
    ) -> None:
        table, object_id = decision.resource.table, decision.object_id
        if decision.action is Action.STALE:
            return
        if decision.action is Action.REFETCH:
            self._write_current(table, object_id, fetched[(table, object_id)], tally)
            return
        payload = decision.payload
        if decision.action is Action.DELETE:
            # Keep the last state for history when we have it, then hide the row.
            if payload is not None and payload.get("deleted") is not True:
                self.cache.upsert(table, [payload])
            self.cache.mark_deleted(table, object_id)
            tally.deleted(table, [object_id])
            return
        self.cache.upsert(table, [payload])  # type: ignore[list-item]
        tally.wrote(table, [object_id])

    def _write_current(
        self, table: str, object_id: str, obj: dict[str, Any] | None, tally: Tally
    ) -> None:
        """Store what a retrieve answered: None (404) and a deleted stub both mean deleted."""
        if obj is None or obj.get("deleted") is True:
            self.cache.mark_deleted(table, object_id)
            tally.deleted(table, [object_id])
        else:
            self.cache.upsert(table, [obj])
            tally.wrote(table, [object_id])

    # -- reconciliation -----------------------------------------------------------------------
