"""Backfill: list every resource page by page and store each page whole with the cursor that
says it is stored, so a killed backfill resumes where it stopped."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from desk_billing.core.cache import Cache
from desk_billing.core.cache.database import Prepared, joined
from desk_billing.core.sync.bulk_load import BulkLoad
from desk_billing.core.sync.common import (
    BACKFILL_PREFIX,
    CHANGED_IDS_AT_MOST,
    HISTORY_EVENT_PAGES,
    STATE_CURSOR,
    STATE_FLOOR,
    STATE_RECONCILED,
    Progress,
    Tally,
    check_cancel,
)
from desk_billing.core.sync.fetch import Fetcher
from desk_billing.core.sync.resources import Resource
from desk_billing.core.sync.walk import (
    ListRestarted,
    Message,
    PageListed,
    PageWalk,
    Unsupported,
    Window,
    WindowDone,
    WindowSplit,
)

log = logging.getLogger(__name__)

# Pages already waiting for the writer may share one commit, at most this many: a commit
# rewrites every page of the id index it touched (random ids: nearly all of a table's), and
# successive pages of one table touch the same ones (ingest of 132k objects: 16.4k -> 21.9k
# objects/s with groups of up to 16 pages, 26.0k -> 27.7k from 16 to 32).
GROUP_PAGES = 32


class Backfill:
    """The backfill of one cache: `begin_full` marks every resource as to be listed from the
    start, `run` lists what is pending (a first backfill, or one a crash or cancel left)."""

    def __init__(
        self,
        cache: Cache,
        fetcher: Fetcher,
        resources: Sequence[Resource],
        *,
        cancel: threading.Event,
        progress: Progress,
        clock: Callable[[], float],
    ) -> None:
        self.cache = cache
        self.fetcher = fetcher
        self.resources = tuple(resources)
        self.cancel = cancel
        self.progress = progress
        self.clock = clock
        self.bulk = BulkLoad(cache)

    def state(self, resource: Resource) -> dict[str, Any] | None:
        return self.cache.state_get(BACKFILL_PREFIX + resource.table)

    def pending(self) -> list[Resource]:
        """Resources whose backfill has not finished (never begun counts)."""
        return [r for r in self.resources if not (self.state(r) or {}).get("done")]

    def begin_full(self, tally: Tally) -> None:
        """Remember the newest event FIRST, so what happens during the backfill is applied after
        it; then mark every resource as to be listed from the start."""
        tally.full_backfill = True
        newest = self.fetcher.newest_event()
        since = None
        if any(self.cache.count(r.table, include_deleted=True) for r in self.resources):
            # Rows the new full list does not rewrite are gone from the server (events for them
            # were lost): they are found by `updated_at < since`. updated_at has one-second
            # resolution, so wait for the next second; every row written from now on is newer.
            since = int(self.clock()) + 1
            time.sleep(max(0.0, since - time.time()))
        if newest is not None:
            cursor = {"id": newest["id"], "created": newest.get("created")}
        else:
            cursor = {"id": None, "created": int(self.clock())}
        history = self._event_history(newest)
        with self.cache.transaction():
            if history:
                # Recorded as applied: their changes are in the objects the backfill reads.
                self.cache.upsert("events", history)
            self.cache.state_set(STATE_CURSOR, cursor)
            self.cache.state_set(STATE_FLOOR, newest.get("created") if newest else None)
            for resource in self.resources:
                state = self.state(resource) or {}
                self.cache.state_set(
                    BACKFILL_PREFIX + resource.table,
                    {
                        "done": False,
                        "windows": [Window(key=0).to_state()],
                        "objects": 0,
                        "since": since,
                        # What an unfinished backfill deferred stays deferred (see bulk_load).
                        "fts_deferred": bool(state.get("fts_deferred")),
                        "deferred_indexes": state.get("deferred_indexes") or None,
                    },
                )

    def _event_history(self, newest: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The events up to the cursor (at most HISTORY_EVENT_PAGES pages), so the Activity view
        shows the recent past from the first sync on, not only what happens afterwards."""
        if newest is None:
            return []
        events, after = [newest], newest["id"]
        for _ in range(HISTORY_EVENT_PAGES):
            page = self.fetcher.page("/v1/events", {"starting_after": after})
            events.extend(page.data)
            if not page.has_more or not page.data:
                break
            after = page.data[-1]["id"]
        return events

    def run(self, pool: Executor, concurrency: int, tally: Tally) -> None:
        """List every pending resource to its end (none pending: nothing to do)."""
        pending = self.pending()
        if not pending:
            return
        walk = PageWalk(
            self.fetcher,
            pool,
            concurrency,
            self.cancel,
            prepare=lambda resource, page: Cache.prepare(resource.table, page.data),
        )
        with self.bulk.streaming():
            _Writer(self, pending, tally).write(walk)
        check_cancel(self.cancel)
        if tally.full_backfill:
            with self.cache.transaction():
                # A full backfill is a reconciliation; the schedule starts again from here.
                self.cache.state_set(STATE_RECONCILED, self.clock())


class _Writer:
    """One run of the backfill on the writer's thread: the walk's messages into the cache."""

    def __init__(self, backfill: Backfill, pending: list[Resource], tally: Tally) -> None:
        self.backfill = backfill
        self.cache = backfill.cache
        self.tally = tally
        self.states = {r.table: backfill.state(r) or {"done": False, "objects": 0} for r in pending}
        self.windows = {r.table: _windows_of(self.states[r.table]) for r in pending}
        self.started = {r.table: time.monotonic() for r in pending}
        self.unwritten: dict[str, list[Prepared]] = {}  # the open group's pages, per table

    def write(self, walk: PageWalk) -> None:
        group = contextlib.ExitStack()  # the open group commit
        grouped, changed = 0, set()
        plan = [(resource, self.windows[resource.table]) for resource in self._resources()]
        cancel = self.backfill.cancel
        with group:
            for message in walk.walk(plan):
                if not grouped:
                    group.enter_context(self.cache.transaction())
                changed.add(self._apply(message))
                grouped += 1
                # One transaction per page, each page whole with the cursor that says it is
                # written -- except that pages already waiting for the writer join the open
                # one (see GROUP_PAGES). At Stripe's pace the writer keeps up and commits page
                # by page. A crash or an error loses only whole, uncommitted pages (a few
                # seconds of fetching), which the resumed walk lists again. The group's rows
                # are stored when it closes, a few pages per statement: the writer then waits
                # fewer times for the GIL to come back after SQLite's work.
                if grouped >= GROUP_PAGES or not walk.waiting() or cancel.is_set():
                    self._write_rows()
                    for table in changed - {None}:  # the group's last state of each table
                        self.cache.state_set(BACKFILL_PREFIX + table, self.states[table])
                    group.close()
                    grouped, changed = 0, set()
                check_cancel(cancel)

    def _resources(self) -> list[Resource]:
        return [r for r in self.backfill.resources if r.table in self.states]

    def _apply(self, message: Message) -> str | None:
        """One message of the walk inside the open transaction; the table whose backfill state
        then needs saving with it, if any."""
        resource = message.resource
        state, own = self.states[resource.table], self.windows[resource.table]
        if state.get("done"):
            return None  # e.g. a second window of a resource already found unsupported
        if isinstance(message, Unsupported):
            log.warning("The server does not list %s; skipping it", resource.path)
            state.update(objects=0)
            self._finish(resource, state)
            return None
        window = next(w for w in own if w.key == message.window)
        if isinstance(message, ListRestarted):
            window.after = None
            return None
        if isinstance(message, WindowSplit):
            window.lo = message.older.hi
            own.append(Window(key=message.older.key, lo=message.older.lo, hi=message.older.hi))
        elif isinstance(message, PageListed):
            rows = message.page.prepared  # every page of this walk comes prepared
            assert rows is not None
            self.backfill.bulk.begin(resource.table, state)
            if rows.ids:
                self.unwritten.setdefault(resource.table, []).append(rows)
                self.tally.wrote(resource.table, rows.ids)
                window.after = rows.ids[-1]
                state["objects"] += len(rows.ids)
            window.done = not message.page.has_more or not rows.ids
        elif isinstance(message, WindowDone):
            window.done = True
        state["windows"] = [w.to_state() for w in own]
        if all(w.done for w in own):
            self._finish(resource, state)
        since = self.started[resource.table]
        self.backfill.progress.report(resource.table, state["objects"], since, "backfill")
        return resource.table

    def _finish(self, resource: Resource, state: dict[str, Any]) -> None:
        """Inside the last page's transaction: sweep rows the full list did not return, put
        back what the bulk load deferred, mark the resource done."""
        table = resource.table
        self._write_rows(table)
        since = state.get("since")
        if since is not None:
            where = "deleted = 0 AND (updated_at IS NULL OR updated_at < ?)"
            # Enough ids for the report (past the cap it names the table), then one UPDATE: a
            # Python loop over what can be the whole table held the GIL, and so the GUI, for
            # hundreds of milliseconds (issue 5).
            gone = [
                row[0]
                for row in self.cache.conn.execute(
                    f"SELECT id FROM {table} WHERE {where} LIMIT ?",
                    (since, CHANGED_IDS_AT_MOST + 1),
                )
            ]
            self.cache.conn.execute(
                f"UPDATE {table} SET deleted = 1, updated_at = ? WHERE {where}",
                (int(time.time()), since),
            )
            self.tally.deleted(table, gone)
        self.backfill.bulk.finish(table, state)
        state.update(done=True, since=None)
        self.cache.state_set(BACKFILL_PREFIX + table, state)

    def _write_rows(self, table: str | None = None) -> None:
        """Store the open group's pages (of one table, or all)."""
        for name in [table] if table else list(self.unwritten):
            parts = self.unwritten.pop(name, None)
            if parts:
                self.cache.write(joined(parts))


def _windows_of(state: dict[str, Any]) -> list[Window]:
    """The resume windows of a resource's backfill state (one window from the top when new)."""
    if state.get("windows"):
        return [Window.from_state(w) for w in state["windows"]]
    return [Window(key=0, after=state.get("after"))]
