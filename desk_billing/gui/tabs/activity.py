"""The Activity tab: recent events, failed payments of the last week first."""

from __future__ import annotations

from typing import Any

import orjson
from PySide6.QtWidgets import QComboBox, QHBoxLayout

from desk_billing.core.cache import queries
from desk_billing.core.cache.queries import ListColumn, ListSpec
from desk_billing.gui import detail as d
from desk_billing.gui import formatting
from desk_billing.gui.tabs.base import ListTab

FAILED_TYPES = ("charge.failed", "payment_intent.payment_failed", "invoice.payment_failed")
_FAILED_SQL = "t.type IN ({})".format(", ".join(f"'{t}'" for t in FAILED_TYPES))
# Only recent failures jump the queue: last month's failure is history, not a to-do.
PINNED = f"({_FAILED_SQL} AND t.created >= CAST(strftime('%s', 'now') AS INTEGER) - 7 * 86400)"

SPEC = ListSpec(
    "events",
    (
        ListColumn("created", "When", "t.created", "date", sort_sql="t.created"),
        ListColumn("type", "Event", "t.type", sort_sql="coalesce(t.type, '')"),
        ListColumn("failed", "Failed", f"CASE WHEN {_FAILED_SQL} THEN 'failed' END", "status"),
        ListColumn(
            "object_type", "Object", "t.object_type", sort_sql="coalesce(t.object_type, '')"
        ),
        ListColumn(
            "object_id", "Object id", "t.object_id", "id", sort_sql="coalesce(t.object_id, '')"
        ),
        ListColumn("id", "Id", "t.id", "id", sort_sql="t.id"),
    ),
    search="like",
    like_columns=("type", "object_id", "id"),
    pinned_sort=PINNED,
)
CATEGORIES = {
    "All events": None,
    "Failed payments": (_FAILED_SQL, ()),
    "Payments": ("t.type LIKE 'payment_intent.%' OR t.type LIKE 'charge.%'", ()),
    "Refunds": ("t.type LIKE 'refund.%' OR t.type = 'charge.refunded'", ()),
    "Invoices": ("t.type LIKE 'invoice.%'", ()),
    "Subscriptions": ("t.type LIKE 'customer.subscription.%'", ()),
    "Customers": ("t.type LIKE 'customer.%' AND t.type NOT LIKE 'customer.subscription.%'", ()),
}


class ActivityTab(ListTab):
    title = "Activity"
    spec = SPEC
    currency_filter = False
    customer_filter = False

    def extra_filters(self, bar: QHBoxLayout) -> None:
        self.category_box = QComboBox()
        self.category_box.addItems(list(CATEGORIES))
        self.category_box.currentIndexChanged.connect(self.apply_query)
        bar.addWidget(self.category_box)

    def filters(self) -> list[tuple[str, tuple[Any, ...]]]:
        category = CATEGORIES[self.category_box.currentText()]
        return super().filters() + ([category] if category else [])

    def column_width(self, column: queries.ListColumn) -> int:
        return 240 if column.key == "type" else super().column_width(column)

    def load_detail(self, conn: Any, table: str, object_id: str) -> dict[str, Any]:
        return queries.event_detail(conn, object_id)

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
