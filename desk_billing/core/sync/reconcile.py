"""Reconciliation: list again, compare, fix; for changes Stripe made no event for."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

import orjson

from desk_billing.core.sync.common import STATE_RECONCILED, VERIFY_AT_MOST, Tally
from desk_billing.core.sync.plan import Action, Decision
from desk_billing.core.sync.resources import Resource


class Reconciliation:
    """Mixin of SyncEngine: the reconcile phase."""

    def _reconcile(self, resources: Sequence[Resource], pool: Executor, tally: Tally) -> None:
        listed: dict[str, set[str]] = {r.table: set() for r in resources}
        complete: list[Resource] = []
        counts = {r.table: 0 for r in resources}
        since = time.monotonic()
        for kind, resource, page in self._pages(pool, [(r, None) for r in resources]):
            if kind == "unsupported":
                continue
            if kind == "restart":
                continue  # the ids listed so far stay listed: a superset never deletes wrongly
            assert page is not None
            self._reconcile_page(resource.table, page.data, tally)
            listed[resource.table].update(o["id"] for o in page.data)
            counts[resource.table] += len(page.data)
            self._report_progress(resource.table, counts[resource.table], since, "reconcile")
            if not page.has_more or not page.data:
                complete.append(resource)
        for resource in complete:  # after the listing, so the fetch threads are free again
            self._sweep_unlisted(resource, listed[resource.table], pool, tally)
        with self.cache.transaction():
            self.cache.state_set(STATE_RECONCILED, self._clock())

    def _reconcile_page(self, table: str, objects: list[dict[str, Any]], tally: Tally) -> None:
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
            fetched = self._retrieve_all(decisions, pool)
            with self.cache.transaction():
                for object_id, _ in unlisted:
                    obj = fetched[(table, object_id)]
                    if (
                        obj is None
                        or obj.get("deleted") is True
                        or self.cache.get(table, object_id) != obj
                    ):
                        self._write_current(table, object_id, obj, tally)
            return
        cutoff = int(self._clock()) - 1  # rows written during this reconcile are kept
        with self.cache.transaction():
            gone = [object_id for object_id, updated in unlisted if (updated or 0) < cutoff]
            for object_id in gone:
                self.cache.mark_deleted(table, object_id)
        tally.deleted(table, gone)
