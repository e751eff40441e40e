"""Reconciliation: list again, compare, fix; for changes Stripe made no event for.

The comparisons read a page of rows per statement (plain sqlite3: every row of every table).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import orjson

from desk_billing.core.cache import Cache
from desk_billing.core.sync.common import (
    STATE_RECONCILED,
    VERIFY_AT_MOST,
    Progress,
    Tally,
    check_cancel,
)
from desk_billing.core.sync.current import CurrentObjects
from desk_billing.core.sync.fetch import Fetcher
from desk_billing.core.sync.plan import Action, Decision
from desk_billing.core.sync.resources import Resource
from desk_billing.core.sync.walk import (
    PageListed,
    PageWalk,
    Unsupported,
    Window,
    WindowDone,
    WindowSplit,
)


class Reconciliation:
    def __init__(
        self,
        cache: Cache,
        fetcher: Fetcher,
        current: CurrentObjects,
        *,
        cancel: threading.Event,
        progress: Progress,
        clock: Callable[[], float],
    ) -> None:
        self.cache = cache
        self.fetcher = fetcher
        self.current = current
        self.cancel = cancel
        self.progress = progress
        self.clock = clock

    def due(self, every_s: float | None) -> bool:
        """Whether the last reconciliation (a full backfill counts) is `every_s` old."""
        if not every_s:
            return False
        last = self.cache.state_get(STATE_RECONCILED)
        return last is None or self.clock() - last >= every_s

    def run(
        self, resources: Sequence[Resource], pool: Executor, concurrency: int, tally: Tally
    ) -> None:
        listed: dict[str, set[str]] = {r.table: set() for r in resources}
        windows = {r.table: {0: False} for r in resources}  # window key -> listed to its end
        counts = {r.table: 0 for r in resources}
        unsupported: set[str] = set()
        since = time.monotonic()
        walk = PageWalk(self.fetcher, pool, concurrency, self.cancel)
        # A restarted window lists its ids again: the ids listed so far stay listed, and a
        # superset never deletes wrongly.
        for message in walk.walk([(r, [Window(key=0)]) for r in resources]):
            table = message.resource.table
            if isinstance(message, Unsupported):
                unsupported.add(table)
            elif isinstance(message, WindowSplit):
                windows[table][message.older.key] = False
            elif isinstance(message, PageListed):
                page = message.page
                self._compare(table, page.data, tally)
                listed[table].update(o["id"] for o in page.data)
                counts[table] += len(page.data)
                self.progress.report(table, counts[table], since, "reconcile")
                if not page.has_more or not page.data:
                    windows[table][message.window] = True
            elif isinstance(message, WindowDone):
                windows[table][message.window] = True
        check_cancel(self.cancel)  # a walk cancelled early did not list the whole account
        complete = [
            r for r in resources if r.table not in unsupported and all(windows[r.table].values())
        ]
        for resource in complete:  # after the listing, so the fetch threads are free again
            self._sweep_unlisted(resource, listed[resource.table], pool, tally)
        with self.cache.transaction():
            self.cache.state_set(STATE_RECONCILED, self.clock())

    def _compare(self, table: str, objects: list[dict[str, Any]], tally: Tally) -> None:
        if not objects:
            return
        marks = ", ".join("?" * len(objects))
        stored = {
            row[0]: (row[1], row[2])
            for row in self.cache.conn.execute(
                f"SELECT id, data, deleted FROM {table} WHERE id IN ({marks})",
                [o["id"] for o in objects],
            )
        }
        differ = []
        for obj in objects:
            row = stored.get(obj["id"])
            if row is None or row[1] or orjson.loads(row[0]) != obj:
                differ.append(obj)
        if differ:
            with self.cache.transaction():
                self.cache.upsert(table, differ)
            tally.wrote(table, (o["id"] for o in differ))

    def _sweep_unlisted(
        self, resource: Resource, listed: set[str], pool: Executor, tally: Tally
    ) -> None:
        table = resource.table
        rows = self.cache.conn.execute(
            f"SELECT id, updated_at FROM {table} WHERE deleted = 0"
        ).fetchall()
        unlisted = [(object_id, updated) for object_id, updated in rows if object_id not in listed]
        if not unlisted:
            return
        if len(unlisted) <= VERIFY_AT_MOST:
            # Not listed may also mean created after the list passed by: ask for each one.
            decisions = [Decision(Action.REFETCH, resource, object_id) for object_id, _ in unlisted]
            fetched = self.current.retrieve_all(decisions, pool)
            with self.cache.transaction():
                for object_id, _ in unlisted:
                    obj = fetched[(table, object_id)]
                    if (
                        obj is None
                        or obj.get("deleted") is True
                        or self.cache.get(table, object_id) != obj
                    ):
                        self.current.store(table, object_id, obj, tally)
            return
        cutoff = int(self.clock()) - 1  # rows written during this reconcile are kept
        with self.cache.transaction():
            gone = [object_id for object_id, updated in unlisted if (updated or 0) < cutoff]
            for object_id in gone:
                self.cache.mark_deleted(table, object_id)
        tally.deleted(table, gone)
