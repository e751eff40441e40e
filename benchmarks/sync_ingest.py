"""Local ingest rate of the sync engine: objects/s parsed from page JSON and written to the cache,
indexes and full-text search included (the engine's own backfill path, HTTP left out).

Run: python benchmarks/sync_ingest.py [--each 10000] [--runs 3]
Pages of 100 objects are rendered from a bulk-seeded sandbox account (`each` of every kind,
about 10 x each objects) and served from memory in place of HTTP; from the bytes on, it is the
engine's own backfill: a fetch thread decodes each page and prepares its rows, the writer stores
them, a first backfill's search and random-order indexes are built at the end. Goal: >= 25,000
objects/s (Stripe's live read limit delivers at most 10,000).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._machine import describe  # noqa: E402
from desk_billing.core.cache import Cache  # noqa: E402
from desk_billing.core.sync import RESOURCES, SyncEngine  # noqa: E402
from desk_billing.sandbox import Sandbox  # noqa: E402


class MemoryGateway:
    """Stands in for the gateway's HTTP: answers `get_body` with pre-rendered JSON pages, so
    everything after the bytes arrive -- decoding, preparing rows, writing -- is the engine's own
    code. One fetch thread, so the engine never splits lists into `created` windows here."""

    def __init__(self, pages: dict[str, dict[str | None, bytes]]) -> None:
        self.lists = {r.path: pages[r.table] for r in RESOURCES}

    def get_body(self, path: str, params: Any) -> bytes:
        if path in self.lists:
            return self.lists[path][params.get("starting_after")]
        return b'{"object": "list", "data": [], "has_more": false}'  # no events


def render(each: int) -> tuple[dict[str, dict[str | None, bytes]], int]:
    with Sandbox(seed="empty") as sb:
        sb.seed("bulk", each=each)
        pages: dict[str, dict[str | None, bytes]] = {}
        total = 0
        for resource in RESOURCES:
            objects = (
                list(sb.state.newest_first(resource.table))
                if resource.table in sb.state.collections
                else []
            )
            total += len(objects)
            chain: dict[str | None, bytes] = {}
            after = None
            for start in range(0, max(len(objects), 1), 100):
                chunk = objects[start : start + 100]
                chain[after] = orjson.dumps(
                    {"object": "list", "data": chunk, "has_more": start + 100 < len(objects)}
                )
                after = chunk[-1]["id"] if chunk else None
            pages[resource.table] = chain
        return pages, total


def one_run(pages: dict[str, dict[str | None, bytes]], total: int) -> float:
    with tempfile.TemporaryDirectory() as tmp, Cache.open(Path(tmp) / "bench.sqlite3") as cache:
        engine = SyncEngine(MemoryGateway(pages), cache, concurrency=1, reconcile_every_s=None)
        started, cpu = time.perf_counter(), time.process_time()
        engine.run()
        elapsed = time.perf_counter() - started
        print(
            f"  run: {total / elapsed:,.0f} objects/s wall, {total / (time.process_time() - cpu):,.0f} per CPU second"
        )
        assert sum(cache.count(r.table, include_deleted=True) for r in RESOURCES) == total
        assert not cache.integrity_check()
        return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--each", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(describe())
    pages, total = render(args.each)
    size = sum(len(b) for chain in pages.values() for b in chain.values()) / max(total, 1)
    print(f"objects: {total:,} ({size:,.0f} bytes of JSON each on average)")
    rates = [one_run(pages, total) for _ in range(args.runs)]
    print("runs (objects/s): " + ", ".join(f"{r:,.0f}" for r in rates))
    print(f"median: {statistics.median(rates):,.0f} objects/s  (goal >= 25,000)")


if __name__ == "__main__":
    main()
