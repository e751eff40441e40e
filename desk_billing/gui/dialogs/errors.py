"""The one error path of the GUI: expected errors as one sentence, unexpected ones with details."""

from __future__ import annotations

import logging

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desk_billing.core.logging import mask_secrets
from desk_billing.gui.tasks import TaskError

log = logging.getLogger(__name__)


def show_error(
    parent: QWidget | None, failure: TaskError, title: str = "desk-billing"
) -> QMessageBox:
    """A non-blocking message box; unexpected errors get a "Copy details" button."""
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    box.setText(mask_secrets(failure.message))
    if failure.expected:
        box.setIcon(QMessageBox.Icon.Warning)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setInformativeText(
            "The details are in the log file. Copy them when you report the problem."
        )
        details = mask_secrets(failure.details or repr(failure.error))
        box.setDetailedText(details)
        copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()  # keep the box open after copying
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
        box.addButton(QMessageBox.StandardButton.Close)
    box.setModal(False)
    box.show()
    return box
