"""The SQLite cache of one Stripe account and mode: upserts, lookups, sync state.

Threads: a `Cache` (like its sqlite3 connection) belongs to the thread that opened it. Each
thread that needs the cache calls `Cache.open(path)` itself; WAL lets readers run while one
writer writes, and `busy_timeout` makes a second writer wait instead of failing.

The schema is sqlite-utils' work (`migrations`, `db`); rows are read and written here with plain
sqlite3 statements: they are the sync's path, and sqlite-utils looks at the table's schema on
every call (one `state_set` through its upsert: ~125 us and eight schema queries, against ~3 us).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import sqlite_utils

from desk_billing.core.cache.migrations import migrate
from desk_billing.core.cache.schema import TABLES, TableSpec
from desk_billing.core.errors import ValidationError

BUSY_TIMEOUT_MS = 5000
# Pages of 8 KiB, not SQLite's 4: Stripe objects are 1-5 KiB of JSON, and with 4 KiB pages a
# backfill writes more, smaller, fuller-of-gaps pages (sync ingest 22k -> 28k objects/s, same
# run; GUI list and search queries unchanged at 300k objects). Caches made before keep theirs.
PAGE_SIZE = 8192
# Rows per INSERT statement at most: few statement shapes to prepare, few GIL hand-overs.
STATEMENT_ROWS = 500
STATE_LAST_SYNC = "last_sync_at"  # epoch seconds of the last completed sync; set by core.sync


def _plain(obj: Any) -> dict[str, Any]:
    """JSON-ready dicts: decoded JSON (dict, OrderedDict) as is; SDK objects through to_dict()."""
    if isinstance(obj, dict) and not hasattr(obj, "to_dict"):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    return to_dict() if callable(to_dict) else dict(obj)


class Prepared(NamedTuple):
    """Objects turned into a table's rows (`Cache.prepare`), ready for `Cache.write`."""

    table: str
    ids: list[str]  # of the rows, in order
    values: list[Any]  # the rows' column values, one row after another
    stubs: list[str]  # ids of deletion stubs: rows to mark deleted


def joined(parts: Sequence[Prepared]) -> Prepared:
    """Several preparations of one table as one, in order (a later row of an id wins)."""
    if len(parts) == 1:
        return parts[0]
    return Prepared(
        parts[0].table,
        [i for part in parts for i in part.ids],
        [v for part in parts for v in part.values],
        [i for part in parts for i in part.stubs],
    )


class Cache:
    """One open cache file. Open with `Cache.open(path)`; close with `close()` or `with`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.db = sqlite_utils.Database(conn)  # for the schema: tables, indexes, search
        self._depth = 0
        self._multi: dict[tuple[str, int], str] = {}  # (table, rows) -> one-statement upsert
        self._max_variables = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)

    @classmethod
    def open(cls, path: Path | str) -> Cache:
        """Open (creating when needed) and migrate the cache file; one call per thread."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE in `transaction()`),
        # never the sqlite3 module's implicit ones.
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # new files only: before WAL, tables
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(
            "PRAGMA synchronous = NORMAL"
        )  # safe with WAL; loses at most the last commit on power loss
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nested blocks join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    @staticmethod
    def _spec(table: str) -> TableSpec:
        try:
            return TABLES[table]
        except KeyError:
            raise ValidationError(f"'{table}' is not a cached table.") from None

    def _upsert_sql(self, table: str, count: int) -> str:
        """One INSERT of `count` rows. Many rows per statement instead of one: SQLite then writes
        them in one step without the GIL, where per-row steps handed the GIL back and forth 100
        times a page with the threads parsing the next pages (sync ingest, issue 4)."""
        sql = self._multi.get((table, count))
        if sql is None:
            names = ["id", "data", "deleted", "updated_at", *TABLES[table].column_names()]
            updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
            row = f"({', '.join('?' * len(names))})"
            sql = (
                f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([row] * count)} "
                f"ON CONFLICT(id) DO UPDATE SET {updates}"
            )
            self._multi[(table, count)] = sql
        return sql

    @staticmethod
    def prepare(table: str, objects: Iterable[Mapping[str, Any]]) -> Prepared:
        """The rows `write` stores for these objects. Needs no connection, so any thread may
        prepare (the sync's fetch threads do, while the writer writes the page before)."""
        spec = Cache._spec(table)
        columns = tuple(c.extract for c in spec.columns)
        now = int(time.time())
        values: list[Any] = []
        ids: list[str] = []
        stubs: list[str] = []
        for raw in objects:
            obj = _plain(raw)
            if obj.get("deleted") is True:
                stubs.append(obj["id"])
                continue
            ids.append(obj["id"])
            values += (obj["id"], orjson.dumps(obj).decode(), 0, now)
            values += [extract(obj) for extract in columns]
        return Prepared(table, ids, values, stubs)

    def write(self, prepared: Prepared) -> int:
        """Store prepared rows (insert or update), in one transaction; returns how many."""
        table, ids, values, stubs = prepared
        width = len(values) // len(ids) if ids else 0
        per_statement = min(self._max_variables // width, STATEMENT_ROWS) if width else 1
        with self.transaction():
            for start in range(0, len(ids), per_statement):
                chunk = values[start * width : (start + per_statement) * width]
                self.conn.execute(self._upsert_sql(table, len(chunk) // width), chunk)
            for object_id in stubs:
                self.mark_deleted(table, object_id)
        return len(ids) + len(stubs)

    def upsert(self, table: str, objects: Iterable[Mapping[str, Any]]) -> int:
        """Insert or update objects as returned by the API, in one transaction; returns how many.

        A deletion stub (`{"id", "object", "deleted": true}`) marks the row deleted and keeps
        its last known data.
        """
        return self.write(self.prepare(table, objects))

    def mark_deleted(self, table: str, object_id: str) -> None:
        """Flag a row deleted (kept for history, hidden from lists); unknown ids are ignored."""
        self._spec(table)
        self.conn.execute(
            f"UPDATE {table} SET deleted = 1, updated_at = ? WHERE id = ?",
            (int(time.time()), object_id),
        )

    def get(self, table: str, object_id: str) -> dict[str, Any] | None:
        """The object as last returned by the API (deleted ones too), or None."""
        self._spec(table)
        row = self.conn.execute(f"SELECT data FROM {table} WHERE id = ?", (object_id,)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def is_deleted(self, table: str, object_id: str) -> bool:
        self._spec(table)
        row = self.conn.execute(
            f"SELECT deleted FROM {table} WHERE id = ?", (object_id,)
        ).fetchone()
        return bool(row and row[0])

    def count(self, table: str, include_deleted: bool = False) -> int:
        """Rows in a table, without deleted ones unless asked."""
        self._spec(table)
        where = "" if include_deleted else " WHERE deleted = 0"
        return self.conn.execute(f"SELECT count(*) FROM {table}{where}").fetchone()[0]

    def counts(self) -> dict[str, int]:
        """Live rows per object table."""
        return {name: self.count(name) for name in TABLES}

    def ids(self, table: str, include_deleted: bool = False) -> list[str]:
        """Ids, newest first."""
        self._spec(table)
        where = "" if include_deleted else " WHERE deleted = 0"
        sql = f"SELECT id FROM {table}{where} ORDER BY created DESC, id"
        return [row[0] for row in self.conn.execute(sql)]

    def state_get(self, key: str, default: Any = None) -> Any:
        """A sync-state value (cursor, last event id, last sync time), JSON-decoded."""
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return default if row is None else orjson.loads(row[0])

    def state_set(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable sync-state value."""
        self.conn.execute(
            "INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, orjson.dumps(value).decode(), int(time.time())),
        )

    def integrity_check(self) -> list[str]:
        """Problems SQLite and the search indexes report; empty when the file is sound."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        for spec in TABLES.values():
            if spec.search:
                try:
                    self.conn.execute(
                        f"INSERT INTO {spec.name}_fts ({spec.name}_fts) VALUES ('integrity-check')"
                    )
                except sqlite3.DatabaseError as error:
                    problems.append(f"{spec.name}_fts: {error}")
        return problems
