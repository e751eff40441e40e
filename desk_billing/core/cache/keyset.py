"""The parts of a keyset-paged list query: conditions, an order with a unique key, "after this
row", and the statements that read a page in that order.

Pages continue after the last row's sort key (keyset pagination), so a page deep in a million
rows costs what the first one does. Functions take a `sqlite3.Connection` of the calling thread.
The statements are plain sqlite3, written for SQLite's planner (row values that seek an index,
an order it can read from one): the lists' per-keystroke path, measured at a million rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from desk_billing.core.cache.lists import ListQuery, ListSpec

DESC_INDEXED = frozenset({"t.created"})  # sort expressions whose index is declared DESC

Rows = list[tuple[Any, ...]]
Key = tuple[Any, ...]
Order = list[tuple[str, bool]]  # (expression, descending) pairs


@dataclass(frozen=True)
class Matches:
    """Rowids a search found to match its full-text part: all of them (`complete`), or some.
    `count` uses them instead of asking FTS5 again (that costs what the page did)."""

    rowids: tuple[int, ...]
    complete: bool


@dataclass(frozen=True)
class Page:
    """Rows as tuples (rowid, id, *column values); `after` continues the list, None at its end."""

    rows: Rows
    after: Key | None
    elapsed_ms: float = 0.0
    matches: Matches | None = None  # what a search learned about its matches on the way


@dataclass
class Where:
    """The conditions of a list query and their parameters; the first is always "not deleted",
    which `walk_step` leaves to `keep_matching`. The full-text part is kept apart."""

    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    fts: str | None = None  # the full-text expression, not yet in `where`

    def with_matches(self, table: str) -> Where:
        """The conditions with "is one of the full-text matches" added."""
        if self.fts is None:
            return self
        where = f"t.rowid IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)"
        return Where([*self.where, where], [*self.params, self.fts])


def order_keys(spec: ListSpec, query: ListQuery) -> Order:
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


def after_condition(keys: Order, after: Sequence[Any]) -> tuple[str, list[Any]]:
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


def page_select(
    spec: ListSpec, sql: Where, keys: Order, after: Sequence[Any] | None
) -> tuple[str, list[Any]]:
    """The page query (its LIMIT a parameter still to append): rowid, id, columns, sort keys."""
    where, params = list(sql.where), list(sql.params)
    if after is not None:
        condition, extra = after_condition(keys, after)
        where.append(condition)
        params.extend(extra)
    selected = ", ".join(["t.rowid", "t.id", *(c.sql for c in spec.columns), *(k for k, _ in keys)])
    order = ", ".join(f"{k} {'DESC' if d else 'ASC'}" for k, d in keys)
    text = (
        f"SELECT {selected} FROM {spec.table} t WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT ?"
    )
    return text, params


def sorted_page(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: Where,
    keys: Order,
    after: Sequence[Any] | None,
    limit: int,
) -> tuple[Rows, Key | None]:
    """The plain page: SQLite finds the rows, in the order's index or by sorting them."""
    width = 2 + len(spec.columns)
    text, params = page_select(spec, sql, keys, after)
    raw = conn.execute(text, [*params, limit]).fetchall()
    return [r[:width] for r in raw], tuple(raw[-1][width:]) if len(raw) == limit else None


def walk_step(
    spec: ListSpec,
    sql: Where,
    keys: Order,
    after: Sequence[Any] | None,
    condition: tuple[str, list[Any]] | None = None,
) -> tuple[str, list[Any]]:
    """Rowids and sort keys of the list in order. Without filters it reads only the order's
    index: the rows themselves keep their columns behind `data`, in overflow pages, and
    reading them costs four times as much (`deleted` is checked in `keep_matching` instead)."""
    where, params = (list(sql.where), list(sql.params)) if sql.where[1:] else ([], [])
    if condition is not None:
        where.append(condition[0])
        params.extend(condition[1])
    if after is not None:
        seek, extra = after_condition(keys, after)
        where.append(seek)
        params.extend(extra)
    order = ", ".join(f"{k} {'DESC' if d else 'ASC'}" for k, d in keys)
    text = (
        f"SELECT t.rowid, {', '.join(k for k, _ in keys)} FROM {spec.table} t "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT ?"
    )
    return text, params


def keep_matching(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: Where,
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


def json_rowids(rowids: Sequence[int]) -> str:
    """Rowids as one JSON array parameter, for `IN (SELECT value FROM json_each(?))`."""
    return orjson.dumps(list(rowids)).decode()
