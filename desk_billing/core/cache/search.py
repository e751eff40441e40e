"""Full-text search as you type: the user's words as an FTS5 expression, and a page of a
search in the list's order that asks FTS5 once per keystroke.

A search never sorts or counts all its matches: few matches are sorted, many are found by
walking the list's order (`search_in_order`), and counts stop at a cap. Plain sqlite3 FTS5
statements, shaped so that FTS5 is asked once per keystroke: sqlite-utils' `search()` ranks every
match (a ranked page of 200 took 41 ms at a million rows, DESIGN.md) and knows no list order.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from desk_billing.core.cache.keyset import (
    Key,
    Matches,
    Order,
    Rows,
    Where,
    json_rowids,
    keep_matching,
    sorted_page,
    walk_step,
)
from desk_billing.core.cache.lists import ListSpec

_WORD = re.compile(r"\w+", re.UNICODE)
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


def ordered_by_index(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: Where,
    keys: Order,
    after: Sequence[Any] | None,
) -> bool:
    """SQLite reads the list's order from an index (else each step of a walk would sort)."""
    text, params = walk_step(spec, sql, keys, after)
    plan = conn.execute(f"EXPLAIN QUERY PLAN {text}", [*params, 1]).fetchall()
    return not any("TEMP B-TREE FOR ORDER BY" in step[-1] for step in plan)


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


def search_in_order(
    conn: sqlite3.Connection,
    spec: ListSpec,
    sql: Where,
    keys: Order,
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
    text, params = walk_step(spec, sql, keys, after)
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
            rows, filled = keep_matching(conn, spec, sql, kept, rows, limit)
            position = tuple(walked[-1][1:])
            if filled is not None or len(walked) < asked:
                # A few more matches (well under a ms) usually settle the count on their own.
                scan.read(None, COUNT_FROM_MATCHES)
                return rows, filled, Matches(tuple(scan.found), scan.complete(conn, spec.table))
            # Rows still to walk for the rest of the page, at the density seen so far.
            asked = (limit - len(rows)) * seen // max(hits, 1) * 5 // 4 + 64
            if not covered or asked > WALK_ROWS * 4:
                break
            text, params = walk_step(spec, sql, keys, position)
            walked = conn.execute(text, [*params, asked]).fetchall()
            if not walked:
                return rows, None, Matches(tuple(scan.found), scan.complete(conn, spec.table))
        scan.read(None, SCAN_AT_MOST)
        matches = Matches(tuple(scan.found), scan.complete(conn, spec.table))
    finally:
        scan.close()
    if matches.complete and len(matches.rowids) <= SORT_MATCHES_AT_MOST:
        marks = ", ".join("?" * len(matches.rowids)) or "NULL"
        among = Where([*sql.where, f"t.rowid IN ({marks})"], [*sql.params, *matches.rowids])
        return (*sorted_page(conn, spec, among, keys, after, limit), matches)
    # The unary + keeps SQLite from looking up each match by rowid (and then sorting them).
    if matches.complete:
        matching = ("+t.rowid IN (SELECT value FROM json_each(?))", [json_rowids(matches.rowids)])
    else:
        matching = (f"+t.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)", [sql.fts])
    while cancelled is None or not cancelled.is_set():
        wanted = (limit - len(rows)) * 5 // 4 + 8  # a few spare, for rows `keep_matching` drops
        text, params = walk_step(spec, sql, keys, position, matching)
        walked = conn.execute(text, [*params, wanted]).fetchall()
        rows, filled = keep_matching(conn, spec, sql, walked, rows, limit)
        if filled is not None or len(walked) < wanted:
            return rows, filled, matches
        position = tuple(walked[-1][1:])
    return rows, position, matches
