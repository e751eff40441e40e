"""The Activity tab: recent events, failed payments of the last week first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from PySide6.QtWidgets import QComboBox, QHBoxLayout

from desk_billing.core.cache.lists import EVENTS, Filters, ListColumn
from desk_billing.gui import detail as d
from desk_billing.gui import formatting
from desk_billing.gui.tabs.base import ListTab


class ActivityTab(ListTab):
    title = "Activity"
    spec = EVENTS

    def extra_filters(self, bar: QHBoxLayout) -> None:
        self.category_box = QComboBox()
        self.category_box.addItems(list(EVENTS.categories))
        self.category_box.currentIndexChanged.connect(self.apply_query)
        bar.addWidget(self.category_box)

    def filters(self) -> Filters:
        return replace(super().filters(), category=self.category_box.currentText())

    def column_width(self, column: ListColumn) -> int:
        return 240 if column.key == "type" else super().column_width(column)

    def render_detail(self, table: str, object_id: str, detail: dict[str, Any]) -> str:
        event = detail["object"]
        if event is None:
            return d.missing(object_id)
        data = event.get("data") or {}
        obj = data.get("object") or {}
        changed = data.get("previous_attributes") or {}
        amount = obj.get("amount") if obj.get("amount") is not None else obj.get("total")
        summary = d.fields(
            [
                ("When", d.date(event)),
                ("Object", f"{d.text(obj, 'object')} {d.text(obj, 'id')}"),
                ("Status", d.status(obj.get("status")) if obj.get("status") else ""),
                (
                    "Amount",
                    d.amount({"a": amount, "currency": obj.get("currency")}, "a")
                    if amount is not None
                    else "",
                ),
                (
                    "Failure",
                    d.text(obj, "failure_message")
                    or d.text(obj.get("last_payment_error") or {}, "message"),
                ),
                ("Changed", d.text({"c": ", ".join(sorted(changed))}, "c")),
                ("API version", d.text(event, "api_version")),
                ("Dashboard", d.link(self.dashboard_url(), "Open in Stripe Dashboard")),
            ]
        )
        shown = {k: v for k, v in obj.items() if k != "client_secret"}  # lets a browser pay
        raw = orjson.dumps(shown, option=orjson.OPT_INDENT_2).decode()
        if len(raw) > 6000:
            raw = raw[:6000] + "\n…"
        return d.page(
            d.text(event, "type"),
            f"{d.text(event, 'id')} · {formatting.ago_text(event.get('created'))}",
            summary,
            f"<h3>Object as sent</h3><pre>{d.text({'r': raw}, 'r')}</pre>",
        )
