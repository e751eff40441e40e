"""Read queries for lists and detail panes: keyset pages over one table, counts, CSV export.

Lists are sorted and filtered in SQL. Pages continue after the last row's sort key
(keyset pagination), so a page deep in a million rows costs what the first one does. A search
never sorts or counts all its matches: few matches are sorted, many are found by walking the
list's order (see `fetch_page`), and counts stop at a cap.
Functions take a plain `sqlite3.Connection` owned by the calling thread.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import orjson

from desk_billing.core.money import to_decimal

Kind = Literal["text", "id", "amount", "status", "date", "bool", "count"]
_WORD = re.compile(r"\w+", re.UNICODE)
DESC_INDEXED = frozenset({"t.created"})  # sort expressions whose index is declared DESC
# A last word shorter than this matches as a whole word, not as a prefix: one letter is the
# prefix of a large share of a million rows' words (issue 5 measured 0.6-2 s for "a").
PREFIX_MIN_CHARS = 2
# Up to this many full-text matches a search sorts them (cheap); past it, the matches are too
# many to look up and sort per keystroke, and the list's own order is walked instead.
SORT_MATCHES_AT_MOST = 2000
WALK_ROWS = 2048  # rows of the order a search with many matches tries first
# Matching rowids a search reads from its one full-text statement at most (about 0.4 µs each):
# enough to hold every match of a search whose matches are too sparse for the first rows walked.
SCAN_AT_MOST = 20_000
SEARCH_COUNT_AT_MOST = 1000  # counts of search results stop here ("1,000+")
# Matches a search page reads at least, for the count (deleted or filtered rows among them)
COUNT_FROM_MATCHES = 2 * SEARCH_COUNT_AT_MOST
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # what FTS5's unicode61 tokenizer keeps of a word


@dataclass(frozen=True)
class ListColumn:
    """One shown column: its SQL over the table aliased `t`, how to sort by it, how it reads."""

    key: str
    title: str
    sql: str
    kind: Kind = "text"
    sort_sql: str | None = None  # None: not sortable; expressions must never be NULL (keyset)
    currency_key: str = "currency"  # for amounts: the column holding the currency


@dataclass(frozen=True)
class ListSpec:
    """A list over one cached table."""

    table: str
    columns: tuple[ListColumn, ...]
    default_sort: str = "created"
    search: Literal["fts", "like", "none"] = "fts"
    like_columns: tuple[str, ...] = ()
    # An expression sorted descending before the chosen column (Activity: failures first).
    pinned_sort: str | None = None

    def column(self, key: str) -> ListColumn:
        return next(c for c in self.columns if c.key == key)

    def index_of(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


@dataclass(frozen=True)
class ListQuery:
    """What the user asked to see: search text, filters (SQL fragments with parameters), order."""

    search: str = ""
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    sort: str | None = None
    descending: bool = True

    def with_sort(self, key: str, descending: bool) -> ListQuery:
        return replace(self, sort=key, descending=descending)


@dataclass(frozen=True)
class Matches:
    """Rowids a search found to match its full-text part: all of them (`complete`), or some.
    `count` uses them instead of asking FTS5 again (that costs what the page did)."""

    rowids: tuple[int, ...]
    complete: bool


@dataclass(frozen=True)
class Page:
    """Rows as tuples (rowid, id, *column values); `after` continues the list, None at its end."""

    rows: list[tuple[Any, ...]]
    after: tuple[Any, ...] | None
    elapsed_ms: float = 0.0
    matches: Matches | None = None  # what a search learned about its matches on the way


def connect(path: Path | str) -> sqlite3.Connection:
    """A read connection for list queries (WAL readers never wait for the sync writer)."""
    conn = sqlite3.connect(Path(path), isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA query_only = 1")
    return conn


def fts_expression(text: str) -> str | None:
    """Every word quoted (user text is never FTS syntax), the last one a prefix: search as you
    type; but a last word that ends in a single character matches whole words only."""
    words = _WORD.findall(text or "")
    if not words:
        return None
    quoted = " ".join(f'"{w}"' for w in words)
    return quoted if _short_last_token(words[-1]) else quoted + "*"


def _short_last_token(word: str) -> bool:
    tokens = _TOKEN.findall(word)
    return not tokens or len(tokens[-1]) < PREFIX_MIN_CHARS


def search_hint(spec: ListSpec, text: str) -> str | None:
    """What to tell the user when their last word is too short to match as a beginning."""
    words = _WORD.findall(text or "")
    if spec.search != "fts" or not words or not _short_last_token(words[-1]):
        return None
    return f"whole words only; type more to match words starting with “{words[-1]}”"


@dataclass
class _Sql:
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    fts: str | None = None  # the full-text expression, not yet in `where`

    def with_matches(self, table: str) -> _Sql:
        """The conditions with "is one of the full-text matches" added."""
        if self.fts is None:
            return self
        where = f"t.rowid IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)"
        return _Sql([*self.where, where], [*self.params, self.fts])


def _conditions(spec: ListSpec, query: ListQuery) -> _Sql | None:
    """WHERE parts of the query (the full-text part apart); None when the search can match nothing."""
    sql = _Sql(where=["t.deleted = 0"])
    for fragment, params in query.filters:
        sql.where.append(f"({fragment})")
        sql.params.extend(params)
    text = query.search.strip()
    if text and spec.search == "fts":
        sql.fts = fts_expression(text)
        if sql.fts is None:
            return None
    elif text and spec.search == "like":
        ors = " OR ".join(f"t.{c} LIKE ?" for c in spec.like_columns)
        sql.where.append(f"({ors})")
        sql.params.extend([f"%{text}%"] * len(spec.like_columns))
    return sql


def _order(spec: ListSpec, query: ListQuery) -> list[tuple[str, bool]]:
    """(expression, descending) pairs, ending with the rowid so every row has a unique key."""
    column = spec.column(query.sort or spec.default_sort)
    expression = column.sort_sql or spec.column(spec.default_sort).sort_sql or "t.created"
    keys = [(spec.pinned_sort, True)] if spec.pinned_sort else []
    # The rowid breaks ties in the order the column's index stores them, so SQLite walks the
    # index (forwards or backwards) instead of sorting the table: `created` is indexed DESC,
    # which keeps equal values in ascending rowid order.
    tie_descending = not query.descending if expression in DESC_INDEXED else query.descending
    keys += [(expression, query.descending), ("t.rowid", tie_descending)]
    return keys


def _after(keys: list[tuple[str, bool]], after: Sequence[Any]) -> tuple[str, list[Any]]:
    """The condition "comes after `after` in this order"."""
    if len({desc for _, desc in keys}) == 1:  # one direction: a row value, which uses the index
        op = "<" if keys[0][1] else ">"
        return f"({', '.join(k for k, _ in keys)}) {op} ({', '.join('?' * len(keys))})", list(after)
    # Mixed directions: the lexicographic OR, behind a range on the first key so the index seeks.
    first, first_desc = keys[0]
    ors, params = [], []
    for i, (expression, desc) in enumerate(keys):
        equal = [f"{k} = ?" for k, _ in keys[:i]]
        ors.append("(" + " AND ".join([*equal, f"{expression} {'<' if desc else '>'} ?"]) + ")")
        params.extend([*after[:i], after[i]])
    return f"{first} {'<=' if first_desc else '>='} ? AND (" + " OR ".join(ors) + ")", [
        after[0],
        *params,
    ]


def _select(
    spec: ListSpec, sql: _Sql, keys: list[tuple[str, bool]], after: Sequence[Any] | None
) -> tuple[str, list[Any]]:
    """The page query (its LIMIT a parameter still to append): rowid, id, columns, sort keys."""
    where, params = list(sql.where), list(sql.params)
    if after is not None:
        condition, extra = _after(keys, after)
        where.append(condition)
        params.extend(extra)
    selected = ", ".join(["t.rowid", "t.id", *(c.sql for c in spec.columns), *(k for k, _ in keys)])
    order = ", ".join(f"{k} {'DESC' if d else 'ASC'}" for k, d in keys)
    text = (
        f"SELECT {selected} FROM {spec.table} t WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT ?"
    )
    return text, params


def fetch_page(
    conn: sqlite3.Connection,
    spec: ListSpec,
    query: ListQuery,
    after: Sequence[Any] | None = None,
    limit: int = 200,
    cancelled: threading.Event | None = None,
) -> Page:
    """Up to `limit` rows of the list, continuing after the key `after` (None: from the top).

    A search with many matches (a common word, a short prefix) is found from the list's order
    instead of looking up and sorting every match (`_search_in_order`). Once `cancelled` is
    set, that search stops early and the page is incomplete (the caller drops it).
    """
    started = time.perf_counter()
    sql = _conditions(spec, query)
    if sql is None:
        return Page([], None)
    keys = _order(spec, query)
    matches = None
    if sql.fts is not None and _ordered_by_index(conn, spec, sql, keys, after):
        rows, next_after, matches = _search_in_order(conn, spec, sql, keys, after, limit, cancelled)
    else:
        rows, next_after = _sorted_page(
            conn, spec, sql.with_matches(spec.table), keys, after, limit
        )
    return Page(rows, next_after, (time.perf_counter() - started) * 1000, matches)


Rows = list[tuple[Any, ...]]
Key = tuple[Any, ...]


def _sorted_page(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: _Sql,
    keys: list[tuple[str, bool]],
    after: Sequence[Any] | None,
    limit: int,
) -> tuple[Rows, Key | None]:
    """The plain page: SQLite finds the rows, in the order's index or by sorting them."""
    width = 2 + len(spec.columns)
    text, params = _select(spec, sql, keys, after)
    raw = conn.execute(text, [*params, limit]).fetchall()
    return [r[:width] for r in raw], tuple(raw[-1][width:]) if len(raw) == limit else None


def _ordered_by_index(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: _Sql,
    keys: list[tuple[str, bool]],
    after: Sequence[Any] | None,
) -> bool:
    """SQLite reads the list's order from an index (else each step of a walk would sort)."""
    text, params = _walk_step(spec, sql, keys, after)
    plan = conn.execute(f"EXPLAIN QUERY PLAN {text}", [*params, 1]).fetchall()
    return not any("TEMP B-TREE FOR ORDER BY" in step[-1] for step in plan)


def _walk_step(
    spec: ListSpec,
    sql: _Sql,
    keys: list[tuple[str, bool]],
    after: Sequence[Any] | None,
    condition: tuple[str, list[Any]] | None = None,
) -> tuple[str, list[Any]]:
    """Rowids and sort keys of the list in order. Without filters it reads only the order's
    index: the rows themselves keep their columns behind `data`, in overflow pages, and
    reading them costs four times as much (`deleted` is checked in `_keep` instead)."""
    where, params = (list(sql.where), list(sql.params)) if sql.where[1:] else ([], [])
    if condition is not None:
        where.append(condition[0])
        params.extend(condition[1])
    if after is not None:
        seek, extra = _after(keys, after)
        where.append(seek)
        params.extend(extra)
    order = ", ".join(f"{k} {'DESC' if d else 'ASC'}" for k, d in keys)
    text = (
        f"SELECT t.rowid, {', '.join(k for k, _ in keys)} FROM {spec.table} t "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT ?"
    )
    return text, params


class _MatchScan:
    """The rowids that match a full-text expression, read from one FTS5 statement in rowid
    order from `start` on, only as far as needed. FTS5 works out every match of a prefix when
    a statement starts (15-30 ms for a common one at a million rows) and again for the next
    statement, so a search reads on in this one instead of asking again."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        fts: str,
        expression: str,
        start: int | None,
        ascending: bool,
    ) -> None:
        bound = "" if start is None else f"AND rowid {'>=' if ascending else '<='} ?"
        self._cursor = conn.execute(
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? {bound} "
            f"ORDER BY rowid {'ASC' if ascending else 'DESC'}",
            (expression,) if start is None else (expression, start),
        )
        self.start, self.ascending = start, ascending
        self.found: list[int] = []
        self.matched: set[int] = set()
        self.exhausted = False

    def knows(self, rowid: int) -> bool:
        """Whether the scan has passed `rowid`, so it knows whether that row matches."""
        if self.ascending:
            reached = self.exhausted or bool(self.found) and rowid <= self.found[-1]
            return (self.start is None or rowid >= self.start) and reached
        reached = self.exhausted or bool(self.found) and rowid >= self.found[-1]
        return (self.start is None or rowid <= self.start) and reached

    def read(self, until: int | None, at_most: int) -> None:
        """Read on until the scan knows rowid `until` (None: to the end) or holds `at_most`."""
        while not self.exhausted and len(self.found) < at_most:
            if until is not None and self.knows(until):
                return
            batch = [r[0] for r in self._cursor.fetchmany(1024)]
            self.found.extend(batch)
            self.matched.update(batch)
            self.exhausted = len(batch) < 1024

    def complete(self, conn: sqlite3.Connection, table: str) -> bool:
        """Whether the scan holds every match: it read to its end from the table's first rowid."""
        if not self.exhausted or self.start is None:
            return self.exhausted
        edge = conn.execute(
            f"SELECT rowid FROM {table} ORDER BY rowid {'ASC' if self.ascending else 'DESC'} LIMIT 1"
        ).fetchone()
        return edge is None or (edge[0] >= self.start if self.ascending else edge[0] <= self.start)

    def close(self) -> None:
        self._cursor.close()  # ends the statement, and with it the read snapshot it holds


def _json_rowids(rowids: Sequence[int]) -> str:
    """Rowids as one JSON array parameter, for `IN (SELECT value FROM json_each(?))`."""
    return orjson.dumps(list(rowids)).decode()


def _search_in_order(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: _Sql,
    keys: list[tuple[str, bool]],
    after: Sequence[Any] | None,
    limit: int,
    cancelled: threading.Event | None,
) -> tuple[Rows, Key | None, Matches | None]:
    """A search page that asks FTS5 once in the usual cases (each statement with a prefix
    merges every word with that prefix first: 15-30 ms for a common one at a million rows):

    1. the list's order walked from its index, WALK_ROWS rows at first, side by side with one
       scan of the matches in rowid order (lists mostly run with the rowids, or against them:
       rows are stored as the sync lists them, newest first), keeping the walked rows that
       match; while matches are common enough that a little more walking fills the page;
    2. else the scan read on: if that reaches every match (up to SCAN_AT_MOST), the page
       comes from those rowids alone, sorted when few, else by the order's index read against
       them in SQLite;
    3. else the order's index read against every match (FTS5 asked a second time). So also
       when the walked rows lie too far apart in rowid order for the scan (FTS5 asked for
       the matches among them alone).
    """
    fts = f"{spec.table}_fts"
    text, params = _walk_step(spec, sql, keys, after)
    walked = conn.execute(text, [*params, WALK_ROWS]).fetchall()
    if not walked:
        return [], None, None
    ascending = walked[0][0] <= walked[-1][0]
    # From the walked rows on, deeper in a list; else from the first rowid, so that the scan
    # can hold every match (the walked rows of a list's top lie at an end of the rowids, or
    # all over them).
    first = min(r[0] for r in walked) if ascending else max(r[0] for r in walked)
    scan = _MatchScan(conn, fts, sql.fts or "", None if after is None else first, ascending)
    rows: Rows = []
    seen = hits = 0
    asked, position = WALK_ROWS, after
    try:
        while True:
            low, high = min(r[0] for r in walked), max(r[0] for r in walked)
            scan.read(high if ascending else low, SCAN_AT_MOST)
            covered = scan.knows(low) and scan.knows(high)
            if covered:
                matched = scan.matched
            else:  # the walked rows lie too far apart, among too many matches, for the scan
                matched = {
                    r[0]
                    for r in conn.execute(
                        f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? AND rowid BETWEEN ? AND ?",
                        (sql.fts, low, high),
                    )
                }
            kept = [r for r in walked if r[0] in matched]
            seen, hits = seen + len(walked), hits + len(kept)
            rows, filled = _keep(conn, spec, sql, kept, rows, limit)
            position = tuple(walked[-1][1:])
            if filled is not None or len(walked) < asked:
                # A few more matches (well under a ms) usually settle the count on their own.
                scan.read(None, COUNT_FROM_MATCHES)
                return rows, filled, Matches(tuple(scan.found), scan.complete(conn, spec.table))
            # Rows still to walk for the rest of the page, at the density seen so far.
            asked = (limit - len(rows)) * seen // max(hits, 1) * 5 // 4 + 64
            if not covered or asked > WALK_ROWS * 4:
                break
            text, params = _walk_step(spec, sql, keys, position)
            walked = conn.execute(text, [*params, asked]).fetchall()
            if not walked:
                return rows, None, Matches(tuple(scan.found), scan.complete(conn, spec.table))
        scan.read(None, SCAN_AT_MOST)
        matches = Matches(tuple(scan.found), scan.complete(conn, spec.table))
    finally:
        scan.close()
    if matches.complete and len(matches.rowids) <= SORT_MATCHES_AT_MOST:
        marks = ", ".join("?" * len(matches.rowids)) or "NULL"
        among = _Sql([*sql.where, f"t.rowid IN ({marks})"], [*sql.params, *matches.rowids])
        return (*_sorted_page(conn, spec, among, keys, after, limit), matches)
    # The unary + keeps SQLite from looking up each match by rowid (and then sorting them).
    if matches.complete:
        matching = ("+t.rowid IN (SELECT value FROM json_each(?))", [_json_rowids(matches.rowids)])
    else:
        matching = (f"+t.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)", [sql.fts])
    while cancelled is None or not cancelled.is_set():
        wanted = (limit - len(rows)) * 5 // 4 + 8  # a few spare, for rows `_keep` drops
        text, params = _walk_step(spec, sql, keys, position, matching)
        walked = conn.execute(text, [*params, wanted]).fetchall()
        rows, filled = _keep(conn, spec, sql, walked, rows, limit)
        if filled is not None or len(walked) < wanted:
            return rows, filled, matches
        position = tuple(walked[-1][1:])
    return rows, position, matches


def _keep(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: _Sql,
    candidates: list[tuple[Any, ...]],
    rows: Rows,
    limit: int,
) -> tuple[Rows, Key | None]:
    """Add the rows of `candidates` (rowid, *sort keys; in order) that meet every condition,
    up to `limit` rows; the sort key of the row that filled the page, or None."""
    selected = ", ".join(["t.rowid", "t.id", *(c.sql for c in spec.columns)])
    while candidates:
        batch, candidates = candidates[: limit - len(rows)], candidates[limit - len(rows) :]
        found = {
            r[0]: r
            for r in conn.execute(
                f"SELECT {selected} FROM {spec.table} t WHERE t.rowid IN "
                f"({', '.join('?' * len(batch))}) AND {' AND '.join(sql.where)}",
                [*(r[0] for r in batch), *sql.params],
            )
        }
        for candidate in batch:
            if candidate[0] in found:
                rows.append(found[candidate[0]])
                if len(rows) == limit:
                    return rows, tuple(candidate[1:])
    return rows, None


def count(
    conn: sqlite3.Connection,
    spec: ListSpec,
    query: ListQuery,
    at_most: int | None = None,
    known: Matches | None = None,
) -> int:
    """How many rows the list holds in all; with `at_most`, stops counting one past it.
    `known` (from the search's page) spares asking FTS5 again when it settles the count:
    it holds every match, or more than `at_most` rows among it meet the other conditions."""
    sql = _conditions(spec, query)
    if sql is None:
        return 0
    if sql.fts is not None and known is not None and (known.complete or at_most is not None):
        among = "t.rowid IN (SELECT value FROM json_each(?))"
        text = f"SELECT 1 FROM {spec.table} t WHERE {' AND '.join([*sql.where, among])}"
        params = [*sql.params, _json_rowids(known.rowids)]
        if at_most is not None:
            text, params = f"{text} LIMIT ?", [*params, at_most + 1]
        found = conn.execute(f"SELECT count(*) FROM ({text})", params).fetchone()[0]
        if known.complete or found > (at_most or 0):
            return found
    if sql.fts is None:
        source, params = f"{spec.table} t", sql.params
    else:  # a join, so SQLite streams the matches instead of collecting them first
        fts = f"{spec.table}_fts"
        source = f"{fts} f JOIN {spec.table} t ON t.rowid = f.rowid"
        sql = replace(sql, where=[*sql.where, f"{fts} MATCH ?"])
        params = [*sql.params, sql.fts]
    text = f"SELECT 1 FROM {source} WHERE {' AND '.join(sql.where)}"
    if at_most is None:
        return conn.execute(f"SELECT count(*) FROM ({text})", params).fetchone()[0]
    return conn.execute(
        f"SELECT count(*) FROM ({text} LIMIT ?)", [*params, at_most + 1]
    ).fetchone()[0]


def iter_rows(
    conn: sqlite3.Connection, spec: ListSpec, query: ListQuery, page: int = 5000
) -> Iterator[tuple[Any, ...]]:
    """Every row of the list in order, a page at a time."""
    after = None
    while True:
        result = fetch_page(conn, spec, query, after, page)
        yield from result.rows
        if result.after is None:
            return
        after = result.after


def cell_text(spec: ListSpec, row: Sequence[Any], index: int) -> str:
    """A cell as exported: amounts in major units (currency in its own column), dates in UTC ISO."""
    column = spec.columns[index]
    value = row[2 + index]
    if value is None:
        return ""
    if column.kind == "amount":
        currency = row[2 + spec.index_of(column.currency_key)] or "usd"
        return str(to_decimal(int(value), currency))
    if column.kind == "date":
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(value)))
    if column.kind == "bool":
        return "yes" if value else "no"
    return str(value).upper() if column.key == "currency" else str(value)


def export_csv(
    conn: sqlite3.Connection,
    spec: ListSpec,
    query: ListQuery,
    path: Path | str,
    cancelled: Any = None,
) -> int:
    """Write the list as shown (same filter and order) to a CSV file; returns the rows written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    written = 0
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *(c.title for c in spec.columns)])
        for row in iter_rows(conn, spec, query):
            writer.writerow([row[1], *(cell_text(spec, row, i) for i in range(len(spec.columns)))])
            written += 1
            if cancelled is not None and written % 5000 == 0 and cancelled.is_set():
                tmp.unlink()
                return written
    tmp.replace(path)
    return written


# -- detail panes --------------------------------------------------------------------------


def _object(conn: sqlite3.Connection, table: str, object_id: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT data FROM {table} WHERE id = ?", (object_id,)).fetchone()
    return None if row is None else orjson.loads(row[0])


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


RELATED_LIMIT = 50


def customer_detail(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any]:
    """A customer with its subscriptions, invoices, payments and refunds (newest first)."""
    limit = RELATED_LIMIT
    refunds_sql = (
        "SELECT id, created, status, amount, currency, reason, charge, payment_intent FROM refunds "
        "WHERE deleted = 0 AND (charge IN (SELECT id FROM charges WHERE customer = ?) "
        "OR payment_intent IN (SELECT id FROM payment_intents WHERE customer = ?)) "
        "ORDER BY created DESC LIMIT ?"
    )
    return {
        "object": _object(conn, "customers", customer_id),
        "subscriptions": _rows(
            conn,
            "SELECT id, created, status, current_period_end, description, price, "
            "(SELECT name FROM products p WHERE p.id = s.product) AS product_name FROM subscriptions s "
            "WHERE deleted = 0 AND customer = ? ORDER BY created DESC LIMIT ?",
            (customer_id, limit),
        ),
        "invoices": _rows(
            conn,
            "SELECT id, created, number, status, total, amount_remaining, currency, due_date "
            "FROM invoices WHERE deleted = 0 AND customer = ? ORDER BY created DESC LIMIT ?",
            (customer_id, limit),
        ),
        "payments": _rows(
            conn,
            "SELECT id, created, status, amount, currency, description FROM payment_intents "
            "WHERE deleted = 0 AND customer = ? UNION ALL "
            "SELECT id, created, status, amount, currency, description FROM charges "
            "WHERE deleted = 0 AND customer = ? AND payment_intent IS NULL "
            "ORDER BY created DESC LIMIT ?",
            (customer_id, customer_id, limit),
        ),
        "refunds": _rows(conn, refunds_sql, (customer_id, customer_id, limit)),
    }


def invoice_detail(conn: sqlite3.Connection, invoice_id: str) -> dict[str, Any]:
    """An invoice with its lines (as embedded, else its invoice items) and payments."""
    invoice = _object(conn, "invoices", invoice_id) or {}
    lines = [
        {
            "id": line.get("id"),
            "description": line.get("description"),
            "quantity": line.get("quantity"),
            "amount": line.get("amount"),
            "currency": line.get("currency") or invoice.get("currency"),
        }
        for line in ((invoice.get("lines") or {}).get("data") or [])
    ]
    if not lines:
        lines = _rows(
            conn,
            "SELECT id, description, NULL AS quantity, amount, currency FROM invoiceitems "
            "WHERE deleted = 0 AND invoice = ? ORDER BY created",
            (invoice_id,),
        )
    payment_ids = []
    for entry in (invoice.get("payments") or {}).get("data") or []:
        payment = entry.get("payment") or {}
        for key in ("payment_intent", "charge"):
            value = payment.get(key)
            value = value.get("id") if isinstance(value, dict) else value
            if value:
                payment_ids.append(value)
    for key in ("payment_intent", "charge"):  # older API versions kept them on the invoice
        value = invoice.get(key)
        value = value.get("id") if isinstance(value, dict) else value
        if value:
            payment_ids.append(value)
    marks = ", ".join("?" * len(payment_ids)) or "NULL"
    payments = _rows(
        conn,
        f"SELECT id, created, status, amount, currency FROM payment_intents WHERE id IN ({marks}) "
        f"UNION ALL SELECT id, created, status, amount, currency FROM charges WHERE id IN ({marks}) "
        "ORDER BY created DESC",
        (*payment_ids, *payment_ids),
    )
    matched = False
    transitions = invoice.get("status_transitions") or {}
    if not payments and transitions.get("finalized_at") and invoice.get("amount_paid"):
        # Since 2025 an invoice no longer names its payment (that is the InvoicePayment
        # resource, not cached): show the customer's payments of that amount and currency
        # made between finalization and a day after it was marked paid.
        matched = True
        payments = _rows(
            conn,
            "SELECT id, created, status, amount, currency FROM payment_intents "
            "WHERE deleted = 0 AND customer = ? AND amount = ? AND currency = ? "
            "AND created BETWEEN ? AND ? ORDER BY created DESC LIMIT 5",
            (
                _ref(invoice.get("customer")),
                invoice.get("amount_paid"),
                invoice.get("currency"),
                transitions["finalized_at"] - 60,
                (transitions.get("paid_at") or transitions["finalized_at"]) + 86400,
            ),
        )
    return {"object": invoice or None, "lines": lines, "payments": payments, "matched": matched}


def _ref(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def subscription_detail(conn: sqlite3.Connection, subscription_id: str) -> dict[str, Any]:
    """A subscription with its items (product names from the cache) and invoices."""
    sub = _object(conn, "subscriptions", subscription_id) or {}
    items = []
    for item in (sub.get("items") or {}).get("data") or []:
        price = item.get("price") or {}
        product = price.get("product")
        product_id = product.get("id") if isinstance(product, dict) else product
        name_row = conn.execute("SELECT name FROM products WHERE id = ?", (product_id,)).fetchone()
        recurring = price.get("recurring") or {}
        items.append(
            {
                "id": item.get("id"),
                "product": name_row[0] if name_row else product_id,
                "price": price.get("id"),
                "quantity": item.get("quantity") or 1,
                "unit_amount": price.get("unit_amount"),
                "currency": price.get("currency") or sub.get("currency"),
                "interval": recurring.get("interval"),
                "current_period_start": item.get("current_period_start"),
                "current_period_end": item.get("current_period_end"),
            }
        )
    invoices = _rows(
        conn,
        "SELECT id, created, number, status, total, currency FROM invoices "
        "WHERE deleted = 0 AND subscription = ? ORDER BY created DESC LIMIT ?",
        (subscription_id, RELATED_LIMIT),
    )
    customer = conn.execute(
        "SELECT coalesce(name, email) FROM customers WHERE id = ?", (_ref(sub.get("customer")),)
    ).fetchone()
    return {
        "object": sub or None,
        "items": items,
        "invoices": invoices,
        "customer_name": customer[0] if customer else None,
    }


def payment_detail(conn: sqlite3.Connection, table: str, object_id: str) -> dict[str, Any]:
    """A payment intent, charge or refund with the charges and refunds around it."""
    obj = _object(conn, table, object_id) or {}
    if table == "payment_intents":
        pi = object_id
    elif table == "charges":
        pi = obj.get("payment_intent")
    else:
        pi = obj.get("payment_intent")
        if not pi and obj.get("charge"):
            row = conn.execute(
                "SELECT payment_intent FROM charges WHERE id = ?", (obj.get("charge"),)
            ).fetchone()
            pi = row[0] if row else None
    pi = pi.get("id") if isinstance(pi, dict) else pi
    if table == "charges" and not pi:
        charges = _rows(
            conn,
            "SELECT id, created, status, amount, amount_refunded, currency FROM charges WHERE id = ?",
            (object_id,),
        )
    else:
        charges = _rows(
            conn,
            "SELECT id, created, status, amount, amount_refunded, currency FROM charges "
            "WHERE deleted = 0 AND payment_intent = ? ORDER BY created DESC",
            (pi,),
        )
    charge_ids = [c["id"] for c in charges] or ([obj.get("charge")] if obj.get("charge") else [])
    marks = ", ".join("?" * len(charge_ids)) or "NULL"
    refunds = _rows(
        conn,
        "SELECT id, created, status, amount, currency, reason FROM refunds WHERE deleted = 0 "
        f"AND (payment_intent = ? OR charge IN ({marks})) ORDER BY created DESC",
        (pi, *charge_ids),
    )
    return {"object": obj or None, "payment_intent": pi, "charges": charges, "refunds": refunds}


def event_detail(conn: sqlite3.Connection, event_id: str) -> dict[str, Any]:
    """An event and the cached state of the object it is about."""
    event = _object(conn, "events", event_id) or {}
    return {"object": event or None}
