"""Backfill in `created` windows that split while they run: complete, no duplicates, resumable."""

from __future__ import annotations

import sys
import threading

import pytest

from desk_billing.core.cache import TABLES, Cache
from desk_billing.core.sync import SyncCancelled, SyncEngine
from desk_billing.core.sync.common import BACKFILL_PREFIX
from desk_billing.core.sync.resources import BY_TABLE
from desk_billing.sandbox import Sandbox
from tests.integration.conftest import assert_cache_equals_server, make_gateway, sdk_client


@pytest.fixture(scope="module")
def bulk(module_sandbox: Sandbox) -> Sandbox:
    module_sandbox.seed("bulk", each=250)  # 650 payment intents and charges: several pages each
    return module_sandbox


def _windows(cache: Cache, table: str) -> list[dict]:
    return cache.state_get(BACKFILL_PREFIX + table)["windows"]


def test_idle_fetch_threads_split_big_lists_and_the_cache_still_equals_the_server(
    bulk, tmp_path
) -> None:
    with Cache.open(tmp_path / "c.sqlite3") as cache:
        SyncEngine(make_gateway(bulk), cache, concurrency=4, reconcile_every_s=None).run()
        assert_cache_equals_server(cache, sdk_client(bulk))
        for table in ("payment_intents", "charges", "invoices"):
            _assert_tiled(cache, table)


def test_one_big_resource_is_walked_by_every_fetch_thread(bulk, tmp_path) -> None:
    with Cache.open(tmp_path / "c.sqlite3") as cache:
        engine = SyncEngine(
            make_gateway(bulk),
            cache,
            concurrency=4,
            reconcile_every_s=None,
            resources=[BY_TABLE["charges"]],
        )
        engine.run()
        assert len(_windows(cache, "charges")) > 1  # split from its first pages on
        _assert_tiled(cache, "charges")
        server = {c["id"] for c in bulk.state.newest_first("charges")}
        cached = [r[0] for r in cache.conn.execute("SELECT id FROM charges")]
        assert len(cached) == len(set(cached)) and set(cached) == server


def _assert_tiled(cache: Cache, table: str) -> None:
    """Every window finished, and together they tile time: each starts where the last ends."""
    windows = sorted(_windows(cache, table), key=lambda w: w["lo"])
    assert all(w["done"] for w in windows)
    assert all(a["hi"] == b["lo"] for a, b in zip(windows, windows[1:], strict=False))
    assert windows[-1]["hi"] is None


def test_a_backfill_cancelled_mid_way_resumes_from_its_windows(bulk, tmp_path) -> None:
    pages = 0
    cancel = threading.Event()

    def stop_after_some_pages(progress) -> None:
        nonlocal pages
        pages += 1
        if pages == 25:
            cancel.set()

    with Cache.open(tmp_path / "c.sqlite3") as cache:
        engine = SyncEngine(
            make_gateway(bulk),
            cache,
            concurrency=4,
            cancel=cancel,
            progress=stop_after_some_pages,
            reconcile_every_s=None,
        )
        switch = sys.getswitchinterval()
        with pytest.raises(SyncCancelled):
            engine.run()
        assert sys.getswitchinterval() == switch  # the backfill's own, given back
        unfinished = [
            t
            for t in ("payment_intents", "charges")
            if not cache.state_get(BACKFILL_PREFIX + t)["done"]
        ]
        assert unfinished
        # A first backfill builds a table's random-order indexes once, at its end (begun: a
        # table whose first page is written).
        states = {t: cache.state_get(BACKFILL_PREFIX + t) for t in TABLES if t != "events"}
        begun = [t for t, s in states.items() if s and s["objects"] and not s["done"]]
        assert begun, states
        indexes = {r[0] for r in cache.conn.execute("SELECT name FROM sqlite_master")}
        assert {f"{t}_customer" for t in begun}.isdisjoint(indexes)
        assert {f"{t}_created" for t in begun} <= indexes  # the lists' order stays fast
        report = SyncEngine(make_gateway(bulk), cache, concurrency=4, reconcile_every_s=None).run()
        assert not report.full_backfill  # resumed, not started over
        assert_cache_equals_server(cache, sdk_client(bulk))


def test_the_first_sync_keeps_recent_events_for_the_activity_view(tmp_path) -> None:
    with Sandbox() as sb:
        client = sdk_client(sb)
        for i in range(130):
            client.v1.customers.create({"name": f"Early {i}"})
        with Cache.open(tmp_path / "c.sqlite3") as cache:
            engine = SyncEngine(make_gateway(sb), cache, reconcile_every_s=None)
            engine.run()
            assert cache.count("events") == 130  # the past, though nothing new was applied
            newest = client.v1.customers.list({"limit": 1}).data[0]
            client.v1.customers.update(newest.id, {"name": "Changed"})
            assert engine.poll().events_applied == 1
            assert cache.count("events") == 131
            assert cache.get("customers", newest.id)["name"] == "Changed"
