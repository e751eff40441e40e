"""Schema migrations: an ordered list; `PRAGMA user_version` records how many have run.

Append a function to add a change; never edit one that has shipped. Each runs in one
transaction together with the version bump, so a crash leaves the schema before or after it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from desk_billing.core.cache.schema import TABLES, TableSpec
from desk_billing.core.errors import DeskBillingError


def fts_triggers_sql(spec: TableSpec) -> list[str]:
    """Triggers that keep `<table>_fts` in step with the table (same shape as sqlite-utils')."""
    cols = ", ".join(spec.search)
    new = ", ".join(f"new.{c}" for c in spec.search)
    old = ", ".join(f"old.{c}" for c in spec.search)
    t, fts = spec.name, f"{spec.name}_fts"
    return [
        f"CREATE TRIGGER {t}_ai AFTER INSERT ON {t} BEGIN "
        f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {t}_ad AFTER DELETE ON {t} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER {t}_au AFTER UPDATE ON {t} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new}); END",
    ]


def _create_object_table(conn: sqlite3.Connection, spec: TableSpec) -> None:
    columns = ",\n  ".join(f"{c.name} {c.sql_type}" for c in spec.columns)
    conn.execute(
        f"CREATE TABLE {spec.name} (\n  id TEXT PRIMARY KEY,\n  data TEXT NOT NULL,\n"
        f"  deleted INTEGER NOT NULL DEFAULT 0,\n  updated_at INTEGER,\n  {columns}\n)"
    )
    conn.execute(f"CREATE INDEX {spec.name}_created ON {spec.name} (created DESC)")
    for column in spec.columns:
        if column.indexed and column.name != "created":
            conn.execute(f"CREATE INDEX {spec.name}_{column.name} ON {spec.name} ({column.name})")
    if spec.search:
        conn.execute(
            f"CREATE VIRTUAL TABLE {spec.name}_fts USING fts5 "
            f"({', '.join(spec.search)}, content={spec.name})"
        )
        for sql in fts_triggers_sql(spec):
            conn.execute(sql)


def _initial(conn: sqlite3.Connection) -> None:
    """Object tables of the contract, sync_state, the operation journal."""
    for spec in TABLES.values():
        _create_object_table(conn, spec)
    conn.execute(
        "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT, updated_at INTEGER NOT NULL)"
    )
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


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_initial, _journal_run_columns]
SCHEMA_VERSION = len(MIGRATIONS)


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
