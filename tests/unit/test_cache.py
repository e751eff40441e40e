"""The SQLite cache: contract tables, upserts, deletion, search, state, migrations."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from desk_billing.core.cache import SCHEMA_VERSION, TABLES, Cache, lists, pages, table_for_object
from desk_billing.core.errors import ValidationError
from desk_billing.core.sync.bulk_load import BulkLoad

FIXTURES = Path(__file__).parent.parent / "data" / "stripe_fixtures3.json"


@pytest.fixture
def cache(tmp_path):
    with Cache.open(tmp_path / "acct_1-test.sqlite3") as opened:
        yield opened


@pytest.fixture(scope="module")
def stripe_objects():
    return json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]


def search(cache: Cache, table: str, text: str) -> list[str]:
    """Ids the table's list shows for a search, as the app's search box asks."""
    spec = {"customers": lists.CUSTOMERS, "invoices": lists.INVOICES}[table]
    page = pages.fetch_page(cache.conn, spec, lists.ListQuery(text), limit=200)
    return [row[1] for row in page.rows]


def customer(n: int, **fields):
    return {"id": f"cus_{n}", "object": "customer", "created": 1_700_000_000 + n, **fields}


def test_opens_in_wal_mode_with_a_busy_timeout(cache):
    assert cache.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cache.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert cache.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_new_caches_use_8_kib_pages_and_older_4_kib_ones_still_open(cache, tmp_path):
    assert cache.conn.execute("PRAGMA page_size").fetchone()[0] == 8192
    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with Cache.open(old) as opened:
        assert opened.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        opened.upsert("customers", [customer(1, email="a@example.com")])
        assert opened.get("customers", "cus_1")["email"] == "a@example.com"


def test_an_upsert_larger_than_one_statement_allows_stores_every_row(cache):
    # ~13 values a row: 3,000 rows need more than SQLite's 32,766 parameters per statement.
    rows = [customer(n, email=f"c{n}@example.com", metadata={"n": str(n)}) for n in range(3000)]
    assert cache.upsert("customers", rows) == 3000
    assert cache.count("customers") == 3000
    assert cache.get("customers", "cus_2999")["email"] == "c2999@example.com"
    found = cache.conn.execute("SELECT email, metadata_text FROM customers WHERE id = 'cus_1234'")
    assert found.fetchone() == ("c1234@example.com", "1234")


def test_an_object_twice_in_one_upsert_keeps_the_later_one(cache):
    cache.upsert(
        "customers", [customer(1, email="old@example.com"), customer(1, email="new@example.com")]
    )
    assert cache.count("customers") == 1
    assert cache.get("customers", "cus_1")["email"] == "new@example.com"
    assert (
        search(cache, "customers", "new") == ["cus_1"] and search(cache, "customers", "old") == []
    )


def test_contract_tables_exist_with_id_data_deleted_created(cache):
    names = set(cache.db.table_names())
    for table in (
        "customers", "products", "prices", "subscriptions", "invoices", "invoiceitems",
        "payment_intents", "charges", "refunds", "credit_notes", "events",
        "sync_state", "operations",
    ):  # fmt: skip
        assert table in names
    for table in TABLES:
        columns = cache.db[table].columns_dict
        assert {"id", "data", "deleted", "created"} <= set(columns)
        assert cache.db[table].pks == ["id"]
        indexed = {tuple(i.columns) for i in cache.db[table].indexes}
        assert ("created",) in indexed


def test_migrations_are_idempotent(tmp_path):
    path = tmp_path / "c.sqlite3"
    Cache.open(path).close()
    with Cache.open(path) as again:
        assert again.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert again.integrity_check() == []


def test_a_cache_from_a_newer_app_is_refused(tmp_path):
    path = tmp_path / "c.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(Exception, match="newer desk-billing"):
        Cache.open(path)


def test_upsert_twice_keeps_one_row_with_the_newer_data(cache):
    cache.upsert("customers", [customer(1, email="old@example.com", name="Jenny")])
    cache.upsert("customers", [customer(1, email="new@example.com", name="Jenny", extra={"x": 1})])
    assert cache.count("customers") == 1
    assert cache.get("customers", "cus_1")["email"] == "new@example.com"
    assert cache.get("customers", "cus_1")["extra"] == {"x": 1}  # unknown fields kept
    row = cache.conn.execute("SELECT email, name FROM customers").fetchone()
    assert row == ("new@example.com", "Jenny")
    assert search(cache, "customers", "old@example.com") == []
    assert search(cache, "customers", "new@example.com") == ["cus_1"]


def test_every_table_takes_stripes_own_example_objects(cache, stripe_objects):
    for spec in TABLES.values():
        obj = stripe_objects[spec.object]
        assert cache.upsert(spec.name, [obj]) == 1
        assert cache.get(spec.name, obj["id"]) == obj  # JSON exactly as returned
        created = cache.conn.execute(f"SELECT created FROM {spec.name}").fetchone()[0]
        assert created == obj.get("created", obj.get("date"))
    assert cache.integrity_check() == []


def test_extracted_columns_follow_the_object(cache, stripe_objects):
    sub = stripe_objects["subscription"]
    cache.upsert("subscriptions", [sub])
    price, customer_id, status = cache.conn.execute(
        "SELECT price, customer, status FROM subscriptions"
    ).fetchone()
    assert price == sub["items"]["data"][0]["price"]["id"]
    assert (customer_id, status) == (sub["customer"], sub["status"])
    expanded = dict(stripe_objects["charge"], customer={"id": "cus_X", "object": "customer"})
    cache.upsert("charges", [expanded])
    assert cache.conn.execute("SELECT customer FROM charges").fetchone()[0] == "cus_X"


def test_missing_fields_are_null_not_errors(cache):
    cache.upsert("invoices", [{"id": "in_1", "object": "invoice"}])
    row = cache.conn.execute("SELECT created, customer, total FROM invoices").fetchone()
    assert row == (None, None, None)


def test_search_finds_by_email_name_number_and_metadata(cache):
    cache.upsert(
        "customers",
        [
            customer(
                1, email="jenny.rosen@example.com", name="Jenny Rosen", metadata={"crm": "CRM-4411"}
            ),
            customer(2, email="bob@example.org", name="Bob Smith", description="wholesale account"),
        ],
    )
    cache.upsert(
        "invoices",
        [
            {
                "id": "in_1",
                "object": "invoice",
                "number": "A1B2C3-0042",
                "customer_email": "jenny.rosen@example.com",
            }
        ],
    )
    assert search(cache, "customers", "jenny.rosen@example.com") == ["cus_1"]
    assert search(cache, "customers", "rosen") == ["cus_1"]
    assert search(cache, "customers", "jenny ros") == ["cus_1"]  # the last word as a prefix
    assert search(cache, "customers", "CRM-4411") == ["cus_1"]
    assert search(cache, "customers", "wholesale") == ["cus_2"]
    assert search(cache, "customers", "cus_2") == ["cus_2"]
    assert search(cache, "invoices", "A1B2C3-0042") == ["in_1"]
    assert search(cache, "customers", 'NEAR(" OR *') == []  # user text is never FTS syntax
    assert search(cache, "customers", "   ") == ["cus_2", "cus_1"]  # blank: the whole list


def test_deleted_rows_leave_lists_and_search_but_keep_their_data(cache):
    cache.upsert("customers", [customer(1, name="Gone Soon"), customer(2, name="Stays")])
    cache.upsert("customers", [{"id": "cus_1", "object": "customer", "deleted": True}])
    assert cache.ids("customers") == ["cus_2"]
    assert cache.count("customers") == 1 and cache.count("customers", include_deleted=True) == 2
    assert search(cache, "customers", "gone") == []
    assert cache.get("customers", "cus_1")["name"] == "Gone Soon"
    assert cache.is_deleted("customers", "cus_1")
    cache.mark_deleted("customers", "cus_2")
    assert cache.ids("customers") == []


def test_ids_are_newest_first(cache):
    cache.upsert("customers", [customer(n) for n in (2, 3, 1)])
    assert cache.ids("customers") == ["cus_3", "cus_2", "cus_1"]


def test_a_bulk_load_gives_the_same_search_and_indexes_as_upserts(cache, tmp_path):
    cache.upsert("invoices", [{"id": "in_0", "object": "invoice", "number": "BEFORE-1"}])
    bulk, states = BulkLoad(cache), {"customers": {}, "invoices": {}}
    with cache.transaction():
        for table, state in states.items():
            bulk.begin(table, state)
    indexes = {r[0] for r in cache.conn.execute("SELECT name FROM sqlite_master")}
    assert "customers_email" not in indexes and "customers_created" in indexes  # empty: deferred
    assert "invoices_customer" in indexes  # not empty: a re-backfill keeps its indexes
    assert states["customers"]["fts_deferred"] and "customers_ai" not in indexes
    cache.write(
        Cache.prepare(
            "customers",
            [customer(n, name=f"Person{n}", email=f"p{n}@example.com") for n in range(1, 500)],
        )
    )
    cache.upsert("invoices", [{"id": "in_1", "object": "invoice", "number": "LOADED-1"}])
    with cache.transaction():
        for table, state in states.items():
            bulk.finish(table, state)
    assert search(cache, "customers", "p42@example.com") == ["cus_42"]
    assert search(cache, "invoices", "loaded") == ["in_1"] and search(cache, "invoices", "before")
    cache.upsert("customers", [customer(7, name="Renamed")])  # triggers are back
    assert search(cache, "customers", "renamed") == ["cus_7"]
    with Cache.open(tmp_path / "fresh.sqlite3") as fresh:
        assert_same_schema(cache, fresh)
    assert cache.integrity_check() == []
    assert states["customers"] == {"fts_deferred": False, "deferred_indexes": None}


def assert_same_schema(cache: Cache, other: Cache) -> None:
    query = "SELECT type, name, tbl_name FROM sqlite_master ORDER BY type, name"
    assert cache.conn.execute(query).fetchall() == other.conn.execute(query).fetchall()


def test_a_failed_transaction_leaves_nothing(cache):
    with pytest.raises(RuntimeError), cache.transaction():
        cache.upsert("customers", [customer(1)])
        cache.state_set("cursor:customers", "cus_1")
        raise RuntimeError("crash mid-page")
    assert cache.count("customers") == 0
    assert cache.state_get("cursor:customers") is None


def test_sync_state_round_trips_json(cache):
    cache.state_set("last_event_id", "evt_1")
    cache.state_set("cursor:invoices", {"starting_after": "in_9", "done": False})
    assert cache.state_get("last_event_id") == "evt_1"
    assert cache.state_get("cursor:invoices") == {"starting_after": "in_9", "done": False}
    assert cache.state_get("missing", 5) == 5


def test_operations_journal_has_a_unique_idempotency_key(cache):
    insert = (
        "INSERT INTO operations (idempotency_key, kind, params, created, updated) "
        "VALUES ('k1', 'refund', '{}', 1, 1)"
    )
    cache.conn.execute(insert)
    with pytest.raises(sqlite3.IntegrityError):
        cache.conn.execute(insert)
    assert cache.conn.execute("SELECT status FROM operations").fetchone()[0] == "pending"


def test_unknown_tables_are_refused(cache):
    with pytest.raises(ValidationError):
        cache.upsert("customers; DROP TABLE customers", [])


def test_table_for_object():
    assert table_for_object("invoiceitem") == "invoiceitems"
    assert table_for_object("payment_intent") == "payment_intents"
    assert table_for_object("credit_note") == "credit_notes"
    with pytest.raises(KeyError):
        table_for_object("plan")


def test_a_reader_thread_sees_committed_writes_while_another_writes(tmp_path):
    path = tmp_path / "c.sqlite3"
    writer = Cache.open(path)
    writer.upsert("customers", [customer(1)])
    seen = []

    def read():
        with Cache.open(path) as reader:  # one connection per thread
            seen.append(reader.count("customers"))

    with writer.transaction():
        writer.upsert("customers", [customer(2)])
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    writer.close()
    assert seen == [1]  # WAL: the reader was not blocked and saw the last commit


def test_sdk_shaped_objects_extract_like_plain_json(cache):
    """The SDK decodes JSON into OrderedDicts and StripeObjects; columns and search must not care."""
    from collections import OrderedDict

    import stripe

    raw = '{"id": "cus_9", "object": "customer", "created": 9, "email": "kenji@example.jp", "metadata": {"crm": "CRM-1002"}}'
    ordered = json.loads(raw, object_pairs_hook=OrderedDict)
    cache.upsert("customers", [ordered])
    assert search(cache, "customers", "crm-1002") == ["cus_9"]
    sdk = stripe.StripeObject.construct_from(
        dict(json.loads(raw), id="cus_10", email="sdk@example.jp"), "sk_test_x"
    )
    cache.upsert("customers", [sdk])
    assert cache.get("customers", "cus_10")["metadata"] == {"crm": "CRM-1002"}
    assert cache.conn.execute("SELECT email FROM customers WHERE id = 'cus_10'").fetchone()[0] == (
        "sdk@example.jp"
    )
    assert sorted(search(cache, "customers", "CRM-1002")) == ["cus_10", "cus_9"]
