"""Export invoice PDFs of a period for the accountant: period, status, currency, customer, folder;
a progress bar with Cancel. The work is core.pdfs.export_invoices on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.errors import ValidationError
from desk_billing.core.pdfs import ExportProgress, ExportReport, ExportRequest, export_invoices
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

STATUS_CHOICES = (
    ("Paid", "paid"),
    ("Open", "open"),
    ("Uncollectible", "uncollectible"),
    ("Void", "void"),
    ("Any status (not drafts)", "all"),
)


def _last_month() -> tuple[QDate, QDate]:
    first_of_this = QDate.currentDate().addDays(1 - QDate.currentDate().day())
    return first_of_this.addMonths(-1), first_of_this.addDays(-1)


class PdfExportDialog(QDialog):
    """Choose what to export, watch it happen, cancel it; the folder keeps only whole files."""

    exported = Signal(object)  # ExportReport (also after a cancel)
    failed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        gateway: Callable[[], Any],
        parent: QWidget | None = None,
        *,
        customer: str = "",
        currencies: tuple[str, ...] = (),
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.gateway = gateway
        self._task = None
        self._last: ExportProgress | None = None
        self.setWindowTitle("Export invoice PDFs")

        start, end = _last_month()
        self.date_from = QDateEdit(start, calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.date_to = QDateEdit(end, calendarPopup=True, displayFormat="yyyy-MM-dd")
        period = QHBoxLayout()
        period.addWidget(self.date_from)
        period.addWidget(QLabel("to"))
        period.addWidget(self.date_to)
        self.status_box = QComboBox()
        for text, value in STATUS_CHOICES:
            self.status_box.addItem(text, value)
        self.currency_box = QComboBox()
        self.currency_box.addItem("Any currency", None)
        for code in currencies:
            self.currency_box.addItem(code.upper(), code.lower())
        self.customer_edit = QLineEdit(customer, placeholderText="Any customer (or cus_…)")
        self.folder_edit = QLineEdit(str(Path.home() / "Invoices"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        folder = QHBoxLayout()
        folder.addWidget(self.folder_edit, 1)
        folder.addWidget(browse)

        form = QFormLayout()
        form.addRow("Issued", period)
        form.addRow("Status", self.status_box)
        form.addRow("Currency", self.currency_box)
        form.addRow("Customer", self.customer_edit)
        form.addRow("Folder", folder)

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = QLabel(
            "Files are named <date>_<number>_<customer>.pdf, with index.csv; "
            "files already there and unchanged are not downloaded again."
        )
        self.message.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    @property
    def running(self) -> bool:
        return self._task is not None

    def request(self) -> ExportRequest:
        """The export the form describes; ValidationError with one sentence when it is wrong."""
        folder = self.folder_edit.text().strip()
        if not folder:
            raise ValidationError("Choose a folder to export into.")
        customer = self.customer_edit.text().strip()
        if customer and not customer.startswith("cus_"):
            raise ValidationError("A customer id starts with cus_.")
        return ExportRequest(
            folder=Path(folder).expanduser(),
            start=self.date_from.date().toPython(),
            end=self.date_to.date().toPython(),
            status=self.status_box.currentData(),
            currency=self.currency_box.currentData(),
            customer=customer or None,
        )

    @Slot()
    def start(self) -> None:
        try:
            request = self.request()
        except ValidationError as error:
            self._say(error.message)
            return
        gateway = self.gateway

        def work(control: TaskControl) -> ExportReport:
            return export_invoices(
                gateway(), request, progress=control.report, cancel=control.cancel_event
            )

        self._last = None
        self.progress.setRange(0, 0)  # busy until the list is known
        self.progress.setVisible(True)
        self.message.setText("Listing the invoices…")
        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self._task = self.runner.run(
            work, success=self._done, error=self._failed, progress=self._progress
        )
        self._task.finished.connect(self._finished)

    @Slot(object)
    def _progress(self, p: ExportProgress) -> None:
        self._last = p
        self.progress.setRange(0, max(p.total, 1))
        self.progress.setValue(p.done)
        self.message.setText(f"{p.done} of {p.total} · {p.current}")

    @Slot(object)
    def _done(self, report: ExportReport) -> None:
        self.progress.setRange(0, max(report.selected, 1))
        self.progress.setValue(report.selected)
        text = (
            f"{report.selected} invoices: {report.downloaded} downloaded, {report.skipped} "
            f"already there. index.csv lists {report.files_in_index} files in {report.folder}."
        )
        if report.failed:
            first = next(iter(report.failed.values()))
            text += (
                f" {len(report.failed)} could not be downloaded ({first}); export again to retry."
            )
        self.message.setText(text)
        self.exported.emit(report)

    @Slot(object)
    def _failed(self, failure: TaskError) -> None:
        self._say(failure.message)

    def _finished(self) -> None:
        task, self._task = self._task, None
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")
        if task is not None and task.cancelled:
            done = self._last.downloaded if self._last else 0
            self.message.setText(
                f"Cancelled. The {done} files downloaded are complete and listed in index.csv."
            )

    def _say(self, sentence: str) -> None:
        self.message.setText(sentence)
        self.failed.emit(sentence)

    @Slot()
    def _cancel_or_close(self) -> None:
        if self._task is not None:
            self.cancel_button.setEnabled(False)
            self.message.setText("Cancelling: finishing the files being written…")
            self._task.cancel()
            self._task.finished.connect(lambda: self.cancel_button.setEnabled(True))
        else:
            self.reject()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def done(self, result: int) -> None:  # closing the window cancels a running export
        if self._task is not None:
            self._task.cancel()
        super().done(result)
