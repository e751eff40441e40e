"""Backfill, event polling and reconciliation keep the cache equal to the server."""

from __future__ import annotations

import os
import random
import sys
import threading

import orjson
import pytest

from desk_billing.core.cache import Cache, pages
from desk_billing.core.cache.lists import CUSTOMERS, ListQuery
from desk_billing.core.sync import SyncEngine, SyncProgress
from desk_billing.sandbox import Sandbox
from tests.integration.conftest import (
    SEED_EACH,
    SILENT_FIELDS,
    assert_cache_equals_server,
    cache_objects,
    make_gateway,
    populate,
    sdk_client,
    table_snapshot,
)


@pytest.fixture(scope="module")
def populated(module_sandbox: Sandbox) -> Sandbox:
    """One seeded account shared by the tests that only read it."""
    populate(sdk_client(module_sandbox))
    return module_sandbox


def test_backfill_equals_the_server_for_every_kind_incl_canceled_subscriptions(populated, tmp_path):
    seen: list[SyncProgress] = []
    with Cache.open(tmp_path / "c.sqlite3") as cache:
        report = SyncEngine(make_gateway(populated), cache, progress=seen.append).run()

        sizes = assert_cache_equals_server(cache, sdk_client(populated))
        assert report.full_backfill
        for table in (
            "customers",
            "products",
            "prices",
            "subscriptions",
            "invoiceitems",
            "payment_intents",
            "charges",
            "refunds",
        ):
            assert sizes[table] > 100, f"{table} has only {sizes[table]}: the test would not page"
        statuses = {s["status"] for s in cache_objects(cache, "subscriptions").values()}
        assert "canceled" in statuses and "active" in statuses
        assert report.objects["customers"] == SEED_EACH
        # Search works after the deferred full-text rebuild.
        found = pages.fetch_page(cache.conn, CUSTOMERS, ListQuery("Customer 42")).rows
        assert {row[1] for row in found} == {
            i for i, o in cache_objects(cache, "customers").items() if o["name"] == "Customer 42"
        }
        done = [p for p in seen if p.phase == "backfill" and p.resource == "customers"]
        assert [p.objects for p in done] == [100, SEED_EACH]
        assert all(p.rate > 0 for p in done)


def test_mutations_are_brought_back_to_equality_and_events_are_idempotent(
    sandbox, client, gateway, tmp_path
):
    ids = populate(client, 30)
    with (
        Cache.open(tmp_path / "synced.sqlite3") as synced,
        Cache.open(tmp_path / "stale.sqlite3") as stale,
    ):
        engine = SyncEngine(gateway, synced, reconcile_every_s=None)
        engine.run()
        SyncEngine(gateway, stale, reconcile_every_s=None).run()

        # Updates, deletes, refunds, invoice payments, subscription changes.
        for customer in ids["customers"][:5]:
            client.v1.customers.update(customer, {"name": "Renamed", "metadata": {"vip": "yes"}})
        client.v1.customers.delete(ids["customers"][5])  # cancels its subscription too
        for invoice in ids["invoices"][:5]:
            client.v1.invoices.finalize_invoice(invoice)
            client.v1.invoices.pay(invoice)
        client.v1.invoices.delete(ids["invoices"][6])  # a draft
        for charge in ids["charges"][:5]:
            client.v1.refunds.create({"charge": charge})  # the rest of it
        client.v1.subscriptions.cancel(ids["subscriptions"][20])
        client.v1.subscriptions.update(
            ids["subscriptions"][21], {"metadata": {"seats": "5"}, "cancel_at_period_end": True}
        )
        client.v1.products.update(
            client.v1.prices.retrieve(ids["prices"][0]).product, {"active": False}
        )
        item = client.v1.invoice_items.create(
            {"customer": ids["customers"][7], "amount": 99, "currency": "usd"}
        )
        client.v1.invoice_items.delete(item.id)

        report = engine.run()
        assert report.events_applied > 20 and not report.full_backfill
        assert_cache_equals_server(synced, client, ignore=SILENT_FIELDS)
        assert synced.is_deleted("customers", ids["customers"][5])
        assert ids["customers"][0] in report.changed["customers"]

        # The same events again, and (into a cache that never saw them) shuffled, twice.
        rows = synced.conn.execute("SELECT data FROM events ORDER BY created")
        events = [orjson.loads(data) for (data,) in rows]
        before = table_snapshot(synced)
        assert not any(engine.apply_event(e) for e in events)
        assert table_snapshot(synced) == before

        stale_engine = SyncEngine(gateway, stale, reconcile_every_s=None)
        new = [
            e
            for e in events
            if not stale.conn.execute("SELECT 1 FROM events WHERE id = ?", (e["id"],)).fetchone()
        ]
        random.Random(7).shuffle(new)
        assert all(stale_engine.apply_event(e) for e in new)
        random.Random(8).shuffle(new)
        assert not any(stale_engine.apply_event(e) for e in new)
        assert_cache_equals_server(stale, client, ignore=SILENT_FIELDS)

        # What no event carries, reconciliation brings back.
        assert engine.reconcile().changed.keys() <= {"customers"}
        assert_cache_equals_server(synced, client)


def test_more_than_100_new_events_between_polls_are_all_applied_and_an_idle_poll_is_one_request(
    sandbox, client, engine, cache
):
    engine.run()
    created = [client.v1.customers.create({"email": f"n{i}@example.com"}).id for i in range(130)]
    for customer in created[:100]:
        client.v1.customers.update(customer, {"name": "Named"})

    report = engine.poll()
    assert report.events_applied == 230
    assert_cache_equals_server(cache, client)

    calls = []
    get = engine.fetcher.get
    engine.fetcher.get = lambda *a, **k: calls.append(a) or get(*a, **k)
    assert engine.poll().events_applied == 0
    assert len(calls) == 1


def test_cursor_past_the_30_day_window_backfills_instead_of_leaving_gaps(
    sandbox, client, engine, cache
):
    keep = client.v1.customers.create({"email": "keep@example.com"}).id
    gone = client.v1.customers.create({"email": "gone@example.com"}).id
    engine.run()
    client.v1.customers.delete(gone)
    client.v1.customers.update(keep, {"name": "Changed while away"})
    sandbox.advance_time(days=31)  # those events are now past Stripe's retention
    client.v1.customers.create({"email": "later@example.com"})

    report = engine.run()

    assert report.full_backfill
    assert cache.is_deleted("customers", gone)
    assert cache.get("customers", keep)["name"] == "Changed while away"
    assert_cache_equals_server(cache, client)


def test_events_in_an_older_api_version_are_refetched(tmp_path):
    with Sandbox(event_api_version="2024-06-20") as sb, Cache.open(tmp_path / "c.sqlite3") as cache:
        client = sdk_client(sb)
        engine = SyncEngine(make_gateway(sb), cache, reconcile_every_s=None)
        engine.run()
        ids = populate(client, 5)
        client.v1.customers.update(ids["customers"][0], {"name": "New name"})
        client.v1.customers.delete(ids["customers"][1])
        retrieved = []
        retrieve = engine.fetcher.retrieve
        engine.fetcher.retrieve = lambda r, i: retrieved.append(i) or retrieve(r, i)

        engine.poll()

        assert ids["customers"][0] in retrieved
        assert_cache_equals_server(cache, client)
        # Nothing of the old rendering reached the cache.
        assert cache.get("customers", ids["customers"][0])["name"] == "New name"


def test_reconcile_fixes_rows_that_drifted_without_events(sandbox, client, engine, cache):
    ids = [client.v1.customers.create({"email": f"r{i}@example.com"}).id for i in range(120)]
    engine.run()
    cache.conn.execute("DELETE FROM customers WHERE id = ?", (ids[0],))
    cache.conn.execute(
        "UPDATE customers SET data = json_set(data, '$.name', 'Wrong') WHERE id = ?", (ids[1],)
    )
    cache.upsert("customers", [{**cache.get("customers", ids[2]), "id": "cus_NotOnTheServer"}])
    cache.mark_deleted("customers", ids[3])

    report = engine.reconcile(["customers"])

    assert report.changed["customers"] == {ids[0], ids[1], ids[3], "cus_NotOnTheServer"}
    assert cache.is_deleted("customers", "cus_NotOnTheServer")
    assert_cache_equals_server(cache, client)
    assert engine.reconcile().changed == {}


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
def test_a_sync_gives_its_calling_thread_back_at_the_priority_it_had(populated, tmp_path):
    """The GUI reuses its worker threads: one that ran a sync may run a refund next."""

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen = []

    def sync_then_look() -> None:
        before = niceness()
        with Cache.open(tmp_path / "c.sqlite3") as cache:
            SyncEngine(make_gateway(populated), cache, reconcile_every_s=None).run()
        seen.append((before, niceness()))

    worker = threading.Thread(target=sync_then_look)
    worker.start()
    worker.join(120)
    assert len(seen) == 1 and seen[0][1] == seen[0][0]


def test_overlapping_backfills_give_the_switch_interval_back(populated, tmp_path):
    """Two accounts backfilling at once, the first to begin ending first: while the second
    still runs its interval stays short, and the process's own comes back after both."""
    before = sys.getswitchinterval()
    first_inside, second_inside, first_done = (threading.Event() for _ in range(3))
    during_second: list[float] = []

    def first_progress(_progress: SyncProgress) -> None:
        first_inside.set()
        second_inside.wait(30)

    def second_progress(_progress: SyncProgress) -> None:
        if not second_inside.is_set():
            second_inside.set()
            first_done.wait(30)
            during_second.append(sys.getswitchinterval())

    def sync(name: str, progress) -> None:
        with Cache.open(tmp_path / f"{name}.sqlite3") as cache:
            SyncEngine(
                make_gateway(populated), cache, progress=progress, reconcile_every_s=None
            ).run()

    first = threading.Thread(target=lambda: (sync("a", first_progress), first_done.set()))
    second = threading.Thread(target=sync, args=("b", second_progress))
    first.start()
    assert first_inside.wait(30)
    second.start()
    first.join(120)
    second.join(120)
    assert first_done.is_set() and during_second and during_second[0] < before
    assert sys.getswitchinterval() == before
