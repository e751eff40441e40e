"""The cache's schema, made from the table specs with sqlite-utils, and its migrations: an ordered
list; `PRAGMA user_version` records how many have run.

Append a function to add a change; never edit one that has shipped. A change to the specs (a
column, an index, a searched column) appends `follow_specs` again: it brings every object table
of an existing cache to the specs, by looking at what the file has. Each migration runs in one
transaction together with the version bump, so a crash leaves the schema before or after it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable

import orjson
import sqlite_utils
from sqlite_utils.db import DescIndex

from desk_billing.core.cache.schema import TABLES, TableSpec
from desk_billing.core.errors import DeskBillingError

# Every object table has these besides its spec's columns.
BASE_COLUMNS = {"id": "TEXT", "data": "TEXT", "deleted": "INTEGER", "updated_at": "INTEGER"}
FTS_TRIGGERS = ("ai", "ad", "au")  # <table>_ai, _ad, _au: sqlite-utils' names
_EXTRACT_ROWS = 1000  # rows re-read per statement when a migration adds a column


def create_object_table(db: sqlite_utils.Database, spec: TableSpec) -> None:
    """The table of a spec with its indexes and its full-text index kept by triggers."""
    columns = {**BASE_COLUMNS, **{c.name: c.sql_type for c in spec.columns}}
    db[spec.name].create(columns, pk="id", not_null={"data", "deleted"}, defaults={"deleted": 0})
    create_indexes(db, spec)
    if spec.search:
        db[spec.name].enable_fts(spec.search, create_triggers=True)


def create_indexes(db: sqlite_utils.Database, spec: TableSpec) -> list[str]:
    """Create the indexes the spec declares that the table lacks; their names."""
    table = db[spec.name]
    present = {index.name for index in table.indexes}
    created = []
    for name, (column, descending) in spec.indexes().items():
        if name not in present:
            table.create_index([DescIndex(column) if descending else column], index_name=name)
            created.append(name)
    return created


def drop_fts_triggers(db: sqlite_utils.Database, table: str) -> None:
    """Stop keeping the table's full-text index (a bulk load rebuilds it once at its end)."""
    names = {f"{table}_{suffix}" for suffix in FTS_TRIGGERS}
    for trigger in db[table].triggers:
        if trigger.name in names:
            db.execute(f"DROP TRIGGER [{trigger.name}]")  # sqlite-utils has no call for it


def rebuild_fts(db: sqlite_utils.Database, spec: TableSpec) -> None:
    """The table's full-text index made again from its rows, kept by triggers from now on.

    Caches made before sqlite-utils set up their search (up to schema 2) declare it in a form
    that sqlite-utils' `detect_fts` does not recognise; it is replaced here by name.
    """
    drop_fts_triggers(db, spec.name)
    if db[f"{spec.name}_fts"].exists():
        db[f"{spec.name}_fts"].drop()
    if spec.search:
        db[spec.name].enable_fts(spec.search, create_triggers=True)


def follow_specs(conn: sqlite3.Connection) -> None:
    """Bring every object table to its spec: tables, columns (new ones filled from each row's
    JSON), column types and dropped columns (sqlite-utils' `transform`), indexes, searched
    columns. What a running backfill deferred (search triggers) is left to that backfill."""
    db = sqlite_utils.Database(conn)
    for spec in TABLES.values():
        table = db[spec.name]
        if not table.exists():
            create_object_table(db, spec)
            continue
        declared = {**BASE_COLUMNS, **{c.name: c.sql_type for c in spec.columns}}
        present = {c.name: c.type.upper() for c in table.columns}
        added = [name for name in declared if name not in present]
        retyped = {
            name: declared[name]
            for name in declared
            if name in present and present[name] != declared[name].upper()
        }
        dropped = [name for name in present if name not in declared]
        undeclared_indexes = [
            index.name
            for index in table.indexes
            if index.origin == "c" and index.name not in spec.indexes()
        ]
        for name in undeclared_indexes:
            table.drop_index(name)
        for name in added:
            table.add_column(name, declared[name])
        if retyped or dropped:
            # A new table with the same rowids, so the full-text index still matches its rows;
            # but the triggers that kept it go with the old table.
            table.transform(types=retyped, drop=dropped)
            rebuild_fts(db, spec)
        _extract(conn, spec, [n for n in added if n not in BASE_COLUMNS])
        create_indexes(db, spec)
        fts = db[f"{spec.name}_fts"]
        searched = [c.name for c in fts.columns] if fts.exists() else []
        if searched != list(spec.search):
            rebuild_fts(db, spec)


def _extract(conn: sqlite3.Connection, spec: TableSpec, names: list[str]) -> None:
    """Fill newly added columns from each row's JSON, as a sync would have written them."""
    columns = [c for c in spec.columns if c.name in names]
    if not columns:
        return
    assignments = ", ".join(f"{c.name} = ?" for c in columns)
    # Raw executemany, not sqlite-utils' update() per row: every row of the table, once.
    update = f"UPDATE {spec.name} SET {assignments} WHERE rowid = ?"
    last = 0
    while True:
        rows = conn.execute(
            f"SELECT rowid, data FROM {spec.name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, _EXTRACT_ROWS),
        ).fetchall()
        if not rows:
            return
        values = []
        for rowid, data in rows:
            obj = orjson.loads(data)
            values.append([*(c.extract(obj) for c in columns), rowid])
        conn.executemany(update, values)
        last = rows[-1][0]


def _initial(conn: sqlite3.Connection) -> None:
    """Object tables of the contract, sync_state, the operation journal."""
    db = sqlite_utils.Database(conn)
    for spec in TABLES.values():
        create_object_table(db, spec)
    db["sync_state"].create(
        {"key": "TEXT", "value": "TEXT", "updated_at": "INTEGER"},
        pk="key",
        not_null={"updated_at"},
    )
    # The journal keeps its CHECK constraint, which sqlite-utils cannot declare.
    conn.execute(
        """CREATE TABLE operations (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  params TEXT NOT NULL,
  os_user TEXT,
  profile TEXT,
  object_id TEXT,
  amount INTEGER,
  currency TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  result_id TEXT,
  error TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
)"""
    )
    conn.execute("CREATE INDEX operations_status ON operations (status)")
    conn.execute("CREATE INDEX operations_created ON operations (created DESC)")


def _journal_run_columns(conn: sqlite3.Connection) -> None:
    """Operation journal: the mode it ran in, attempts made, which process owns a pending row,
    when it finished (resume replays only rows whose owner is gone)."""
    conn.execute("ALTER TABLE operations ADD COLUMN mode TEXT")
    conn.execute("ALTER TABLE operations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE operations ADD COLUMN owner TEXT")
    conn.execute("ALTER TABLE operations ADD COLUMN finished INTEGER")
    conn.execute("CREATE INDEX operations_object ON operations (object_id)")


# 3: invoices.subscription indexed (a subscription's invoices).
# 4: the invoice_payments table (an invoice's payments, issue 13).
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _initial,
    _journal_run_columns,
    follow_specs,
    follow_specs,
]
SCHEMA_VERSION = len(MIGRATIONS)


def specs_digest() -> str:
    """What the object tables' schema is made of: a test pins it per SCHEMA_VERSION, so a change
    to the specs without a migration that follows it fails before it ships."""
    shape = {
        name: {
            "columns": [(c.name, c.sql_type) for c in spec.columns],
            "indexes": spec.indexes(),
            "search": list(spec.search),
        }
        for name, spec in TABLES.items()
    }
    return hashlib.sha256(orjson.dumps(shape, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _version(conn: sqlite3.Connection) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise DeskBillingError(
            f"The cache was written by a newer desk-billing (schema {version}); update the app."
        )
    return version


def migrate(conn: sqlite3.Connection) -> int:
    """Run the migrations this file has not seen yet; returns the schema version."""
    # Up to date (the usual case): no write lock, so opening never waits for a busy writer.
    if _version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute(
        "BEGIN IMMEDIATE"
    )  # then re-read under the lock: another process may have migrated
    try:
        version = _version(conn)
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            step(conn)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
