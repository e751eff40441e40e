"""Backfill: list every resource page by page, one transaction per page, resumable."""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import Executor
from typing import Any

from desk_billing.core.cache import TABLES, Cache
from desk_billing.core.cache.database import Prepared, joined
from desk_billing.core.cache.migrations import fts_triggers_sql
from desk_billing.core.sync.common import (
    BACKFILL_CACHE_KIB,
    BACKFILL_CHECKPOINT_PAGES,
    BACKFILL_PREFIX,
    BACKFILL_SWITCH_INTERVAL_S,
    CHANGED_IDS_AT_MOST,
    GROUP_PAGES,
    HISTORY_EVENT_PAGES,
    STATE_CURSOR,
    STATE_FLOOR,
    STATE_RECONCILED,
    Tally,
)
from desk_billing.core.sync.resources import Resource
from desk_billing.core.sync.windows import Window, WindowedWalk
from desk_billing.core.tuning import short_switch_interval

log = logging.getLogger(__name__)


class Backfill:
    """Mixin of SyncEngine: the backfill phase."""

    def _begin_full_backfill(self, tally: Tally) -> None:
        """Remember the newest event FIRST, so what happens during the backfill is applied after
        it; then mark every resource as to be listed from the start."""
        tally.full_backfill = True
        newest = self.fetcher.newest_event()
        since = None
        if any(self.cache.count(r.table, include_deleted=True) for r in self.resources):
            # Rows the new full list does not rewrite are gone from the server (events for them
            # were lost): they are found by `updated_at < since`. updated_at has one-second
            # resolution, so wait for the next second; every row written from now on is newer.
            since = int(self._clock()) + 1
            time.sleep(max(0.0, since - time.time()))
        if newest is not None:
            cursor = {"id": newest["id"], "created": newest.get("created")}
        else:
            cursor = {"id": None, "created": int(self._clock())}
        history = self._event_history(newest)
        with self.cache.transaction():
            if history:
                # Recorded as applied: their changes are in the objects the backfill reads.
                self.cache.upsert("events", history)
            self.cache.state_set(STATE_CURSOR, cursor)
            self.cache.state_set(STATE_FLOOR, newest.get("created") if newest else None)
            for resource in self.resources:
                state = self._backfill_state(resource) or {}
                self.cache.state_set(
                    BACKFILL_PREFIX + resource.table,
                    {
                        "done": False,
                        "windows": [Window(key=0).to_state()],
                        "objects": 0,
                        "since": since,
                        "fts_deferred": bool(state.get("fts_deferred")),
                        # None: decided at the first page; a list survives a restarted backfill
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

    def _backfill_pending(self, pool: Executor, tally: Tally) -> None:
        pending = self._pending()
        if not pending:
            return
        # Fewer, larger WAL checkpoints while pages stream in: each checkpoint syncs the disk,
        # and at SQLite's default (1000 pages = 4 MB, about 2,000 objects) they halve the ingest
        # rate (measured 3.0 vs 1.4 ms per 100-object page). Per connection; restored after.
        # A larger page cache too: pages of several tables arrive interleaved, and with SQLite's
        # 2 MB default each table's index pages are evicted before its next page comes (measured
        # 48 vs ~15 us per row inserted).
        conn = self.cache.conn
        checkpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA wal_autocheckpoint = {max(checkpoint, BACKFILL_CHECKPOINT_PAGES)}")
        conn.execute(f"PRAGMA cache_size = {BACKFILL_CACHE_KIB}")
        try:
            with short_switch_interval(BACKFILL_SWITCH_INTERVAL_S):
                self._backfill(pending, pool, tally)
        finally:
            conn.execute(f"PRAGMA wal_autocheckpoint = {checkpoint}")
            conn.execute(f"PRAGMA cache_size = {cache_size}")

    def _backfill(self, pending: list[Resource], pool: Executor, tally: Tally) -> None:
        states = {
            r.table: self._backfill_state(r) or {"done": False, "objects": 0} for r in pending
        }
        windows = {r.table: _windows_of(states[r.table]) for r in pending}
        started = {r.table: (time.monotonic(), states[r.table]["objects"]) for r in pending}
        walk = WindowedWalk(
            self.fetcher,
            pool,
            self.concurrency,
            self.cancel,
            prepare=lambda resource, page: Cache.prepare(resource.table, page.data),
        )
        group = contextlib.ExitStack()  # the open group commit, see below
        grouped, changed = 0, set()
        self._unwritten: dict[str, list[Prepared]] = {}  # the group's pages, per table
        with group:
            for message in walk.walk([(r, windows[r.table]) for r in pending]):
                if not grouped:
                    group.enter_context(self.cache.transaction())
                changed.add(self._backfill_message(message, states, windows, started, tally))
                grouped += 1
                # One transaction per page, each page whole with the cursor that says it is
                # written -- except that pages already waiting for the writer join the open one
                # (at most GROUP_PAGES): a commit rewrites every page of the id index it touched
                # (random ids: nearly all of a table's), and successive pages of one table touch
                # the same ones (ingest of 132k objects: 16.4k -> 21.9k objects/s with groups of
                # up to 16 pages, 26.0k -> 27.7k from 16 to 32). At Stripe's pace the writer
                # keeps up and commits page by page. A crash or an error loses only whole,
                # uncommitted pages (a few seconds of fetching), which the resumed walk lists again.
                # The group's rows are stored when it closes, a few pages per statement: the
                # writer then waits fewer times for the GIL to come back after SQLite's work.
                if grouped >= GROUP_PAGES or not walk.waiting() or self.cancel.is_set():
                    self._write_rows()
                    for table in changed - {None}:  # the group's last state of each table
                        self.cache.state_set(BACKFILL_PREFIX + table, states[table])
                    group.close()
                    grouped, changed = 0, set()
                self._check_cancel()
        self._check_cancel()
        with self.cache.transaction():
            if tally.full_backfill:
                # A full backfill is a reconciliation; the schedule starts again from here.
                self.cache.state_set(STATE_RECONCILED, self._clock())

    def _backfill_message(
        self,
        message: tuple[str, Resource, Any, Any],
        states: dict[str, dict[str, Any]],
        windows: dict[str, list[Window]],
        started: dict[str, tuple[float, int]],
        tally: Tally,
    ) -> str | None:
        """Write one message of the walk (a page, a split, a window done) inside the open
        transaction; the table whose backfill state then needs saving with it, if any."""
        kind, resource, key, value = message
        state, own = states[resource.table], windows[resource.table]
        if state.get("done"):
            return None  # e.g. a second window of a resource already found unsupported
        if kind == "unsupported":
            log.warning("The server does not list %s; skipping it", resource.path)
            state.update(objects=0)
            self._finish_backfill(resource, state, tally)
            return None
        window = next(w for w in own if w.key == key)
        if kind == "restart":
            window.after = None
            return None
        if kind == "split":
            window.lo = value.hi
            own.append(Window(key=value.key, lo=value.lo, hi=value.hi))
        if kind == "page":
            page = value
            rows = page.prepared  # every page of the walk comes prepared by its fetch thread
            assert rows is not None
            if not state.get("fts_deferred"):
                self._drop_fts_triggers(resource.table)
                state["fts_deferred"] = True
            if state.get("deferred_indexes") is None:
                state["deferred_indexes"] = self._defer_indexes(resource.table)
            if rows.ids:
                self._unwritten.setdefault(resource.table, []).append(rows)
                tally.wrote(resource.table, rows.ids)
                window.after = rows.ids[-1]
                state["objects"] += len(rows.ids)
            window.done = not page.has_more or not rows.ids
        elif kind == "window_done":
            window.done = True
        state["windows"] = [w.to_state() for w in own]
        if all(w.done for w in own):
            self._finish_backfill(resource, state, tally)
        since, before = started[resource.table]
        self._report_progress(resource.table, state["objects"], since, "backfill")
        return resource.table

    def _finish_backfill(self, resource: Resource, state: dict[str, Any], tally: Tally) -> None:
        """Inside the last page's transaction: sweep rows the full list did not return, rebuild
        the search index once, mark the resource done."""
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
            tally.deleted(table, gone)
        for sql in state.get("deferred_indexes") or ():
            self.cache.conn.execute(sql)
        if state.get("fts_deferred"):
            self._restore_fts(table)
            state["fts_deferred"] = False
        state.update(done=True, since=None, deferred_indexes=None)
        self.cache.state_set(BACKFILL_PREFIX + table, state)

    def _write_rows(self, table: str | None = None) -> None:
        """Store the open group's pages (of one table, or all)."""
        for name in [table] if table else list(self._unwritten):
            parts = self._unwritten.pop(name, None)
            if parts:
                self.cache.write(joined(parts))

    # Full-text triggers cost about half the ingest rate (DESIGN: 16.5k vs 34k rows/s); during a
    # backfill the index is rebuilt once at the end instead. The drop is committed with the first
    # page and the rebuild with the last, and the state records which, so a crash in between
    # leaves a resumable backfill, and a finished one always has its triggers back.
    def _drop_fts_triggers(self, table: str) -> None:
        if TABLES[table].search:
            for suffix in ("ai", "ad", "au"):
                self.cache.conn.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")

    # The same for the indexes whose keys arrive in random order (customer, email, ...): each
    # page's rows land on ~100 different pages of each such index, all rewritten at every commit
    # (127 pages written per 100-object page with them, measured). On the first backfill of a
    # table they are built once at the end instead; `created` (the lists' order, arriving in
    # order) and `status` (few distinct keys) stay, so the window's lists stay fast meanwhile.
    # A table that already has rows keeps them all: a re-backfill mostly rewrites equal keys.
    def _defer_indexes(self, table: str) -> list[str]:
        """Drop the table's random-order indexes when it is empty; their SQL, to recreate."""
        conn = self.cache.conn
        if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            return []
        dropped = []
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY name",
            (table,),
        ).fetchall():
            if name not in (f"{table}_created", f"{table}_status"):
                conn.execute(f"DROP INDEX {name}")
                dropped.append(sql)
        return dropped

    def _restore_fts(self, table: str) -> None:
        spec = TABLES[table]
        if not spec.search:
            return
        self._drop_fts_triggers(table)
        self.cache.conn.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('rebuild')")
        for sql in fts_triggers_sql(spec):
            self.cache.conn.execute(sql)


def _windows_of(state: dict[str, Any]) -> list[Window]:
    """The resume windows of a resource's backfill state (one window from the top when new)."""
    if state.get("windows"):
        return [Window.from_state(w) for w in state["windows"]]
    return [Window(key=0, after=state.get("after"))]
