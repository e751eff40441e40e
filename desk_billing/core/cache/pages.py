"""Reading a list: a page of rows in order (searched, filtered, sorted in SQL), how many rows it
holds, every row of it, and the values a filter can take.

Functions take a `sqlite3.Connection` of the calling thread (see `reading`).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from desk_billing.core.cache.keyset import (
    Matches,
    Page,
    Where,
    json_rowids,
    order_keys,
    sorted_page,
)
from desk_billing.core.cache.lists import ListQuery, ListSpec
from desk_billing.core.cache.search import fts_expression, ordered_by_index, search_in_order

CURRENCIES_AT_MOST = 50  # choices a currency filter offers


def conditions(spec: ListSpec, query: ListQuery) -> Where | None:
    """WHERE parts of the query (the full-text part apart); None when the search can match nothing."""
    sql = Where(where=["t.deleted = 0"])
    for fragment, params in spec.conditions(query.filters):
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
    instead of looking up and sorting every match (`search_in_order`). Once `cancelled` is
    set, that search stops early and the page is incomplete (the caller drops it).
    """
    started = time.perf_counter()
    sql = conditions(spec, query)
    if sql is None:
        return Page([], None)
    keys = order_keys(spec, query)
    matches = None
    if sql.fts is not None and ordered_by_index(conn, spec, sql, keys, after):
        rows, next_after, matches = search_in_order(conn, spec, sql, keys, after, limit, cancelled)
    else:
        rows, next_after = sorted_page(conn, spec, sql.with_matches(spec.table), keys, after, limit)
    return Page(rows, next_after, (time.perf_counter() - started) * 1000, matches)


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
    sql = conditions(spec, query)
    if sql is None:
        return 0
    if sql.fts is not None and known is not None and (known.complete or at_most is not None):
        among = "t.rowid IN (SELECT value FROM json_each(?))"
        text = f"SELECT 1 FROM {spec.table} t WHERE {' AND '.join([*sql.where, among])}"
        params = [*sql.params, json_rowids(known.rowids)]
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


def currencies(conn: sqlite3.Connection, spec: ListSpec) -> list[str]:
    """The currencies the list's rows are in (deleted ones too), for its currency filter."""
    if not spec.currency_filter:
        return []
    sql = (
        f"SELECT DISTINCT currency FROM {spec.table} WHERE currency IS NOT NULL ORDER BY 1 LIMIT ?"
    )
    return [row[0] for row in conn.execute(sql, (CURRENCIES_AT_MOST,))]
