"""How every dialog meets the keyboard: it opens with its first field focused, Enter presses
only the default button (and only while it is enabled: a form still loading or refused keeps
its input), never Cancel or another button that happens to hold the focus; Esc cancels (QDialog).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDialog, QLayout, QPushButton, QWidget


def takes_focus(widget: QWidget) -> bool:
    target = widget.focusProxy() or widget
    return (
        bool(target.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and target.isEnabled()
        and not target.isHidden()
    )


def first_input(layout: QLayout) -> QWidget | None:
    """The first widget in `layout` (in reading order, nested layouts included) that takes focus."""
    for index in range(layout.count()):
        item = layout.itemAt(index)
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            if takes_focus(widget):
                return widget
            found = first_input(widget.layout()) if widget.layout() is not None else None
        else:
            found = first_input(inner) if inner is not None else None
        if found is not None:
            return found
    return None


def only_default_on_enter(dialog: QDialog, default: QPushButton | None) -> None:
    """Enter presses `default`; no other push button becomes the default by taking the focus."""
    for button in dialog.findChildren(QPushButton):
        button.setAutoDefault(False)
        button.setDefault(False)
    if default is not None:
        default.setDefault(True)


class FocusOnShow(QObject):
    """Focuses `first()` each time the dialog is shown (a field, not the first button made)."""

    def __init__(self, dialog: QDialog, first) -> None:
        super().__init__(dialog)
        self._first = first
        dialog.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Show:
            widget = self._first()
            if widget is not None:
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return False


def keyboard_ready(
    dialog: QDialog, default: QPushButton | None, first: QWidget | None = None
) -> None:
    """Call once the dialog's widgets exist: its default button and its first field on open."""
    only_default_on_enter(dialog, default)
    layout = dialog.layout()
    FocusOnShow(dialog, lambda: first or (first_input(layout) if layout is not None else None))
