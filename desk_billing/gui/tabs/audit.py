"""The audit view: the operation journal (who did what, when, amount, result), resume of
unfinished operations, CSV export. Rows are read on the task runner, never on the GUI thread."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.journal import (
    JOURNAL_TABLE,
    Changes,
    JournalEntry,
    ResumeReport,
    entries,
    export_csv,
)
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

if TYPE_CHECKING:
    from desk_billing.core.account import AccountSession

COLUMNS = (
    ("When", lambda e: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.created))),
    ("What", lambda e: e.kind),
    ("Object", lambda e: e.target or ""),
    ("Amount", lambda e: e.amount_text),
    ("Status", lambda e: e.status),
    ("Result", lambda e: e.result_id or e.error or ""),
    ("Who", lambda e: f"{e.os_user or '?'} ({e.profile}, {e.mode})"),
)
ROW_LIMIT = 1000


class JournalModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.entries: list[Any] = []

    def set_entries(self, entries: list[Any]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        return COLUMNS[index.column()][1](self.entries[index.row()])


class AuditView(QWidget):
    """The journal, newest first."""

    message = Signal(str)
    resumed = Signal(object)  # ResumeReport: the window refreshes (this view too) from `changed`

    def __init__(
        self, runner: TaskRunner, session: AccountSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.session = session
        self.model = JournalModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.status = QLabel()
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        self.resume_button = QPushButton("Retry unfinished")
        self.resume_button.clicked.connect(self.resume)
        export = QPushButton("Export CSV…")
        export.clicked.connect(self.ask_export)
        bar = QHBoxLayout()
        for widget in (refresh, self.resume_button, export):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.reload()

    def refresh(self, changed: Changes) -> None:
        """Re-read the rows when the journal's own rows changed (an operation, a resume)."""
        if JOURNAL_TABLE in changed:
            self.reload()

    def reload(self) -> None:
        session = self.session

        def read(control: TaskControl) -> list[JournalEntry]:
            with session.cache() as cache:
                return entries(cache, limit=ROW_LIMIT)

        self.runner.run(read, success=self._loaded, error=self._failed, lane="db")

    def _loaded(self, entries: list[Any]) -> None:
        self.model.set_entries(entries)
        pending = sum(e.status == "pending" for e in entries)
        self.status.setText(f"{pending} unfinished" if pending else "")
        self.resume_button.setEnabled(bool(pending))

    def _failed(self, failure: TaskError) -> None:
        self.status.setText(failure.message)

    def resume(self) -> None:
        session = self.session

        def work(control: TaskControl) -> ResumeReport:
            with session.journal() as journal:
                return journal.resume_unfinished()

        self.runner.run(work, success=self._resumed, error=self._failed)

    def _resumed(self, report: ResumeReport) -> None:
        self.message.emit(
            f"{len(report.succeeded)} finished, {len(report.failed)} failed, "
            f"{len(report.still_pending)} still unconfirmed."
        )
        self.resumed.emit(report)

    def ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the journal", "journal.csv", "CSV (*.csv)"
        )
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> None:
        session = self.session

        def write(control: TaskControl) -> int:
            with session.cache() as cache:
                return export_csv(cache, path)

        self.runner.run(
            write,
            success=lambda n: self.message.emit(f"{n} operations written to {path}."),
            error=self._failed,
        )
