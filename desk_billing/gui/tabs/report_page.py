"""What the Overview and Collections pages share: the main window's tab interface for a page
that is not a list, and a small read-only table of plain rows (header + text cells)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

from desk_billing.core.reports.tables import Table, write_csv
from desk_billing.gui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """A few hundred rows at most (a report's table), held as text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header: list[str] = []
        self.rows: list[list[str]] = []

    def set_table(self, table: Table) -> None:
        self.beginResetModel()
        self.header, self.rows = list(table[0]), [list(r) for r in table[1]]
        self.endResetModel()

    def table(self) -> Table:
        return self.header, self.rows

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.header)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.header[section].replace("_", " ").capitalize()
        return None


class ReportPage(QWidget):
    """A page of figures computed off the GUI thread ("db" lane) and refreshed after changes."""

    title = ""
    message = Signal(str)
    error = Signal(object)
    TABLES: tuple[str, ...] = ()  # tables whose changes make the page recompute

    def __init__(self, runner: TaskRunner, cache_path: Path, mode: str) -> None:
        super().__init__()
        self.runner, self.cache_path, self.mode = runner, Path(cache_path), mode
        self.export_action = QAction("Export data as CSV…", self)
        self.export_action.triggered.connect(self.export_csv)

    # The main window's tab interface.
    def restore_state(self, settings: Any) -> None:
        self.reload()

    def save_state(self, settings: Any) -> None:
        """Nothing to keep between runs."""

    def install_actions(self, hub: Any) -> None:
        self.hub = hub

    def refresh(self, changed: Mapping[str, frozenset[str]]) -> None:
        if not self.TABLES or set(changed) & set(self.TABLES):
            self.reload()

    def reload(self) -> None:
        raise NotImplementedError

    def csv_tables(self) -> Sequence[tuple[str, Table]]:
        """(file name suffix, table) of what the page shows."""
        raise NotImplementedError

    def export_csv(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the data as CSV files into…")
        if not folder:
            return
        written = []
        for name, table in self.csv_tables():
            path = Path(folder) / f"{self.title.lower()}-{name}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                write_csv(table, handle)
            written.append(path.name)
        self.message.emit(f"Exported {', '.join(written)}.")
