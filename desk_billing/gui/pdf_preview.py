"""An invoice's PDF inside the app (Qt PDF): preview, save as, open with the system viewer.

The PDF is downloaded on the task runner into the app's preview folder (core.pdfs.fetch_preview,
which retrieves the invoice first for a fresh link); a draft shows Stripe's one sentence instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.pdfs import SavedPdf, copy_pdf, fetch_preview
from desk_billing.core.profiles import AppPaths
from desk_billing.gui.dialogs.pdf_export import PdfExportDialog
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner


class PdfPreviewDialog(QDialog):
    """Shows one invoice's PDF once it is downloaded."""

    loaded = Signal(str)  # path of the PDF shown
    failed = Signal(str)  # the sentence shown instead
    saved = Signal(str)  # where "Save as" wrote

    def __init__(
        self,
        runner: TaskRunner,
        gateway: Callable[[], Any],
        invoice_id: str,
        paths: AppPaths | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.gateway = gateway
        self.invoice_id = invoice_id
        self.paths = paths or AppPaths.from_env()
        self.path: Path | None = None
        self._task = None
        self.setWindowTitle(f"Invoice {invoice_id}")
        self.resize(760, 900)

        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.message = QLabel("Downloading the PDF…")
        self.message.setWordWrap(True)
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(self.ask_save)
        self.open_button = QPushButton("Open with system viewer")
        self.open_button.clicked.connect(self.open_external)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for button in (self.save_button, self.open_button):
            button.setEnabled(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.load()

    def load(self) -> None:
        gateway, invoice_id, paths = self.gateway, self.invoice_id, self.paths

        def fetch(control: TaskControl) -> SavedPdf:
            return fetch_preview(gateway(), invoice_id, paths, control.cancel_event)

        self._task = self.runner.run(fetch, success=self._show, error=self._failed)

    @Slot(object)
    def _show(self, saved: SavedPdf) -> None:
        if saved.path is None:
            self._say(saved.message)
            return
        error = self.document.load(str(saved.path))
        if error != QPdfDocument.Error.None_:
            self._say(f"The PDF of {self.invoice_id} could not be shown ({error.name}).")
            return
        self.path = saved.path
        if saved.number:
            self.setWindowTitle(f"Invoice {saved.number}")
        self.message.setText(f"{self.document.pageCount()} page(s) · {saved.path.name}")
        for button in (self.save_button, self.open_button):
            button.setEnabled(True)
        self.loaded.emit(str(saved.path))

    @Slot(object)
    def _failed(self, failure: TaskError) -> None:
        self._say(failure.message)

    def _say(self, sentence: str) -> None:
        self.message.setText(sentence)
        self.failed.emit(sentence)

    def ask_save(self) -> None:
        if self.path is None:
            return
        target, _ = QFileDialog.getSaveFileName(
            self, "Save invoice PDF", str(Path.home() / self.path.name), "PDF files (*.pdf)"
        )
        if target:
            self.save_to(Path(target))

    def save_to(self, target: Path) -> None:
        """Copy the PDF to `target` on a worker (file work stays off the GUI thread)."""
        source = self.path
        if source is None:
            return

        def copy(_control: TaskControl) -> str:
            return str(copy_pdf(source, target))

        def done(path: str) -> None:
            self.message.setText(f"Saved to {path}")
            self.saved.emit(path)

        self.runner.run(copy, success=done, error=self._failed)

    def open_external(self) -> None:
        if self.path is not None and not QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(self.path))
        ):
            self._say("No program to open PDF files was found; use Save as instead.")

    def done(self, result: int) -> None:  # closing cancels a download still running
        if self._task is not None:
            self._task.cancel()
        self.document.close()
        super().done(result)


def _gateway_of(widget: QWidget) -> Callable[[], Any] | None:
    """The open account's gateway opener (`AccountSession.gateway`: built once, on a worker)."""
    session = getattr(widget.window(), "session", None)
    return getattr(session, "gateway", None)


def install_pdf_actions(tab: Any, bar: QHBoxLayout) -> None:
    """The Invoices tab's PDF buttons: preview the selected invoice, export a period's PDFs."""

    def preview() -> None:
        gateway, invoice_id = _gateway_of(tab), tab.selected_id()
        if gateway is None or invoice_id is None:
            tab.message.emit("Select an invoice to see its PDF.")
            return
        dialog = PdfPreviewDialog(tab.runner, gateway, invoice_id, parent=tab)
        dialog.setObjectName("pdf-preview")
        dialog.show()

    def export() -> None:
        gateway = _gateway_of(tab)
        if gateway is None:
            return
        customer = tab.customer_edit.text().strip() if hasattr(tab, "customer_edit") else ""
        dialog = PdfExportDialog(tab.runner, gateway, tab, customer=customer)
        dialog.setObjectName("pdf-export")
        dialog.show()

    preview_button = QPushButton("PDF")
    preview_button.setToolTip("Preview the selected invoice's PDF; save it or open it elsewhere")
    preview_button.clicked.connect(preview)
    export_button = QPushButton("Export PDFs…")
    export_button.setToolTip("Download the PDFs of a period's invoices with an index.csv")
    export_button.clicked.connect(export)
    bar.addWidget(preview_button)
    bar.addWidget(export_button)
    tab.pdf_preview_button, tab.pdf_export_button = preview_button, export_button
