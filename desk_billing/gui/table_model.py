"""The one lazy, SQLite-backed table model behind every list.

It holds the rows fetched so far (a few hundred tuples, not the table), asks for the next
keyset page when the view scrolls near the end (`fetchMore`), and runs every query on the
"db" lane of the task runner, so the GUI thread never waits on SQLite. A newer search
interrupts the query of the one it replaces. After a sync it re-reads the rows it shows and
keeps selection and scroll position through persistent indexes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desk_billing.core.cache import pages, search
from desk_billing.core.cache.keyset import Matches, Page
from desk_billing.core.cache.lists import ListColumn, ListQuery, ListSpec
from desk_billing.core.cache.reading import Interrupted, Interruptible, reader
from desk_billing.gui import formatting
from desk_billing.gui.tasks import Cancelled, Task, TaskControl, TaskError, TaskRunner

PAGE_SIZE = 200
RawRole = Qt.ItemDataRole.UserRole + 1  # the value as stored (int minor units, epoch, status)
KindRole = Qt.ItemDataRole.UserRole + 2  # the column kind: "status" draws a coloured label
IdRole = Qt.ItemDataRole.UserRole + 3
_ANSWERED_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
        RawRole,
        KindRole,
        IdRole,
    }
)

Index = QModelIndex | QPersistentModelIndex


class CacheTableModel(QAbstractTableModel):
    """Rows of one `ListSpec` over one cache file, filtered, searched and sorted in SQL."""

    loaded = Signal()  # the first page of a new query is in
    refreshed = Signal()  # rows were re-read after a sync
    total_changed = Signal(int)
    failed = Signal(object)  # TaskError

    def __init__(
        self,
        spec: ListSpec,
        runner: TaskRunner,
        cache_path: Path,
        page_size: int = PAGE_SIZE,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self._runner = runner
        self._path = Path(cache_path)
        self._page_size = page_size
        self._query = ListQuery(sort=spec.default_sort)
        self._rows: list[tuple[Any, ...]] = []
        self._row_of: dict[str, int] = {}
        self._after: tuple[Any, ...] | None = None
        self._version = 0
        self._fetching = False
        self._query_task: Task | None = None
        self._query_run: Interruptible | None = None
        self.total: int | None = None
        self.total_capped = False  # `total` is a floor: a search counts to SEARCH_COUNT_AT_MOST
        self.last_page_ms = 0.0

    # -- what the tabs use ---------------------------------------------------------------
    @property
    def query(self) -> ListQuery:
        return self._query

    def set_query(self, query: ListQuery) -> None:
        """Show another search/filter/order; the current rows stay until the new ones arrive."""
        self._query = query
        self._version += 1
        version = self._version
        if self._query_task is not None:
            self._query_task.cancel()
        if self._query_run is not None:
            self._query_run.interrupt()
        spec, path, limit = self.spec, self._path, self._page_size
        run = self._query_run = Interruptible()

        def first_page(control: TaskControl) -> tuple[Page, int | None]:
            try:
                page = run.run(
                    path, lambda conn: pages.fetch_page(conn, spec, query, None, limit, run.stopped)
                )
            except Interrupted as stopped:  # a newer keystroke replaced this query
                raise Cancelled from stopped
            control.check()
            total = len(page.rows) if page.after is None else None
            return page, total

        self._query_task = self._runner.run(
            first_page,
            success=lambda result: self._apply_first(version, *result),
            error=self._on_error,
            lane="db",
        )

    def set_order(self, column: int, order: Qt.SortOrder) -> None:
        """Choose the order without querying yet (restoring a saved header before first show)."""
        if 0 <= column < len(self.spec.columns) and self.spec.columns[column].sort_sql:
            key = self.spec.columns[column].key
            self._query = self._query.with_sort(key, order == Qt.SortOrder.DescendingOrder)

    def reload(self) -> None:
        self.set_query(self._query)

    def refresh(self, changed: Mapping[str, frozenset[str]] | None = None) -> None:
        """Re-read the rows in view after a sync (only when `changed` touches this table)."""
        if changed is not None and not changed.get(self.spec.table):
            return
        version = self._version
        spec, path, query = self.spec, self._path, self._query
        limit = max(len(self._rows), self._page_size)

        def rows(control: TaskControl) -> Page:
            return pages.fetch_page(reader(path), spec, query, None, limit)

        self._runner.run(
            rows,
            success=lambda page: self._apply_refresh(version, page),
            error=self._on_error,
            lane="db",
        )

    def id_at(self, row: int) -> str | None:
        return self._rows[row][1] if 0 <= row < len(self._rows) else None

    def row_of(self, object_id: str) -> int | None:
        return self._row_of.get(object_id)

    def raw(self, row: int, key: str) -> Any:
        return self._rows[row][2 + self.spec.index_of(key)]

    @property
    def search_hint(self) -> str | None:
        """A note on how the search text is matched (a one-letter last word: whole words)."""
        return search.search_hint(self.spec, self._query.search)

    @property
    def querying(self) -> bool:
        """A new search/filter/order is on its way."""
        return self._query_task is not None and not self._query_task.done

    @property
    def fully_loaded(self) -> bool:
        return self._after is None and not self._fetching

    # -- QAbstractTableModel -------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.spec.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.spec.columns):
            return None
        column = self.spec.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind == "amount":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Painting asks every cell for about five roles, most of them unanswered here: those
        # return first (a search repaints the table on each keystroke).
        if role not in _ANSWERED_ROLES or not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.spec.columns[index.column()]
        value = row[2 + index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column, value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return None if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.kind in ("amount", "count"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == RawRole:
            return value
        if role == KindRole:
            return column.kind
        if role == IdRole:
            return row[1]
        return None

    def _display(self, row: tuple[Any, ...], column: ListColumn, value: Any) -> str:
        if value is None:
            return ""
        if column.kind == "amount":
            return formatting.amount_text(value, row[2 + self.spec.index_of(column.currency_key)])
        if column.kind == "date":
            return formatting.date_text(value)
        if column.kind == "status":
            return formatting.status_text(value)
        if column.kind == "bool":
            return "yes" if value else ""
        if column.key == "currency":
            return str(value).upper()
        if column.key == "reason":
            return formatting.reason_text(value)
        return str(value)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._after is not None and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        version, after = self._version, self._after
        spec, path, query, limit = self.spec, self._path, self._query, self._page_size

        def next_page(control: TaskControl) -> Page:
            return pages.fetch_page(reader(path), spec, query, after, limit)

        self._runner.run(
            next_page,
            success=lambda page: self._apply_more(version, page),
            error=self._on_error,
            lane="db",
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.spec.columns) or self.spec.columns[column].sort_sql is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = self.spec.columns[column].key
        if (key, descending) != (self._query.sort, self._query.descending):
            self.set_query(self._query.with_sort(key, descending))

    # -- results, on the GUI thread ------------------------------------------------------
    def _apply_first(self, version: int, page: Page, total: int | None) -> None:
        if version != self._version:
            return
        self.beginResetModel()
        self._set_rows(page.rows)
        self._after = page.after
        self._fetching = False
        self.endResetModel()
        self.last_page_ms = page.elapsed_ms
        if total is not None:
            self._set_total(total)
        else:  # after the first page: the cache file is known to be there by now
            self._count(page.matches)
        self.loaded.emit()

    def _apply_more(self, version: int, page: Page) -> None:
        if version != self._version:
            return
        self._fetching = False
        self._after = page.after
        fresh = [r for r in page.rows if r[1] not in self._row_of]
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for offset, row in enumerate(fresh):
                self._row_of[row[1]] = first + offset
            self._rows.extend(fresh)
            self.endInsertRows()

    def _apply_refresh(self, version: int, page: Page) -> None:
        """New rows in place, persistent indexes (selection, current row) moved to their ids."""
        if version != self._version:
            return
        self._version += 1  # pages requested before this point continue a list that is gone
        self._fetching = False
        self.layoutAboutToBeChanged.emit()
        old_ids = [r[1] for r in self._rows]
        persistent = self.persistentIndexList()
        self._set_rows(page.rows)
        self._after = page.after
        moved = []
        for index in persistent:
            new_row = self._row_of.get(old_ids[index.row()]) if index.row() < len(old_ids) else None
            moved.append(QModelIndex() if new_row is None else self.index(new_row, index.column()))
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()
        if page.after is None:
            self._set_total(len(page.rows))
        else:
            self._count(page.matches)
        self.refreshed.emit()

    def _set_rows(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = list(rows)
        self._row_of = {r[1]: i for i, r in enumerate(self._rows)}

    def _count(self, known: Matches | None) -> None:
        """Count the list on the background lane; `known`: the matches the first page found on the way."""
        spec, path, query = self.spec, self._path, self._query
        # A search is counted to a cap ("1,000+"): counting every match of a common word
        # costs what sorting them would. A list without search text is counted exactly.
        cap = search.SEARCH_COUNT_AT_MOST if query.search.strip() else None

        def total(control: TaskControl) -> int:
            control.check()
            return pages.count(reader(path), spec, query, cap, known)

        def apply(value: int) -> None:
            if query == self._query:  # still the list on screen
                if cap is not None and value > cap:
                    self._set_total(cap, capped=True)
                else:
                    self._set_total(value)

        # Not on the db lane: a count without a cap can scan the table, and must not hold up
        # the next page. On the background lane, at a lower CPU priority: after a sync every
        # list counts again, and two such scans on a two-core machine kept the GUI thread
        # waiting for a core (the longest stalls of the GUI benchmark's sync, 45-68 ms).
        self._runner.run(total, success=apply, error=self._on_error, lane="background")

    def _set_total(self, value: int | None, capped: bool = False) -> None:
        if value is None:
            return
        self.total = value
        self.total_capped = capped
        self.total_changed.emit(value)

    def _on_error(self, failure: TaskError) -> None:
        self._fetching = False
        if isinstance(failure.error, Cancelled):
            return
        self.failed.emit(failure)
