"""Objects fetched by id and stored as Stripe has them now: for events that need a re-fetch, and
for rows a reconciliation did not see listed."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

from desk_billing.core.cache import Cache
from desk_billing.core.sync.common import Tally
from desk_billing.core.sync.fetch import Fetcher
from desk_billing.core.sync.plan import Decision

Fetched = dict[tuple[str, str], dict[str, Any] | None]  # (table, id) -> object, None: gone


class CurrentObjects:
    def __init__(self, cache: Cache, fetcher: Fetcher) -> None:
        self.cache = cache
        self.fetcher = fetcher

    def retrieve_all(self, decisions: Sequence[Decision], pool: Executor | None) -> Fetched:
        """The objects the decisions name, fetched on the pool's threads when several."""

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

    def store(self, table: str, object_id: str, obj: dict[str, Any] | None, tally: Tally) -> None:
        """Store what a retrieve answered: None (404) and a deleted stub both mean deleted."""
        if obj is None or obj.get("deleted") is True:
            self.cache.mark_deleted(table, object_id)
            tally.deleted(table, [object_id])
        else:
            self.cache.upsert(table, [obj])
            tally.wrote(table, [object_id])
