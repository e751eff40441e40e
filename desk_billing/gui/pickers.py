"""Pick, don't paste: a customer by part of a name, email or id, and prices from the catalogue.

Each picker is a line edit with its matches listed under it. The matches are read from the
cache on the task runner's "db" lane (the GUI thread never waits on SQLite); Down and Up move
through them, Enter chooses one (and does not submit the dialog), Esc closes the list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.cache.choices import (
    CustomerChoice,
    PriceChoice,
    find_customers,
    find_prices,
    looks_like_customer_id,
)
from desk_billing.core.cache.reading import reader
from desk_billing.gui.tasks import TaskControl, TaskRunner

MATCH_ROWS = 6  # rows of matches shown before the list scrolls
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class _SearchPicker(QWidget):
    """A line edit and its matches; subclasses say what matches and what choosing does."""

    searched = Signal()  # the matches of the latest text are shown (tests wait for it)

    def __init__(self, runner: TaskRunner, cache_path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner, self._path = runner, cache_path
        self._version = 0
        self._stop = threading.Event()  # set when a newer keystroke makes the running search moot
        self.edit = QLineEdit()
        self.matches = QListWidget()
        self.matches.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the edit
        self.matches.hide()
        self.matches.itemClicked.connect(self._choose_item)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.hide()
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        for widget in (self.edit, self.matches, self.summary):
            self.layout_.addWidget(widget)
        self.setFocusProxy(self.edit)
        self.edit.textEdited.connect(self._edited)
        self.edit.installEventFilter(self)

    # -- what subclasses provide ------------------------------------------------------------
    def make_query(self, text: str) -> Callable[[Any, threading.Event], list[Any]]:
        """`query(conn, stop)` for the worker: everything it needs from the widget taken now,
        on the GUI thread."""
        raise NotImplementedError

    def choose(self, choice: Any) -> None:
        raise NotImplementedError

    def shown(self, choices: list[Any]) -> None:
        """The matches of the latest text arrived (before they are listed)."""

    # -- searching ------------------------------------------------------------------------------
    def _edited(self, text: str) -> None:
        self.search(text)

    def search(self, text: str) -> None:
        self._version += 1
        self._stop.set()
        self._stop = stop = threading.Event()
        version, path, query = self._version, self._path, self.make_query(text)

        def read(control: TaskControl) -> list[Any]:
            if stop.is_set() or not path.exists():
                return []  # a newer search is queued behind this one; or no local copy yet
            return query(reader(path), stop)

        self._runner.run(read, success=lambda found: self._show(version, found), lane="db")

    def _show(self, version: int, found: list[Any]) -> None:
        if version != self._version:
            return  # a newer keystroke's matches are on their way
        self.shown(found)
        self.matches.clear()
        for choice in found:
            item = QListWidgetItem(choice.label)
            item.setData(Qt.ItemDataRole.UserRole, choice)
            self.matches.addItem(item)
        if found:
            self.matches.setCurrentRow(0)
            height = self.matches.sizeHintForRow(0) * min(len(found), MATCH_ROWS)
            self.matches.setFixedHeight(height + 2 * self.matches.frameWidth())
        self.matches.setVisible(bool(found) and self.edit.hasFocus())
        self.searched.emit()

    def _choose_item(self, item: QListWidgetItem) -> None:
        self.matches.hide()
        self.choose(item.data(Qt.ItemDataRole.UserRole))

    # -- keyboard ---------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            return self._key(event.key())
        if watched is self.edit and event.type() == QEvent.Type.FocusOut:
            self.matches.hide()
        return super().eventFilter(watched, event)

    def _key(self, key: int) -> bool:
        count, row = self.matches.count(), self.matches.currentRow()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            if not self.matches.isVisible():
                if count:
                    self.matches.show()
                else:
                    self.search(self.edit.text())
                return True
            step = 1 if key == Qt.Key.Key_Down else -1
            self.matches.setCurrentRow(max(0, min(count - 1, row + step)))
            return True
        if key in _ENTER and self.matches.isVisible() and row >= 0:
            self._choose_item(self.matches.item(row))
            return True  # chose a match; the dialog is not submitted
        if key == Qt.Key.Key_Escape and self.matches.isVisible():
            self.matches.hide()
            return True
        return False


class CustomerPicker(_SearchPicker):
    """Type part of a name, email or id and choose; a pasted `cus_…` id works as it is."""

    chosen = Signal(object)  # CustomerChoice, or None when the text no longer names one

    def __init__(
        self,
        runner: TaskRunner,
        cache_path: Path,
        customer: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, cache_path, parent)
        self.edit.setPlaceholderText("Name, email or cus_… id")
        self.choice: CustomerChoice | None = None
        if customer:
            self.edit.setText(customer)
            self.search(customer)

    def customer_id(self) -> str:
        return self.choice.id if self.choice is not None else self.edit.text().strip()

    def make_query(self, text: str) -> Callable[[Any, threading.Event], list[CustomerChoice]]:
        return lambda conn, stop: find_customers(conn, text, cancelled=stop)

    def _edited(self, text: str) -> None:
        if self.choice is not None:
            self._set(None)
        super()._edited(text)

    def shown(self, choices: list[CustomerChoice]) -> None:
        text = self.edit.text().strip()
        if looks_like_customer_id(text) and choices and choices[0].id == text:
            self._set(choices[0])  # a pasted id: say whom it names

    def choose(self, choice: CustomerChoice) -> None:
        self.edit.setText(choice.title)
        self._set(choice)

    def _set(self, choice: CustomerChoice | None) -> None:
        self.choice = choice
        self.summary.setText(choice.label if choice else "")
        self.summary.setVisible(choice is not None)
        self.chosen.emit(choice)


class PricePicker(_SearchPicker):
    """Choose prices from the catalogue (active ones only), each with its quantity beside it;
    `single`: one price (choosing another replaces it)."""

    changed = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        cache_path: Path,
        parent: QWidget | None = None,
        *,
        single: bool = False,
    ) -> None:
        super().__init__(runner, cache_path, parent)
        self.single = single
        self.currency: str | None = None  # offer only prices in it (a customer's currency)
        self.edit.setPlaceholderText("Product or price name — Down lists the catalogue")
        self.chosen_grid = QGridLayout()
        self.layout_.addLayout(self.chosen_grid)
        self.rows: list[tuple[PriceChoice, QSpinBox, list[QWidget]]] = []

    def make_query(self, text: str) -> Callable[[Any, threading.Event], list[PriceChoice]]:
        taken = {choice.id for choice, _, _ in self.rows}
        currency = self.currency

        def query(conn: Any, stop: threading.Event) -> list[PriceChoice]:
            return [
                p
                for p in find_prices(conn, text)
                if p.id not in taken and (currency is None or p.currency == currency)
            ]

        return query

    def set_currency(self, currency: str | None) -> None:
        self.currency = currency.lower() if currency else None

    def preset(self, price_id: str, quantity: int) -> None:
        """Show `price_id` as chosen (a subscription's current price), read on the db lane."""
        path = self._path

        def read(control: TaskControl) -> list[PriceChoice]:
            if not path.exists():
                return []
            return [p for p in find_prices(reader(path), price_id) if p.id == price_id]

        def show(found: list[PriceChoice]) -> None:
            if found and not self.rows:
                self.choose(found[0], quantity, focus=False)
            self.searched.emit()

        self._runner.run(read, success=show, lane="db")

    def items(self) -> list[tuple[str, int]]:
        return [(choice.id, quantity.value()) for choice, quantity, _ in self.rows]

    def choose(self, choice: PriceChoice, count: int = 1, focus: bool = True) -> None:
        self.edit.clear()
        if self.single:
            for entry in list(self.rows):
                self._remove(entry, refocus=False)
        label = QLabel(choice.label)
        quantity = QSpinBox()
        quantity.setRange(1, 10000)
        quantity.setValue(count)
        quantity.setAccessibleName(f"Quantity of {choice.label}")
        remove = QPushButton("Remove")
        remove.setAutoDefault(False)
        widgets: list[QWidget] = [label, QLabel("×"), quantity, remove]
        entry = (choice, quantity, widgets)
        remove.clicked.connect(lambda: self._remove(entry))
        row = self.chosen_grid.rowCount()
        for column, widget in enumerate(widgets):
            self.chosen_grid.addWidget(widget, row, column)
            widget.show()  # now, not on the layout's next turn: a hidden widget takes no focus
        self.rows.append(entry)
        if focus:
            quantity.setFocus()
            quantity.selectAll()  # typing a digit replaces the 1
        self.changed.emit()

    def _remove(
        self, entry: tuple[PriceChoice, QSpinBox, list[QWidget]], refocus: bool = True
    ) -> None:
        self.rows.remove(entry)
        for widget in entry[2]:
            widget.hide()
            widget.deleteLater()
        if refocus:
            self.edit.setFocus()
        self.changed.emit()
