"""The Invoices tab: every invoice, its lines, payments and PDF."""

from __future__ import annotations

from typing import Any

from desk_billing.core.cache import queries
from desk_billing.core.cache.queries import ListColumn, ListSpec
from desk_billing.gui import detail as d
from desk_billing.gui.tabs.base import ListTab

SPEC = ListSpec(
    "invoices",
    (
        ListColumn("number", "Number", "t.number", sort_sql="coalesce(t.number, '')"),
        ListColumn("customer_name", "Customer", "coalesce(t.name, t.email, t.customer)"),
        ListColumn("status", "Status", "t.status", "status", sort_sql="t.status"),
        ListColumn("total", "Total", "t.total", "amount", sort_sql="coalesce(t.total, 0)"),
        ListColumn(
            "amount_remaining",
            "Due",
            "t.amount_remaining",
            "amount",
            sort_sql="coalesce(t.amount_remaining, 0)",
        ),
        ListColumn("currency", "Currency", "t.currency", sort_sql="coalesce(t.currency, '')"),
        ListColumn("created", "Created", "t.created", "date", sort_sql="t.created"),
        ListColumn(
            "due_date", "Due date", "t.due_date", "date", sort_sql="coalesce(t.due_date, 0)"
        ),
        ListColumn("id", "Id", "t.id", "id", sort_sql="t.id"),
    ),
)


class InvoicesTab(ListTab):
    title = "Invoices"
    spec = SPEC
    statuses = ("draft", "open", "paid", "uncollectible", "void")

    def extra_filters(self, bar: Any) -> None:
        from desk_billing.gui.pdf_preview import install_pdf_actions  # PDF buttons (issue 7)

        install_pdf_actions(self, bar)

    def load_detail(self, conn: Any, table: str, object_id: str) -> dict[str, Any]:
        return queries.invoice_detail(conn, object_id)

    def render_detail(self, table: str, object_id: str, detail: dict[str, Any]) -> str:
        invoice = detail["object"]
        if invoice is None:
            return d.missing(object_id)
        summary = d.fields(
            [
                ("Status", d.status(invoice.get("status"))),
                ("Customer", d.text(invoice, "customer_name") or d.text(invoice, "customer_email")),
                ("Customer id", d.text({"c": _id(invoice.get("customer"))}, "c")),
                ("Total", d.amount(invoice, "total")),
                ("Paid", d.amount(invoice, "amount_paid")),
                ("Remaining", d.amount(invoice, "amount_remaining")),
                ("Created", d.date(invoice)),
                ("Paid at", d.date(invoice.get("status_transitions") or {}, "paid_at")),
                ("Due", d.date(invoice, "due_date")),
                ("Collection", d.text(invoice, "collection_method").replace("_", " ")),
                ("PDF", d.link(invoice.get("invoice_pdf"), "Download PDF")),
                ("Hosted page", d.link(invoice.get("hosted_invoice_url"), "Open invoice page")),
                ("Dashboard", d.link(self.dashboard_url(), "Open in Stripe Dashboard")),
            ]
        )
        qty = ("Qty", lambda r: d.text(r, "quantity"))
        return d.page(
            f"Invoice {invoice.get('number') or object_id}",
            d.text(invoice, "id"),
            summary,
            d.table(
                "Lines",
                detail["lines"],
                [("Description", lambda r: d.text(r, "description")), qty, d.AMOUNT],
            ),
            d.table(
                "Payments (matched by customer, amount and date)"
                if detail.get("matched")
                else "Payments",
                detail["payments"],
                [d.CREATED, d.STATUS, d.AMOUNT, d.ID],
            ),
            d.metadata(invoice),
        )


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value
