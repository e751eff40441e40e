"""The Collections tab: the queue of what is unpaid (core `reports.collections`), most urgent
first, with the invoice actions through the journal (retry the payment now, send again, mark
uncollectible, void) on one row or a selection, after one confirmation (typed in live mode)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from desk_billing.core.cache.reading import connect
from desk_billing.core.errors import DeskBillingError
from desk_billing.core.reports.collections import QueueItem, collections_queue
from desk_billing.core.reports.tables import Table, queue_table
from desk_billing.gui.tabs.report_page import ReportPage, RowsModel

ACTIONS = (
    ("pay", "Retry payment now"),
    ("send_invoice", "Send invoice again"),
    ("mark_uncollectible", "Mark uncollectible"),
    ("void_invoice", "Void"),
)


class CollectionsTab(ReportPage):
    title = "Collections"
    TABLES = ("invoices", "payment_intents", "subscriptions", "charges")

    def __init__(self, runner, cache_path, mode) -> None:
        super().__init__(runner, cache_path, mode)
        self.queue: list[QueueItem] = []
        self.model = RowsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel("Computing…")
        bar = QHBoxLayout()
        self.buttons = []
        for verb, text in ACTIONS:
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, v=verb, t=text: self.act(v, t))
            bar.addWidget(button)
            self.buttons.append(button)
        export = QPushButton("Export as CSV…")
        export.clicked.connect(self.export_csv)
        bar.addStretch(1)
        bar.addWidget(export)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

    def reload(self) -> None:
        path = self.cache_path

        def compute(control) -> list[QueueItem]:
            conn = connect(path)
            try:
                return collections_queue(conn, int(time.time()))
            finally:
                conn.close()

        self.runner.run(compute, success=self._show, error=self.error.emit, lane="db")

    def _show(self, queue: list[QueueItem]) -> None:
        self.queue = queue
        self.model.set_table(queue_table(queue))
        self.view.resizeColumnsToContents()
        kinds = {
            k: sum(1 for q in queue if q.kind == k)
            for k in ("invoice", "payment_intent", "subscription")
        }
        self.summary.setText(
            f"{len(queue)} to act on: {kinds['invoice']} invoices past due, "
            f"{kinds['payment_intent']} payments, {kinds['subscription']} subscriptions."
        )

    def selected(self) -> list[QueueItem]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.queue[r] for r in rows if r < len(self.queue)]

    def act(self, verb: str, text: str) -> None:
        invoices = [q for q in self.selected() if q.kind == "invoice"]
        if not invoices:
            self.message.emit("Select one or more invoices of the queue first.")
            return
        if not self._confirmed(text, invoices):
            return
        hub = getattr(self, "hub", None)
        if hub is None:
            return
        session = hub.session

        def run(control):
            from desk_billing.core.operations.invoices import act

            changed: dict[str, set[str]] = {}
            failures = []
            with session.journal() as journal:
                for item in invoices:
                    control.check()
                    try:
                        result = act(journal, item.id, verb)
                    except DeskBillingError as error:  # each invoice's own outcome, reported
                        failures.append(f"{item.id}: {error}")
                        continue
                    for table, ids in result.changed.items():
                        changed.setdefault(table, set()).update(ids)
            return {t: frozenset(i) for t, i in changed.items()}, failures

        def done(outcome) -> None:
            changed, failures = outcome
            hub.changed.emit(changed)
            ok = len(invoices) - len(failures)
            note = f" {len(failures)} failed: {'; '.join(failures[:3])}" if failures else ""
            self.message.emit(f"{text}: {ok} of {len(invoices)} done.{note}")

        self.runner.run(run, success=done, error=self.error.emit, lane="io")

    def _confirmed(self, text: str, items: list[QueueItem]) -> bool:
        question = f"{text}: {len(items)} invoice(s)?\n" + "\n".join(q.id for q in items[:10])
        if self.mode == "live":
            typed, ok = QInputDialog.getText(
                self, text, f"LIVE mode. {question}\n\nType {len(items)} to confirm:"
            )
            return ok and typed.strip() == str(len(items))
        answer = QMessageBox.question(self, text, question)
        return answer == QMessageBox.StandardButton.Yes

    def csv_tables(self) -> Sequence[tuple[str, Table]]:
        return [("queue", queue_table(self.queue))]
