"""Filling a test cache with many objects the way a first backfill writes them (the bulk-load
mode: search and random-order indexes built once at the end), pages of 100 per transaction."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from desk_billing.core.cache import Cache
from desk_billing.core.sync.bulk_load import BulkLoad

PAGE = 100


def load_as_backfill(cache: Cache, table: str, objects: Iterable[Mapping[str, Any]]) -> None:
    bulk, state = BulkLoad(cache), {}
    stream = iter(objects)
    with bulk.streaming():
        while page := list(itertools.islice(stream, PAGE)):
            with cache.transaction():
                bulk.begin(table, state)
                cache.write(Cache.prepare(table, page))
        with cache.transaction():
            bulk.finish(table, state)
