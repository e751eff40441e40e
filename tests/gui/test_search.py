"""Search as you type over a cache with many matches: bounded pages in the list's order, short
words matched whole, capped counts, and a newer keystroke that replaces an older query."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desk_billing.core.cache import Cache, search
from desk_billing.core.cache.lists import CUSTOMERS, PAYMENT_KINDS, ListQuery
from desk_billing.gui.table_model import CacheTableModel
from desk_billing.gui.tabs.customers import CustomersTab
from desk_billing.gui.tasks import TaskRunner
from tests.cache_load import load_as_backfill

# More than a count shows, and more than a search sorts: the list order is walked instead.
ADAS = max(search.SEARCH_COUNT_AT_MOST, search.SORT_MATCHES_AT_MOST) + 500
SHORT = 5  # customers whose name holds the one-letter word "A"
PAGE = 50


@pytest.fixture(scope="module")
def cache_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("search") / "cache.sqlite3"
    # created not in insertion order, so the list's order and the full-text rowids differ
    customers = [
        {"id": f"cus_ada{i:05d}", "object": "customer", "name": f"Ada Lovelace {i}",
         "email": f"ada{i}@example.com", "created": 1_700_000_000 + (i * 7919) % ADAS}
        for i in range(ADAS)
    ] + [
        {"id": f"cus_short{i}", "object": "customer", "name": f"A Smith {i}",
         "email": f"smith{i}@example.com", "created": 1_600_000_000 + i}
        for i in range(SHORT)
    ] + [
        {"id": f"cus_other{i:03d}", "object": "customer", "name": f"Grace Hopper {i}",
         "email": f"grace{i}@example.com", "created": 1_650_000_000 + i}
        for i in range(300)
    ]  # fmt: skip
    with Cache.open(path) as cache:
        load_as_backfill(cache, "customers", customers)
        cache.mark_deleted("customers", "cus_ada00003")
    return path


def expected_ids(path: Path, where: str) -> list[str]:
    """What the list should show, by the plain definition: matching rows, newest first."""
    conn = sqlite3.connect(path)
    try:
        sql = f"SELECT id FROM customers WHERE deleted = 0 AND {where} ORDER BY created DESC, rowid"
        return [row[0] for row in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def shown(model: CacheTableModel) -> list[str]:
    return [model.id_at(row) for row in range(model.rowCount())]


def search_for(qtbot, model: CacheTableModel, text: str) -> None:
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.set_query(ListQuery(text, sort="created"))


def test_one_letter_matches_whole_words_only_and_says_so(qtbot, runner, cache_path):
    model = CacheTableModel(CUSTOMERS, runner, cache_path, page_size=PAGE)
    search_for(qtbot, model, "a")
    # Not every name starting with "a" (thousands of Adas), only the word "A", newest first.
    assert shown(model) == expected_ids(cache_path, "name LIKE 'A Smith %'")
    assert len(shown(model)) == SHORT and model.fully_loaded
    assert "whole words only" in (model.search_hint or "")


def test_two_letters_match_word_starts_one_bounded_page_in_order(qtbot, runner, cache_path):
    model = CacheTableModel(CUSTOMERS, runner, cache_path, page_size=PAGE)
    search_for(qtbot, model, "ad")
    everyone = expected_ids(cache_path, "name LIKE 'Ada %'")
    assert shown(model) == everyone[:PAGE]  # one page, the newest matches, deleted one left out
    assert model.search_hint is None
    qtbot.waitUntil(lambda: model.total is not None, timeout=5000)
    assert (model.total, model.total_capped) == (search.SEARCH_COUNT_AT_MOST, True)
    for _ in range(3):  # further pages continue exactly where the first stopped
        with qtbot.waitSignal(model.rowsInserted, timeout=5000):
            model.fetchMore()
    assert shown(model) == everyone[: 4 * PAGE]


def test_few_matches_are_counted_exactly(qtbot, runner, cache_path):
    model = CacheTableModel(CUSTOMERS, runner, cache_path, page_size=PAGE)
    search_for(qtbot, model, "grace hopper 29")  # 29 and 290-299: the last word is a prefix
    assert shown(model) == expected_ids(cache_path, "name LIKE 'Grace Hopper 29%'")
    assert len(shown(model)) == 11
    search_for(qtbot, model, "grace")
    qtbot.waitUntil(lambda: model.total == 300, timeout=5000)
    assert (
        not model.total_capped
        and shown(model) == expected_ids(cache_path, "name LIKE 'Grace%'")[:PAGE]
    )


def test_the_tab_shows_a_capped_count_and_the_short_word_hint(qtbot, runner, cache_path):
    tab = CustomersTab(runner, cache_path, "test")
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=5000)
    tab.search.setText("ada")
    tab.apply_query()
    qtbot.waitUntil(lambda: tab.total_label.text() == "1,000+ rows", timeout=5000)
    tab.search.setText("a")
    tab.apply_query()
    qtbot.waitUntil(lambda: tab.total_label.text().startswith(f"{SHORT} rows · "), timeout=5000)
    assert "whole words only" in tab.total_label.text()


def test_a_newer_keystroke_replaces_the_query_before_it(qtbot, runner, cache_path):
    model = CacheTableModel(CUSTOMERS, runner, cache_path, page_size=PAGE)
    loaded = []
    model.loaded.connect(lambda: loaded.append(model.query.search))
    for text in ("g", "gr", "gra", "grac", "grace"):
        model.set_query(ListQuery(text, sort="created"))
    qtbot.waitUntil(lambda: not model.querying and bool(loaded), timeout=5000)
    qtbot.wait(50)
    assert loaded == ["grace"]  # the superseded queries never reach the view
    assert shown(model) == expected_ids(cache_path, "name LIKE 'Grace%'")[:PAGE]


def test_the_searched_model_passes_qt_model_tester(qtbot, runner, cache_path, qtmodeltester):
    model = CacheTableModel(CUSTOMERS, runner, cache_path, page_size=PAGE)
    search_for(qtbot, model, "ad")
    qtmodeltester.check(model)


def test_the_columns_stay_put_when_a_search_finds_nothing(qtbot, runner, cache_path):
    tab = CustomersTab(runner, cache_path, "test")
    qtbot.addWidget(tab)
    tab.resize(1000, 600)
    tab.show()
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=5000)
    width = tab.view.viewport().width()
    tab.search.setText("nobody")
    tab.apply_query()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0 and not tab.model.querying, timeout=5000)
    qtbot.wait(20)
    # No scroll bar coming and going: the table keeps its width (and the columns their place).
    assert tab.view.viewport().width() == width


def test_status_cells_are_drawn_as_labels_in_every_kind_of_payment_list(qtbot, runner, cache_path):
    from desk_billing.gui.delegates import StatusDelegate
    from desk_billing.gui.tabs.payments import PaymentsTab

    tab = PaymentsTab(runner, cache_path, "test")
    qtbot.addWidget(tab)
    for kind, spec in PAYMENT_KINDS.items():
        tab.show_kind(kind)
        drawn = [
            i
            for i in range(len(spec.columns))
            if isinstance(tab.view.itemDelegateForColumn(i), StatusDelegate)
        ]
        assert drawn == [spec.index_of("status")], kind
