"""What every list tab shares: search box, filters, the lazy table, a detail pane, actions.

A tab module subclasses `ListTab` with its `ListSpec` (declared in core, with its filters) and
how its detail pane reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QDate,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.cache import details, export, pages
from desk_billing.core.cache.lists import (
    CUSTOM_RANGE,
    PERIODS,
    Filters,
    ListColumn,
    ListQuery,
    ListSpec,
    period_bounds,
)
from desk_billing.core.cache.reading import reader
from desk_billing.gui import formatting
from desk_billing.gui.actions import ActionBar, ActionHub, Selection, TabAction
from desk_billing.gui.delegates import StatusDelegate
from desk_billing.gui.detail import placeholder
from desk_billing.gui.table_model import CacheTableModel
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

SEARCH_DEBOUNCE_MS = 150


class ListTab(QWidget):
    """A searchable, filterable list over one cached table with a detail pane."""

    title = ""
    spec: ListSpec

    message = Signal(str)  # one sentence for the status bar
    error = Signal(object)  # TaskError

    def __init__(
        self, runner: TaskRunner, cache_path: Path, mode: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.cache_path = Path(cache_path)
        self.mode = mode
        self._detail_version = 0
        self.action_bar: ActionBar | None = None
        self.model = self._make_model(self.spec)
        self._build()
        self.activated = False  # lists query the cache when first shown, not all five at start

    # -- building ------------------------------------------------------------------------
    def _make_model(self, spec: ListSpec) -> CacheTableModel:
        model = CacheTableModel(spec, self.runner, self.cache_path, parent=self)
        # Only the model on screen writes the count: a hidden one counts again after a sync.
        model.total_changed.connect(lambda total, m=model: self._total_of(m, total))
        model.failed.connect(self.error.emit)
        model.refreshed.connect(self._after_refresh)
        model.modelReset.connect(self._check_selection, Qt.ConnectionType.QueuedConnection)
        return model

    def _build(self) -> None:
        self.search = QLineEdit(
            placeholderText="Search id, email, name, number, metadata…  (Ctrl+F)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_query)
        self.search.textEdited.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self.apply_query)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        self.extra_filters(bar)
        if self.spec.statuses:
            self.status_box = QComboBox()
            self.fill_statuses(self.spec)
            self.status_box.currentIndexChanged.connect(self.apply_query)
            bar.addWidget(self.status_box)
        if self.spec.currency_filter:
            self.currency_box = QComboBox()
            self.currency_box.addItem("Any currency", None)
            self.currency_box.currentIndexChanged.connect(self.apply_query)
            bar.addWidget(self.currency_box)
        self.period_box = QComboBox()
        self.period_box.addItems(PERIODS)
        self.period_box.currentIndexChanged.connect(self._period_changed)
        bar.addWidget(self.period_box)
        today = QDate.currentDate()
        self.date_from = QDateEdit(
            today.addMonths(-1), calendarPopup=True, displayFormat="yyyy-MM-dd"
        )
        self.date_to = QDateEdit(today, calendarPopup=True, displayFormat="yyyy-MM-dd")
        for edit in (self.date_from, self.date_to):
            edit.setVisible(False)
            edit.dateChanged.connect(self.apply_query)
            bar.addWidget(edit)
        if self.spec.customer_sql:
            self.customer_edit = QLineEdit(placeholderText="Customer id (cus_…)")
            self.customer_edit.setClearButtonEnabled(True)
            self.customer_edit.setMaximumWidth(170)
            self.customer_edit.editingFinished.connect(self.apply_query)
            bar.addWidget(self.customer_edit)
        self.total_label = QLabel("")
        self.total_label.setObjectName("total")
        self.total_label.setMinimumWidth(90)
        self.total_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.total_label)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Export the rows of this filtered list to a CSV file")
        self.export_button.clicked.connect(self._ask_export)
        bar.addWidget(self.export_button)

        self.view = QTableView()
        self.view.setModel(self.model)
        self._status_delegate = StatusDelegate(self.view)
        self.use_status_delegate(self.spec)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setSortingEnabled(True)
        self.view.verticalHeader().setVisible(False)
        # Always there, so a search going from no rows to some does not narrow the viewport,
        # lay the columns out again and paint the table twice.
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.view.verticalHeader().setDefaultSectionSize(26)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.view.horizontalHeader()
        header.setSortIndicator(
            self.spec.index_of(self.spec.default_sort), Qt.SortOrder.DescendingOrder
        )
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        for i, column in enumerate(self.spec.columns):
            header.resizeSection(i, self.column_width(column))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self._connect_selection()

        self.detail = QTextBrowser()
        self.detail.setOpenExternalLinks(True)
        self.detail.setMinimumWidth(300)
        self.detail.setHtml(placeholder("Select a row to see its details."))

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([880, 380])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self._layout = layout

        self._add_action("Copy id", QKeySequence.StandardKey.Copy, self.copy_id)
        self._add_action("Open in Stripe Dashboard", QKeySequence("Ctrl+D"), self.open_dashboard)
        self._add_action("Details", QKeySequence(Qt.Key.Key_Return), self.focus_detail, self.view)
        self._add_action("Details", QKeySequence(Qt.Key.Key_Enter), self.focus_detail, self.view)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.activate()

    def activate(self) -> None:
        if not self.activated:
            self.activated = True
            # After the first page: the db lane has opened (and made) the file by then.
            self.model.loaded.connect(self._load_currencies, Qt.ConnectionType.SingleShotConnection)
            self.apply_query()

    def _add_action(
        self, text: str, keys: Any, slot: Callable[[], None], where: QWidget | None = None
    ) -> QAction:
        action = QAction(text, where or self)
        action.setShortcut(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        (where or self).addAction(action)
        return action

    def use_status_delegate(self, spec: ListSpec) -> None:
        """Status columns of `spec` drawn as labels. Only they draw in Python: a delegate on
        every cell costs a Python call per cell and paint, and a search repaints the table on
        each keystroke (holding the GIL that the next keystroke's query needs)."""
        for i, column in enumerate(spec.columns):
            status = column.kind == "status"
            self.view.setItemDelegateForColumn(i, self._status_delegate if status else None)

    def _connect_selection(self) -> None:
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self._check_selection()

    def fill_statuses(self, spec: ListSpec) -> None:
        """The status filter's choices: those of `spec`, none chosen."""
        self.status_box.blockSignals(True)
        self.status_box.clear()
        self.status_box.addItem("Any status", None)
        for status in spec.statuses:
            self.status_box.addItem(formatting.status_text(status).capitalize(), status)
        self.status_box.blockSignals(False)

    def column_width(self, column: ListColumn) -> int:
        if column.key == "currency":
            return 80
        return {"id": 230, "amount": 105, "status": 175, "date": 135, "bool": 90}.get(
            column.kind, 160
        )

    def extra_filters(self, bar: QHBoxLayout) -> None:
        """Tab-specific filter widgets go here (e.g. the kind of payment list)."""

    # -- the query ------------------------------------------------------------------------
    def filters(self) -> Filters:
        """The filters the user set."""
        since, until = self._period()
        return Filters(
            status=self.status_box.currentData() if self.spec.statuses else None,
            currency=self.currency_box.currentData() if self.spec.currency_filter else None,
            since=since,
            until=until,
            customer=self.customer_edit.text().strip() or None if self.spec.customer_sql else None,
        )

    def current_query(self) -> ListQuery:
        old = self.model.query
        return ListQuery(self.search.text(), self.filters(), old.sort, old.descending)

    def apply_query(self) -> None:
        self._debounce.stop()
        query = self.current_query()
        if query != self.model.query or not self.model.rowCount():
            self.model.set_query(query)

    def _period(self) -> tuple[int | None, int | None]:
        return period_bounds(
            self.period_box.currentText(),
            first_day=self.date_from.date().toPython(),
            last_day=self.date_to.date().toPython(),
        )

    def _period_changed(self) -> None:
        custom = self.period_box.currentText() == CUSTOM_RANGE
        self.date_from.setVisible(custom)
        self.date_to.setVisible(custom)
        self.apply_query()

    def set_customer(self, customer_id: str) -> None:
        if self.spec.customer_sql:
            self.customer_edit.setText(customer_id)
            self.apply_query()

    def _load_currencies(self) -> None:
        if not self.spec.currency_filter:
            return
        spec, path = self.spec, self.cache_path

        def distinct(control: TaskControl) -> list[str]:
            return pages.currencies(reader(path), spec)

        def fill(values: list[str]) -> None:
            known = {self.currency_box.itemData(i) for i in range(self.currency_box.count())}
            for value in values:
                if value not in known:
                    self.currency_box.addItem(value.upper(), value)

        # Not on the db lane: the distinct values are a scan of the table (330 ms at 240k
        # invoices), which would hold up the searches typed meanwhile.
        self.runner.run(distinct, success=fill, error=self.error.emit, lane="background")

    def _total_of(self, model: CacheTableModel, total: int) -> None:
        if model is self.model:
            self._show_total(total)

    def show_model_total(self) -> None:
        """The count of the list on screen (blank until it is counted)."""
        if self.model.total is None:
            self.total_label.setText("")
        else:
            self._show_total(self.model.total)

    def _show_total(self, total: int) -> None:
        plus = "+" if self.model.total_capped else ""
        text = f"{total:,}{plus} {'row' if total == 1 and not plus else 'rows'}"
        hint = self.model.search_hint
        self.total_label.setText(f"{text} · {hint}" if hint else text)

    # -- after a sync ---------------------------------------------------------------------
    def refresh(self, changed: Mapping[str, frozenset[str]] | None) -> None:
        """Re-read the rows in view when the sync changed this table; keep the top row in place."""
        if not self.activated:
            return  # it reads the cache fresh when first shown
        top = self.view.indexAt(self.view.viewport().rect().topLeft())
        self._top_id = self.model.id_at(top.row()) if top.isValid() else None
        self.model.refresh(changed)
        if changed is None or changed.get(self.model.spec.table):
            self._load_currencies()

    def _after_refresh(self) -> None:
        top_id = getattr(self, "_top_id", None)
        row = self.model.row_of(top_id) if top_id else None
        if row is not None:
            self.view.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        current = self.view.currentIndex()
        if current.isValid():
            self._current_changed(current, QModelIndex())

    # -- selection, detail, actions -------------------------------------------------------
    def selected_id(self) -> str | None:
        index = self.view.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def select_id(self, object_id: str) -> bool:
        row = self.model.row_of(object_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        object_id = self.model.id_at(current.row()) if current.isValid() else None
        self._detail_version += 1
        if self.action_bar is not None and (
            self.action_bar.selection is None or self.action_bar.selection.id != object_id
        ):
            self.action_bar.set_selection(None)  # until this row's state is read
        if object_id is None:
            self.detail.setHtml(placeholder("Select a row to see its details."))
            return
        version, path, table = self._detail_version, self.cache_path, self.model.spec.table

        def fetch(control: TaskControl) -> dict[str, Any]:
            return details.read_detail(reader(path), table, object_id)

        def show(detail: dict[str, Any]) -> None:
            if version == self._detail_version:
                self.detail.setHtml(self.render_detail(table, object_id, detail))
                if self.action_bar is not None:
                    obj = detail.get("object")
                    self.action_bar.set_selection(Selection(table, obj, detail) if obj else None)

        self.runner.run(fetch, success=show, error=self.error.emit, lane="db")

    def render_detail(self, table: str, object_id: str, detail: dict[str, Any]) -> str:
        """HTML of the detail pane."""
        raise NotImplementedError

    # -- operations -----------------------------------------------------------------------
    def tab_actions(self) -> list[TabAction]:
        """The operations this tab offers on its rows (none by default)."""
        return []

    def install_actions(self, hub: ActionHub) -> None:
        """The tab's operations as buttons above the list (and QActions for the Actions menu)."""
        actions = self.tab_actions()
        if actions:
            self.action_bar = ActionBar(self, hub, actions)
            self._layout.insertWidget(1, self.action_bar)

    def _check_selection(self) -> None:
        """After a new query or list the selected row may be gone: its actions and details go."""
        if getattr(self, "detail", None) is None:
            return  # queued from a window being torn down
        if not self.view.currentIndex().isValid():
            self._current_changed(QModelIndex(), QModelIndex())

    def focus_detail(self) -> None:
        sizes = self.splitter.sizes()
        if sizes[1] == 0:
            self.splitter.setSizes([sizes[0] * 3 // 5, sizes[0] * 2 // 5])
        self.detail.setFocus()

    def copy_id(self) -> None:
        object_id = self.selected_id()
        if object_id:
            QGuiApplication.clipboard().setText(object_id)
            self.message.emit(f"Copied {object_id}")

    def dashboard_url(self) -> str | None:
        object_id = self.selected_id()
        if not object_id:
            return None
        return formatting.dashboard_url(self.mode, self.model.spec.table, object_id)

    def open_dashboard(self) -> None:
        url = self.dashboard_url()
        if url:
            QDesktopServices.openUrl(QUrl(url))

    def _context_menu(self, pos: Any) -> None:
        if not self.view.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        menu.addAction("Copy id", self.copy_id)
        menu.addAction("Open in Stripe Dashboard", self.open_dashboard)
        menu.addAction("Details", self.focus_detail)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    # -- export ---------------------------------------------------------------------------
    def _ask_export(self) -> None:
        name = f"{self.model.spec.table}-{time.strftime('%Y%m%d-%H%M')}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", name, "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path, done: Callable[[int], None] | None = None) -> None:
        """Write the filtered, sorted list to `path` on a worker."""
        spec, query, cache = self.model.spec, self.model.query, self.cache_path

        def write(control: TaskControl) -> int:
            return export.export_csv(cache, spec, query, path, control.cancel_event)

        def finished(rows: int) -> None:
            self.message.emit(f"Exported {rows:,} rows to {path}")
            if done is not None:
                done(rows)

        self.export_button.setEnabled(False)
        task = self.runner.run(write, success=finished, error=self._export_failed)
        task.finished.connect(lambda: self.export_button.setEnabled(True))

    def _export_failed(self, failure: TaskError) -> None:
        self.error.emit(failure)

    # -- state ----------------------------------------------------------------------------
    def save_state(self, settings: QSettings) -> None:
        settings.setValue(
            f"tabs/{self.state_key()}/header", self.view.horizontalHeader().saveState()
        )
        settings.setValue(f"tabs/{self.state_key()}/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value(f"tabs/{self.state_key()}/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.view.horizontalHeader().restoreState(header)
            section = self.view.horizontalHeader().sortIndicatorSection()
            order = self.view.horizontalHeader().sortIndicatorOrder()
            self.model.set_order(section, order)
        splitter = settings.value(f"tabs/{self.state_key()}/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

    def state_key(self) -> str:
        return type(self).__name__
