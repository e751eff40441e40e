"""The Overview tab (first tab): MRR per currency and its 12-month trend, the month's
movements, revenue, refunds by reason, failed payments, counts and top customers (issue 15).
Everything is computed in core (`reports.overview`) on the "db" lane and shown here."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from desk_billing.core.cache.reading import connect
from desk_billing.core.money import format_amount, to_decimal
from desk_billing.core.reports.overview import Overview, overview
from desk_billing.core.reports.tables import (
    Table,
    per_currency_table,
    refunds_table,
    revenue_table,
    top_customers_table,
)
from desk_billing.gui.tabs.report_page import ReportPage, RowsModel

_LABELS = {"active": "Active", "trialing": "Trialing", "past_due": "Past due"}


class OverviewTab(ReportPage):
    title = "Overview"
    TABLES = ("subscriptions", "invoices", "charges", "refunds", "credit_notes", "events")

    def __init__(self, runner, cache_path, mode) -> None:
        super().__init__(runner, cache_path, mode)
        self.data: Overview | None = None
        self.figures = QLabel("Computing…")
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.figures.setWordWrap(True)
        self.currency = QComboBox()
        self.currency.currentTextChanged.connect(self._draw_chart)
        self.chart = QChart()
        self.chart.setTitle("MRR, last 12 months")
        self.chart.legend().hide()
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(230)
        save_png = QPushButton("Export chart as PNG…")
        save_png.clicked.connect(self.export_png)
        save_csv = QPushButton("Export data as CSV…")
        save_csv.clicked.connect(self.export_csv)
        self.models = {name: RowsModel(self) for name in ("movements", "revenue", "refunds", "top")}

        top = QHBoxLayout()
        top.addWidget(self.figures, 1)
        controls = QVBoxLayout()
        controls.addWidget(QLabel("Currency"))
        controls.addWidget(self.currency)
        controls.addWidget(save_png)
        controls.addWidget(save_csv)
        controls.addStretch(1)
        top.addLayout(controls)
        grid = QGridLayout()
        grid.addWidget(self.chart_view, 0, 0)
        titles = {"movements": "This month's MRR movements", "revenue": "Revenue per month (net)",
                  "refunds": "Refunds by reason", "top": "Top customers, last 12 months"}  # fmt: skip
        for n, (name, model) in enumerate(self.models.items(), start=1):
            box = QGroupBox(titles[name])
            view = QTableView()
            view.setModel(model)
            view.verticalHeader().hide()
            view.horizontalHeader().setStretchLastSection(True)
            inner = QVBoxLayout(box)
            inner.addWidget(view)
            grid.addWidget(box, n // 2, n % 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)

    def reload(self) -> None:
        path = self.cache_path

        def compute(control) -> Overview:
            conn = connect(path)
            try:
                return overview(conn, int(time.time()))
            finally:
                conn.close()

        self.runner.run(compute, success=self._show, error=self.error.emit, lane="db")

    def _show(self, data: Overview) -> None:
        self.data = data
        mrr = (
            ", ".join(f"<b>{format_amount(v, c)}</b> {c.upper()}" for c, v in data.mrr.mrr.items())
            or "none yet"
        )
        counts = " · ".join(f"{_LABELS[k]} <b>{v}</b>" for k, v in data.counts.items())
        failed = (
            ", ".join(
                f"<b>{f.count}</b> ({format_amount(f.amount, f.currency)})" for f in data.failed
            )
            or "<b>0</b>"
        )
        self.figures.setText(
            f"<span style='font-size:15pt'>MRR {mrr}</span><br>Subscriptions: {counts}<br>"
            f"Failed payments this month: {failed}"
        )
        self.models["movements"].set_table(self._movements_table())
        self.models["revenue"].set_table(revenue_table(reversed(data.revenue)))
        self.models["refunds"].set_table(refunds_table(reversed(data.refunds)))
        self.models["top"].set_table(top_customers_table(data.top_customers))
        currencies = sorted({c for p in data.trend for c in p.mrr})
        current = self.currency.currentText()
        with contextlib.ExitStack():
            self.currency.blockSignals(True)
            self.currency.clear()
            self.currency.addItems([c.upper() for c in currencies])
            if current in [c.upper() for c in currencies]:
                self.currency.setCurrentText(current)
            self.currency.blockSignals(False)
        self._draw_chart(self.currency.currentText())

    def _movements_table(self) -> Table:
        assert self.data is not None
        rows = [
            (kind, currency, amount)
            for kind, move in self.data.movements.items()
            for currency, amount in move.amount.items()
        ]
        return per_currency_table(("movement", "currency", "mrr"), rows)

    def _trend_table(self) -> Table:
        assert self.data is not None
        rows = [(p.month, c, v) for p in self.data.trend for c, v in p.mrr.items()]
        return per_currency_table(("month", "currency", "mrr"), rows)

    def _draw_chart(self, currency_text: str) -> None:
        if self.data is None:
            return
        currency = currency_text.lower()
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        bars = QBarSet(f"MRR {currency_text}")
        values = [
            float(to_decimal(p.mrr.get(currency, 0), currency or "usd")) for p in self.data.trend
        ]
        bars.append(values)
        series = QBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        months = QBarCategoryAxis()
        months.append([p.month[2:] for p in self.data.trend])
        amounts = QValueAxis()
        amounts.setRange(0, max(values or [0]) * 1.1 or 1)
        amounts.setLabelFormat("%.0f")
        self.chart.addAxis(months, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(amounts, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(months)
        series.attachAxis(amounts)
        self.chart.setTitle(f"MRR in {currency_text}, last 12 months")

    def export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the chart", "mrr.png", "PNG (*.png)")
        if path:
            self.chart_view.grab().save(path, "PNG")
            self.message.emit(f"Saved the chart to {path}.")

    def csv_tables(self) -> Sequence[tuple[str, Table]]:
        if self.data is None:
            return []
        return [("mrr-trend", self._trend_table()), ("movements", self._movements_table()),
                *((name, m.table()) for name, m in self.models.items() if name != "movements")]  # fmt: skip
