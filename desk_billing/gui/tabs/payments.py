"""The Payments & Refunds tab: payment intents, their charges and refunds (one list at a time)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout

from desk_billing.core.cache import queries
from desk_billing.core.cache.queries import ListColumn, ListSpec
from desk_billing.gui import detail as d
from desk_billing.gui.tabs.base import ListTab

_CUSTOMER = "(SELECT coalesce(c.name, c.email) FROM customers c WHERE c.id = t.customer)"

PAYMENTS = ListSpec(
    "payment_intents",
    (
        ListColumn("created", "Created", "t.created", "date", sort_sql="t.created"),
        ListColumn("amount", "Amount", "t.amount", "amount", sort_sql="coalesce(t.amount, 0)"),
        ListColumn("currency", "Currency", "t.currency", sort_sql="coalesce(t.currency, '')"),
        ListColumn("status", "Status", "t.status", "status", sort_sql="t.status"),
        ListColumn("customer", "Customer", f"coalesce({_CUSTOMER}, t.email, t.customer)"),
        ListColumn(
            "description", "Description", "t.description", sort_sql="coalesce(t.description, '')"
        ),
        ListColumn("id", "Id", "t.id", "id", sort_sql="t.id"),
    ),
)
CHARGES = ListSpec(
    "charges",
    (
        ListColumn("created", "Created", "t.created", "date", sort_sql="t.created"),
        ListColumn("amount", "Amount", "t.amount", "amount", sort_sql="coalesce(t.amount, 0)"),
        ListColumn(
            "amount_refunded",
            "Refunded",
            "t.amount_refunded",
            "amount",
            sort_sql="coalesce(t.amount_refunded, 0)",
        ),
        ListColumn("currency", "Currency", "t.currency", sort_sql="coalesce(t.currency, '')"),
        ListColumn("status", "Status", "t.status", "status", sort_sql="t.status"),
        ListColumn("customer", "Customer", f"coalesce(t.name, t.email, {_CUSTOMER}, t.customer)"),
        ListColumn(
            "description", "Description", "t.description", sort_sql="coalesce(t.description, '')"
        ),
        ListColumn("id", "Id", "t.id", "id", sort_sql="t.id"),
    ),
)
REFUNDS = ListSpec(
    "refunds",
    (
        ListColumn("created", "Created", "t.created", "date", sort_sql="t.created"),
        ListColumn("amount", "Amount", "t.amount", "amount", sort_sql="coalesce(t.amount, 0)"),
        ListColumn("currency", "Currency", "t.currency", sort_sql="coalesce(t.currency, '')"),
        ListColumn("status", "Status", "t.status", "status", sort_sql="t.status"),
        ListColumn("reason", "Reason", "t.reason", sort_sql="coalesce(t.reason, '')"),
        ListColumn("charge", "Charge", "t.charge", "id"),
        ListColumn("id", "Id", "t.id", "id", sort_sql="t.id"),
    ),
)
KINDS = {
    "Payments": (
        PAYMENTS,
        (
            "succeeded",
            "processing",
            "requires_payment_method",
            "requires_action",
            "requires_capture",
            "canceled",
        ),
    ),
    "Charges": (CHARGES, ("succeeded", "pending", "failed")),
    "Refunds": (REFUNDS, ("succeeded", "pending", "failed", "canceled", "requires_action")),
}


class PaymentsTab(ListTab):
    title = "Payments && Refunds"
    spec = PAYMENTS
    statuses = KINDS["Payments"][1]

    def extra_filters(self, bar: QHBoxLayout) -> None:
        self.kind_box = QComboBox()
        self.kind_box.addItems(list(KINDS))
        self.kind_box.setToolTip("Which list to show")
        self.kind_box.currentTextChanged.connect(self.show_kind)
        bar.addWidget(self.kind_box)
        self._models = {}

    def show_kind(self, kind: str) -> None:
        """Switch between payments, charges and refunds; each keeps its own model."""
        spec, statuses = KINDS[kind]
        if spec.table not in self._models:
            self._models[PAYMENTS.table] = self._models.get(PAYMENTS.table, self.model)
            self._models[spec.table] = self._make_model(spec)
        self.model = self._models[spec.table]
        self.view.setModel(self.model)
        self._connect_selection()
        header = self.view.horizontalHeader()
        for i, column in enumerate(spec.columns):
            header.resizeSection(i, self.column_width(column))
        header.setSortIndicator(
            spec.index_of(self.model.query.sort or spec.default_sort), header.sortIndicatorOrder()
        )
        self.status_box.blockSignals(True)
        self.status_box.clear()
        self.status_box.addItem("Any status", None)
        for status in statuses:
            self.status_box.addItem(
                d.text({"s": status}, "s").replace("_", " ").capitalize(), status
            )
        self.status_box.blockSignals(False)
        if self.activated:
            self.apply_query()

    def refresh(self, changed: Any) -> None:
        current = self.model
        for model in {*self._models.values(), current}:
            if model is not current and model.rowCount():
                model.refresh(changed)
        super().refresh(changed)

    def filters(self) -> list[tuple[str, tuple[Any, ...]]]:
        result = super().filters()
        if self.model.spec is REFUNDS:  # refunds know their charge, not their customer
            result = [
                ("t.charge IN (SELECT id FROM charges WHERE customer = ?)", f[1])
                if f[0] == "t.customer = ?"
                else f
                for f in result
            ]
        return result

    def load_detail(self, conn: Any, table: str, object_id: str) -> dict[str, Any]:
        return queries.payment_detail(conn, table, object_id)

    def render_detail(self, table: str, object_id: str, detail: dict[str, Any]) -> str:
        obj = detail["object"]
        if obj is None:
            return d.missing(object_id)
        kind = {"payment_intents": "Payment", "charges": "Charge", "refunds": "Refund"}[table]
        error = obj.get("last_payment_error") or {}
        outcome = obj.get("outcome") or {}
        customer = obj.get("customer")
        summary = d.fields(
            [
                ("Status", d.status(obj.get("status"))),
                ("Amount", d.amount(obj)),
                ("Received", d.amount(obj, "amount_received")),
                ("Refunded", d.amount(obj, "amount_refunded")),
                (
                    "Customer",
                    d.text(
                        {"c": customer.get("id") if isinstance(customer, dict) else customer}, "c"
                    ),
                ),
                ("Description", d.text(obj, "description")),
                ("Reason", d.text(obj, "reason")),
                ("Failure", d.text(obj, "failure_message") or d.text(error, "message")),
                ("Outcome", d.text(outcome, "seller_message")),
                ("Payment", d.text(detail, "payment_intent") if table != "payment_intents" else ""),
                ("Created", d.date(obj)),
                ("Receipt", d.link(obj.get("receipt_url"), "Open receipt")),
                ("Dashboard", d.link(self.dashboard_url(), "Open in Stripe Dashboard")),
            ]
        )
        refunded = ("Refunded", lambda r: d.amount(r, "amount_refunded"))
        return d.page(
            f"{kind} {d.amount(obj)}",
            d.text(obj, "id"),
            summary,
            d.table("Charges", detail["charges"], [d.CREATED, d.STATUS, d.AMOUNT, refunded, d.ID]),
            d.table(
                "Refunds",
                detail["refunds"],
                [d.CREATED, d.STATUS, d.AMOUNT, ("Reason", lambda r: d.text(r, "reason"))],
            ),
            d.metadata(obj),
        )
