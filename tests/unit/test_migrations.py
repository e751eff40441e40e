"""Schema migrations: a cache made by an older desk-billing opens, keeps its rows and search, and
ends with the schema a new cache has; a change to the specs reaches existing caches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import sqlite_utils

from desk_billing.core.cache import SCHEMA_VERSION, Cache, lists, pages, schema
from desk_billing.core.cache.migrations import follow_specs, specs_digest
from desk_billing.core.cache.schema import Column, TableSpec, field
from desk_billing.core.sync.bulk_load import BulkLoad

OLD_SCHEMA = Path(__file__).parent.parent / "data" / "cache_schema_55f7544.sql"
# The specs' digest at each schema version: a spec change without a migration fails here.
DIGESTS = {3: "970d061b2fa949dc", 4: "76fe83c81b69d8c7"}


def old_cache(path: Path) -> None:
    """A cache as desk-billing 55f7544 left it: its schema, version 2, rows written by its SQL
    (the full-text index filled by its own triggers)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 8192")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(OLD_SCHEMA.read_text(encoding="utf-8"))
    customer = {"id": "cus_old", "object": "customer", "name": "Grace Hopper", "created": 100}
    invoice = {"id": "in_old", "object": "invoice", "customer": "cus_old", "number": "OLD-0001",
               "subscription": "sub_old", "status": "paid", "created": 200}  # fmt: skip
    conn.execute(
        "INSERT INTO customers (id, data, deleted, updated_at, created, name) "
        "VALUES (?, ?, 0, 1, 100, 'Grace Hopper')",
        (customer["id"], orjson.dumps(customer).decode()),
    )
    conn.execute(
        "INSERT INTO invoices (id, data, deleted, updated_at, created, customer, number, status, "
        "subscription) VALUES (?, ?, 0, 1, 200, 'cus_old', 'OLD-0001', 'paid', 'sub_old')",
        (invoice["id"], orjson.dumps(invoice).decode()),
    )
    conn.execute(
        "INSERT INTO sync_state (key, value, updated_at) VALUES ('sync.cursor', ?, 1)",
        ('{"id": "evt_1", "created": 1}',),
    )
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


def shown(cache: Cache, spec: lists.ListSpec, text: str = "") -> list[str]:
    return [row[1] for row in pages.fetch_page(cache.conn, spec, lists.ListQuery(text)).rows]


def names(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute("SELECT type, name FROM sqlite_master ORDER BY type, name").fetchall()


def test_a_cache_made_by_55f7544_opens_keeps_its_rows_and_search_and_is_whole(tmp_path):
    path = tmp_path / "old.sqlite3"
    old_cache(path)
    with Cache.open(path) as cache, Cache.open(tmp_path / "new.sqlite3") as fresh:
        assert cache.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert names(cache.conn) == names(fresh.conn)  # tables, indexes, search, triggers
        assert "invoices_subscription" in {i.name for i in cache.db["invoices"].indexes}
        assert cache.state_get("sync.cursor") == {"id": "evt_1", "created": 1}
        assert shown(cache, lists.CUSTOMERS, "hopper") == ["cus_old"]
        assert shown(cache, lists.INVOICES, "old-0001") == ["in_old"]
        cache.upsert("customers", [{"id": "cus_new", "object": "customer", "name": "Ada"}])
        assert shown(cache, lists.CUSTOMERS, "ada") == ["cus_new"]  # its triggers still work
        cache.upsert("customers", [{"id": "cus_old", "object": "customer", "name": "Grace"}])
        assert shown(cache, lists.CUSTOMERS, "hopper") == []
        assert cache.integrity_check() == []
        # A bulk load's end rebuilds the search in sqlite-utils' own form.
        assert cache.db["customers"].detect_fts() is None
        bulk, state = BulkLoad(cache), {}
        with cache.transaction():
            bulk.begin("customers", state)
            bulk.finish("customers", state)
        assert cache.db["customers"].detect_fts() == "customers_fts"
        assert shown(cache, lists.CUSTOMERS, "grace") == ["cus_old"]
        assert names(cache.conn) == names(fresh.conn) and cache.integrity_check() == []


def test_an_old_backfill_state_still_ends_with_every_index(tmp_path):
    """55f7544 recorded the SQL of the indexes a backfill dropped; the specs rebuild them now."""
    path = tmp_path / "old.sqlite3"
    old_cache(path)
    conn = sqlite3.connect(path)
    dropped = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'invoices_customer'"
    ).fetchone()[0]
    conn.execute("DROP INDEX invoices_customer")
    conn.execute("DROP TRIGGER invoices_ai")
    conn.commit()
    conn.close()
    with Cache.open(path) as cache, Cache.open(tmp_path / "new.sqlite3") as fresh:
        state = {"done": False, "fts_deferred": True, "deferred_indexes": [dropped]}
        with cache.transaction():
            BulkLoad(cache).finish("invoices", state)
        assert names(cache.conn) == names(fresh.conn)
        assert shown(cache, lists.INVOICES, "old-0001") == ["in_old"]


def test_a_change_to_the_specs_reaches_an_existing_cache(tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite3"
    with Cache.open(path) as cache:
        cache.upsert(
            "customers",
            [
                {"id": f"cus_{n}", "object": "customer", "name": f"Person {n}", "created": n,
                 "email": f"p{n}@example.com", "phone": "+1555", "preferred_locales": ["de"],
                 "invoice_prefix": f"PFX{n}"}
                for n in range(2500)  # more rows than one statement re-reads
            ],
        )  # fmt: skip
    old = schema.TABLES["customers"]
    columns = tuple(
        Column(c.name, "TEXT", c.extract) if c.name == "balance" else c
        for c in old.columns
        if c.name != "phone"
    ) + (Column("invoice_prefix", "TEXT", field("invoice_prefix"), indexed=True),)
    changed = TableSpec(
        "customers", "customer", columns, search=(*old.search[:-1], "invoice_prefix")
    )
    monkeypatch.setitem(schema.TABLES, "customers", changed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    follow_specs(conn)
    conn.execute("COMMIT")
    table = sqlite_utils.Database(conn)["customers"]
    types = {c.name: c.type for c in table.columns}
    assert "phone" not in types and types["balance"] == "TEXT"  # transform
    assert conn.execute("SELECT invoice_prefix FROM customers WHERE id = 'cus_2345'").fetchone()[
        0
    ] == (
        "PFX2345"  # filled from the JSON of every row
    )
    assert "customers_invoice_prefix" in {i.name for i in table.indexes}
    hits = conn.execute(
        "SELECT rowid FROM customers_fts WHERE customers_fts MATCH '\"PFX2345\"'"
    ).fetchall()
    assert len(hits) == 1
    conn.execute("INSERT INTO customers_fts (customers_fts) VALUES ('integrity-check')")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    trigger_names = {t.name for t in table.triggers}
    assert trigger_names == {"customers_ai", "customers_ad", "customers_au"}
    conn.close()


def test_the_specs_are_those_the_last_migration_follows():
    assert specs_digest() == DIGESTS[SCHEMA_VERSION], (
        "The table specs changed: append `follow_specs` to MIGRATIONS (so existing caches get "
        "the change) and record the new digest for the new SCHEMA_VERSION here."
    )
