"""Event polling: apply every event newer than the cursor, oldest first, one page of events per
transaction together with the cursor; the same rules for an event a webhook delivers.

Events are unordered and at-least-once: each is applied once (by id), and never lets an older
state overwrite a newer one (`plan.decide`). The lookups are plain sqlite3 statements: a few per
event, on the sync's path (sqlite-utils reads the table's schema on every call).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor
from typing import Any

import orjson

from desk_billing.core.cache import Cache
from desk_billing.core.errors import NotFound
from desk_billing.core.sync import invoice_payments
from desk_billing.core.sync.common import (
    STATE_CURSOR,
    STATE_FLOOR,
    CursorGone,
    Progress,
    Tally,
    check_cancel,
)
from desk_billing.core.sync.current import CurrentObjects, Fetched
from desk_billing.core.sync.fetch import PAGE_SIZE, Fetcher
from desk_billing.core.sync.plan import Action, Decision, Known, decide, group_by_object

SEEN_PER_STATEMENT = 500  # event ids looked up at once


class EventPoller:
    def __init__(
        self,
        cache: Cache,
        fetcher: Fetcher,
        current: CurrentObjects,
        *,
        api_version: str,
        cancel: threading.Event,
        progress: Progress,
    ) -> None:
        self.cache = cache
        self.fetcher = fetcher
        self.current = current
        self.api_version = api_version
        self.cancel = cancel
        self.progress = progress

    def poll(self, pool: Executor, tally: Tally) -> None:
        """Apply every event newer than the cursor; CursorGone when Stripe no longer knows it."""
        cursor = self.cache.state_get(STATE_CURSOR) or {}
        since = time.monotonic()
        if cursor.get("id") is None:
            self._apply_all(pool, tally)
            return
        before = cursor["id"]
        while True:
            check_cancel(self.cancel)
            try:
                # Pages with ending_before walk towards newer events; each page is newest first.
                page = self.fetcher.page("/v1/events", {"ending_before": before})
            except NotFound as error:
                if error.param == "ending_before":
                    raise CursorGone() from error
                raise
            if not page.data:
                return
            self.apply(list(reversed(page.data)), pool, tally, move_cursor=True)
            self.progress.report("events", tally.events_applied, since, "events")
            if not page.has_more:
                return
            before = page.data[0]["id"]

    def _apply_all(self, pool: Executor, tally: Tally) -> None:
        """No event existed when the backfill began, so every event there is now is newer."""
        events: list[dict[str, Any]] = []
        after = None
        while True:
            check_cancel(self.cancel)
            params = {"starting_after": after} if after else {}
            page = self.fetcher.page("/v1/events", params)
            events.extend(page.data)
            if not page.has_more or not page.data:
                break
            after = page.data[-1]["id"]
        events.reverse()
        for start in range(0, len(events), PAGE_SIZE):
            self.apply(events[start : start + PAGE_SIZE], pool, tally, move_cursor=True)

    def apply(
        self,
        events: list[dict[str, Any]],
        pool: Executor | None,
        tally: Tally,
        *,
        move_cursor: bool,
    ) -> int:
        """Apply events (oldest first) in one transaction; returns how many were new."""
        ids = [e["id"] for e in events if isinstance(e.get("id"), str)]
        seen = self._seen(ids)
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
        fetched = self.current.retrieve_all(refetch, pool)
        # Read after the events' own objects: what Stripe lists now is newer than any payload.
        payments = invoice_payments.fetch_all(
            self.fetcher, invoice_payments.invoices_to_refresh(fresh), pool
        )
        with self.cache.transaction():
            for decision in decisions:
                self._write(decision, fetched, tally)
            invoice_payments.store(self.cache, payments, tally)
            if fresh:
                self.cache.upsert("events", fresh)
            if move_cursor and events:
                newest = events[-1]
                self.cache.state_set(
                    STATE_CURSOR, {"id": newest["id"], "created": newest.get("created")}
                )
        tally.events_applied += len(fresh)
        return len(fresh)

    def _seen(self, ids: list[str]) -> set[str]:
        seen: set[str] = set()
        for start in range(0, len(ids), SEEN_PER_STATEMENT):
            chunk = ids[start : start + SEEN_PER_STATEMENT]
            marks = ", ".join("?" * len(chunk))
            seen.update(
                r[0]
                for r in self.cache.conn.execute(
                    f"SELECT id FROM events WHERE id IN ({marks})", chunk
                )
            )
        return seen

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

    def _write(self, decision: Decision, fetched: Fetched, tally: Tally) -> None:
        table, object_id = decision.resource.table, decision.object_id
        if decision.action is Action.STALE:
            return
        if decision.action is Action.REFETCH:
            self.current.store(table, object_id, fetched[(table, object_id)], tally)
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
