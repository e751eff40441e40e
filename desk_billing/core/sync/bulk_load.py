"""The backfill's way of writing many pages: connection settings while pages stream in, and, per
table, the full-text index and the random-order indexes built once at the end instead of row by
row. What each table deferred is recorded in its backfill state, committed with the page that
deferred it, so a crash or a cancel leaves a resumable backfill whose end puts everything back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from desk_billing.core.cache import TABLES, Cache
from desk_billing.core.cache.migrations import create_indexes, drop_fts_triggers, rebuild_fts
from desk_billing.core.tuning import short_switch_interval

# Fewer, larger WAL checkpoints while pages stream in: each checkpoint syncs the disk, and at
# SQLite's default (1000 pages = 4 MB, about 2,000 objects) they halve the ingest rate (measured
# 3.0 vs 1.4 ms per 100-object page).
CHECKPOINT_PAGES = 10_000
# A larger page cache too: pages of several tables arrive interleaved, and with SQLite's 2 MB
# default each table's index pages are evicted before its next page comes (measured 48 vs ~15 us
# per row inserted). Negative: KiB, so 64 MiB.
CACHE_KIB = -65_536
# The writer hands the GIL to the fetch threads for each SQLite statement and must get it back
# from one that is decoding the next page (ingest 22.3k -> 26.6k objects/s at 0.5 ms, same run).
SWITCH_INTERVAL_S = 0.0005
# Indexes a first backfill keeps while it runs: `created` (the lists' order, arriving in order)
# and `status` (few distinct keys), so the lists stay fast meanwhile.
KEPT_INDEXES = ("created", "status")


class BulkLoad:
    """Bulk-load mode of one cache: `streaming()` around the whole backfill, `begin` at each
    table's first page, `finish` inside the transaction of its last."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    @contextlib.contextmanager
    def streaming(self) -> Iterator[None]:
        """The connection's checkpoint and page-cache sizes, and the process's switch interval,
        set for pages streaming in; all given back after, whatever happens."""
        conn = self.cache.conn
        checkpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA wal_autocheckpoint = {max(checkpoint, CHECKPOINT_PAGES)}")
        conn.execute(f"PRAGMA cache_size = {CACHE_KIB}")
        try:
            with short_switch_interval(SWITCH_INTERVAL_S):
                yield
        finally:
            conn.execute(f"PRAGMA wal_autocheckpoint = {checkpoint}")
            conn.execute(f"PRAGMA cache_size = {cache_size}")

    def begin(self, table: str, state: dict[str, Any]) -> None:
        """Before a table's first page is written (in its transaction): defer its full-text
        index, and its random-order indexes when it is empty; `state` records what was."""
        if not state.get("fts_deferred"):
            # Full-text triggers cost about half the ingest rate (DESIGN: 16.5k vs 34k rows/s).
            drop_fts_triggers(self.cache.db, table)
            state["fts_deferred"] = True
        if state.get("deferred_indexes") is None:  # None: not decided yet for this backfill
            state["deferred_indexes"] = self._defer_indexes(table)

    def _defer_indexes(self, table: str) -> list[str]:
        """Drop the indexes whose keys arrive in random order (customer, email, ...) when the
        table is empty; their names. Each page's rows land on ~100 different pages of each such
        index, all rewritten at every commit (127 pages written per 100-object page with them,
        measured). A table that already has rows keeps them: a re-backfill mostly rewrites
        equal keys."""
        if self.cache.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            return []
        kept = {f"{table}_{column}" for column in KEPT_INDEXES}
        dropped = [name for name in TABLES[table].indexes() if name not in kept]
        for index in self.cache.db[table].indexes:
            if index.name in dropped:
                self.cache.db[table].drop_index(index.name)
        return dropped

    def finish(self, table: str, state: dict[str, Any]) -> None:
        """After a table's last page (in its transaction): every index its spec declares, and the
        full-text index rebuilt once from the rows, kept by triggers again."""
        spec = TABLES[table]
        create_indexes(self.cache.db, spec)  # whatever the state says: it may predate a crash
        if state.get("fts_deferred"):
            rebuild_fts(self.cache.db, spec)
        state.update(fts_deferred=False, deferred_indexes=None)
