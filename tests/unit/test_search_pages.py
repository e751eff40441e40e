"""Search pages and counts, checked against a plain definition of what the list should show,
whatever order the rows were stored in, and asking the full-text index once per keystroke."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from desk_billing.core.cache import Cache, pages, reading, search
from desk_billing.core.cache.keyset import Page
from desk_billing.core.cache.lists import CUSTOMERS as SPEC
from desk_billing.core.cache.lists import Filters, ListQuery
from tests.cache_load import load_as_backfill

ROWS = 6000
# More matches than a search sorts, all among the oldest rows: the first rows walked hold none.
OLD_ZEDS = search.SORT_MATCHES_AT_MOST + 100
PAGE = 50
FIRST_NAMES = ("Ada", "Grace", "Alan", "Kenji")


def people(layout: str) -> list[dict]:
    """Customers, newest first as a sync stores them; "on_top": the newest 1,000 came later
    (higher rowids above a backfill); "shuffled": created has nothing to do with the rowids."""
    rng = random.Random(5)
    stamps = [2_000_000_000 - 10 * i for i in range(ROWS)]  # unique, so the order is plain
    if layout == "shuffled":
        rng.shuffle(stamps)
    rows = []
    for i, created in enumerate(stamps):
        first = "Zed" if i >= ROWS - OLD_ZEDS else FIRST_NAMES[i % 4]
        last = "Quux" if i % 997 == 0 else "Smith"
        rows.append({"id": f"cus_{i:05d}", "object": "customer", "name": f"{first} {last} {i}",
                     "email": f"{first.lower()}{i}@example.com", "created": created})  # fmt: skip
    if layout == "on_top":
        rows = rows[1000:] + rows[:1000]
    return rows


@pytest.fixture(scope="module", params=["newest_first", "on_top", "shuffled"])
def cache_rows(request, tmp_path_factory) -> tuple[Path, list[dict]]:
    rows = people(request.param)
    path = tmp_path_factory.mktemp(request.param) / "cache.sqlite3"
    with Cache.open(path) as cache:
        load_as_backfill(cache, "customers", rows[: ROWS // 2])
        load_as_backfill(cache, "customers", rows[ROWS // 2 :])
        for i in (3, ROWS - 7, ROWS - 1000):  # deleted ones never show, nor count
            cache.mark_deleted("customers", f"cus_{i:05d}")
    return path, [r for r in rows if r["id"] not in {"cus_00003", "cus_05993", "cus_05000"}]


def expected(rows: list[dict], words: list[str], descending: bool = True) -> list[str]:
    """Rows whose name has each word, the last one as the start of a word, ordered by created."""

    def match(row: dict) -> bool:
        names = row["name"].lower().split()
        *whole, prefix = words
        return all(w in names for w in whole) and any(n.startswith(prefix) for n in names)

    hits = sorted((r for r in rows if match(r)), key=lambda r: r["created"], reverse=descending)
    return [r["id"] for r in hits]


def every_page(conn, query: ListQuery) -> tuple[list[str], Page]:
    shown, after, first = [], None, None
    while True:
        page = pages.fetch_page(conn, SPEC, query, after, PAGE)
        first = first or page
        shown += [row[1] for row in page.rows]
        if page.after is None:
            return shown, first
        after = page.after


@pytest.mark.parametrize(
    "text", ["ada", "zed", "zed quux", "quux", "ada smith", "gr", "nobody"]
)  # common, sparse (only old rows), rare, none
@pytest.mark.parametrize("descending", [True, False])
def test_every_page_of_a_search_in_order_and_its_count(cache_rows, text, descending):
    path, rows = cache_rows
    conn = reading.connect(path)
    query = ListQuery(text, sort="created", descending=descending)
    want = expected(rows, text.split(), descending)
    shown, first = every_page(conn, query)
    assert shown == want
    capped = pages.count(conn, SPEC, query, search.SEARCH_COUNT_AT_MOST, first.matches)
    assert capped == min(len(want), search.SEARCH_COUNT_AT_MOST + 1)
    assert pages.count(conn, SPEC, query, None, first.matches) == len(want)


def test_a_filtered_search_shows_and_counts_only_rows_the_filter_keeps(cache_rows):
    path, rows = cache_rows
    conn = reading.connect(path)
    since = 2_000_000_000 - 10 * (ROWS - OLD_ZEDS // 2)  # the newer half of the Zeds
    query = ListQuery("zed", Filters(since=since), "created", True)
    want = expected([r for r in rows if r["created"] >= since], ["zed"])
    shown, first = every_page(conn, query)
    assert shown == want and 0 < len(want) < OLD_ZEDS
    assert pages.count(conn, SPEC, query, None, first.matches) == len(want)


def test_a_keystroke_asks_the_full_text_index_once_page_and_count(cache_rows):
    # At a million rows each full-text statement with a prefix costs 15-30 ms before its first
    # row (FTS5 merges every word with that prefix), so asking twice is what makes typing lag.
    path, rows = cache_rows
    conn = reading.connect(path)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    for text in ("zed", "ad", "quux"):
        statements.clear()
        query = ListQuery(text, sort="created")
        page = pages.fetch_page(conn, SPEC, query, None, PAGE)
        total = pages.count(conn, SPEC, query, search.SEARCH_COUNT_AT_MOST, page.matches)
        assert total == min(len(expected(rows, [text])), search.SEARCH_COUNT_AT_MOST + 1)
        assert len([s for s in statements if " MATCH " in s]) == 1, text
