"""The lists declared in core: each filter narrows to what a finance user means by it, refunds
reach their customer through the charge, periods are local days, and a superseded query stops."""

from __future__ import annotations

import datetime
import sqlite3
import threading
import time

import pytest

from desk_billing.core.cache import Cache, details, pages, reading
from desk_billing.core.cache.lists import (
    CHARGES,
    CUSTOMERS,
    EVENTS,
    INVOICES,
    PERIODS,
    REFUNDS,
    Filters,
    ListQuery,
    period_bounds,
)
from desk_billing.core.errors import ValidationError

DAY = 86400
NOW = 1_750_000_000


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "cache.sqlite3"
    with Cache.open(path) as cache:
        cache.upsert(
            "customers",
            [
                {"id": "cus_a", "object": "customer", "name": "Ada", "created": NOW - 9 * DAY},
                {"id": "cus_b", "object": "customer", "name": "Bo", "created": NOW - DAY},
            ],
        )
        cache.upsert(
            "invoices",
            [
                {"id": f"in_{i}", "object": "invoice", "customer": customer, "status": status,
                 "currency": currency, "total": 1000 + i, "created": NOW - i * DAY}
                for i, (customer, status, currency) in enumerate(
                    [("cus_a", "paid", "eur"), ("cus_b", "open", "eur"), ("cus_a", "open", "jpy"),
                     ("cus_b", "paid", "usd"), ("cus_a", "void", "eur")]
                )
            ],
        )  # fmt: skip
        cache.upsert(
            "charges",
            [
                {"id": "ch_a", "object": "charge", "customer": "cus_a", "currency": "eur",
                 "status": "succeeded", "amount": 500, "created": NOW - DAY},
                {"id": "ch_b", "object": "charge", "customer": "cus_b", "currency": "eur",
                 "status": "failed", "amount": 700, "created": NOW - 2 * DAY},
            ],
        )  # fmt: skip
        cache.upsert(
            "refunds",
            [
                {"id": "re_a1", "object": "refund", "charge": "ch_a", "amount": 100,
                 "currency": "eur", "status": "succeeded", "created": NOW - 3600},
                {"id": "re_a2", "object": "refund", "charge": {"id": "ch_a", "object": "charge"},
                 "amount": 50, "currency": "eur", "status": "pending", "created": NOW - 7200},
                {"id": "re_b", "object": "refund", "charge": "ch_b", "amount": 70,
                 "currency": "eur", "status": "succeeded", "created": NOW - 1800},
            ],
        )  # fmt: skip
        cache.upsert(
            "events",
            [
                {"id": "evt_1", "object": "event", "type": "charge.failed", "created": NOW - 10,
                 "data": {"object": {"id": "ch_b", "object": "charge"}}},
                {"id": "evt_2", "object": "event", "type": "customer.created", "created": NOW - 20,
                 "data": {"object": {"id": "cus_b", "object": "customer"}}},
                {"id": "evt_3", "object": "event", "type": "customer.subscription.created",
                 "created": NOW - 30, "data": {"object": {"id": "sub_1", "object": "subscription"}}},
                {"id": "evt_4", "object": "event", "type": "charge.refunded", "created": NOW - 40,
                 "data": {"object": {"id": "ch_a", "object": "charge"}}},
            ],
        )  # fmt: skip
    return path


def ids(path, spec, filters: Filters | None = None, text="") -> list[str]:
    filters = filters or Filters()
    conn = reading.connect(path)
    try:
        page = pages.fetch_page(conn, spec, ListQuery(text, filters), limit=100)
        assert pages.count(conn, spec, ListQuery(text, filters)) == len(page.rows)
        return [row[1] for row in page.rows]
    finally:
        conn.close()


def test_each_filter_narrows_the_invoices_and_they_combine(path):
    assert ids(path, INVOICES) == ["in_0", "in_1", "in_2", "in_3", "in_4"]
    assert ids(path, INVOICES, Filters(status="open")) == ["in_1", "in_2"]
    assert ids(path, INVOICES, Filters(currency="EUR")) == ["in_0", "in_1", "in_4"]
    assert ids(path, INVOICES, Filters(customer="cus_a")) == ["in_0", "in_2", "in_4"]
    assert ids(path, INVOICES, Filters(since=NOW - 2 * DAY, until=NOW)) == ["in_1", "in_2"]
    both = Filters(status="open", currency="eur", customer="cus_b")
    assert ids(path, INVOICES, both) == ["in_1"]


def test_refunds_reach_their_customer_through_the_charge(path):
    assert ids(path, REFUNDS, Filters(customer="cus_a")) == ["re_a1", "re_a2"]  # id or expanded
    assert ids(path, REFUNDS, Filters(customer="cus_b")) == ["re_b"]
    assert ids(path, REFUNDS, Filters(customer="cus_a", status="pending")) == ["re_a2"]
    assert ids(path, CHARGES, Filters(customer="cus_b")) == ["ch_b"]


def test_a_list_without_a_filter_ignores_it(path):
    # Customers are not narrowed to a customer, nor events to a currency or status.
    assert ids(path, CUSTOMERS, Filters(customer="cus_a")) == ["cus_b", "cus_a"]
    assert len(ids(path, EVENTS, Filters(currency="eur", status="paid"))) == 4


def test_activity_kinds_of_event(path):
    assert ids(path, EVENTS, Filters(category="Failed payments")) == ["evt_1"]
    assert ids(path, EVENTS, Filters(category="Customers")) == ["evt_2"]  # not subscriptions
    assert ids(path, EVENTS, Filters(category="Subscriptions")) == ["evt_3"]
    assert ids(path, EVENTS, Filters(category="Refunds")) == ["evt_4"]
    assert ids(path, EVENTS, Filters(category="All events")) == ["evt_1", "evt_2", "evt_3", "evt_4"]
    with pytest.raises(ValidationError, match="no kind 'Plans'"):
        ids(path, EVENTS, Filters(category="Plans"))


def test_activity_searches_ids_and_types_as_typed(path):
    assert ids(path, EVENTS, text="refunded") == ["evt_4"]
    assert ids(path, EVENTS, text="cus_b") == ["evt_2"]


def test_currency_choices_are_those_of_the_lists_rows(path):
    conn = reading.connect(path)
    assert pages.currencies(conn, INVOICES) == ["eur", "jpy", "usd"]
    assert pages.currencies(conn, EVENTS) == []  # Activity has no currency filter
    conn.close()


def test_details_of_each_kind_of_row(path):
    conn = reading.connect(path)
    customer = details.read_detail(conn, "customers", "cus_a")
    assert [r["id"] for r in customer["refunds"]] == ["re_a1", "re_a2"]
    assert [r["id"] for r in customer["invoices"]] == ["in_0", "in_2", "in_4"]
    refund = details.read_detail(conn, "refunds", "re_a2")  # its charge expanded
    assert refund["object"]["amount"] == 50 and [c["id"] for c in refund["charges"]] == ["ch_a"]
    assert [r["id"] for r in refund["refunds"]] == ["re_a1", "re_a2"]  # those of its charge
    assert details.read_detail(conn, "events", "evt_9")["object"] is None
    with pytest.raises(ValidationError):
        details.read_detail(conn, "prices", "price_1")
    conn.close()


def test_periods_are_local_days():
    noon = time.mktime((2026, 3, 10, 12, 0, 0, 0, 0, -1))
    midnight = int(time.mktime((2026, 3, 10, 0, 0, 0, 0, 0, -1)))
    assert period_bounds("Any time", noon) == (None, None)
    assert period_bounds("Today", noon) == (midnight, None)
    assert period_bounds("Last 7 days", noon) == (
        int(time.mktime((2026, 3, 3, 0, 0, 0, 0, 0, -1))),
        None,
    )
    assert period_bounds("This year", noon)[0] == int(time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, -1)))
    first, last = datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)
    assert period_bounds("Custom range", noon, first, last) == (
        int(time.mktime((2026, 2, 1, 0, 0, 0, 0, 0, -1))),
        int(time.mktime((2026, 3, 1, 0, 0, 0, 0, 0, -1))),  # the last day included
    )
    assert [p for p in PERIODS if period_bounds(p, noon, first, last) == (None, None)] == [
        "Any time"
    ]
    with pytest.raises(ValidationError):
        period_bounds("Last fortnight", noon)


def test_a_superseded_query_is_interrupted_and_the_next_one_runs(path):
    run = reading.Interruptible()
    started, outcome = threading.Event(), []

    def slow(conn: sqlite3.Connection) -> int:
        # Says when it runs: SQLite drops an interrupt that comes before a statement starts.
        conn.set_progress_handler(lambda: started.set(), 1000)
        # A query that runs for seconds unless interrupted.
        return conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
            "SELECT count(*) FROM (SELECT i FROM n LIMIT 500000000)"
        ).fetchone()[0]

    def query() -> None:
        try:
            outcome.append(run.run(path, slow))
        except reading.Interrupted:
            outcome.append("interrupted")

    thread = threading.Thread(target=query)
    began = time.monotonic()
    thread.start()
    started.wait(5)
    run.interrupt()
    thread.join(10)
    assert outcome == ["interrupted"] and time.monotonic() - began < 5
    with pytest.raises(reading.Interrupted):  # a stopped run does not start again
        run.run(path, lambda conn: 1)
    assert reading.Interruptible().run(path, lambda conn: ids(path, REFUNDS)) == [
        "re_b",
        "re_a1",
        "re_a2",
    ]
