"""The Subscriptions tab: recurring revenue, its items, period and next invoice."""

from __future__ import annotations

from typing import Any

from desk_billing.core.cache import queries
from desk_billing.core.cache.queries import ListColumn, ListSpec
from desk_billing.gui import detail as d
from desk_billing.gui.tabs.base import ListTab

SPEC = ListSpec(
    "subscriptions",
    (
        ListColumn(
            "customer_email",
            "Customer",
            "(SELECT coalesce(c.name, c.email) FROM customers c WHERE c.id = t.customer)",
        ),
        ListColumn(
            "product_name", "Product", "(SELECT p.name FROM products p WHERE p.id = t.product)"
        ),
        ListColumn("status", "Status", "t.status", "status", sort_sql="t.status"),
        ListColumn(
            "unit_amount",
            "Price",
            "(SELECT p.unit_amount FROM prices p WHERE p.id = t.price)",
            "amount",
        ),
        ListColumn("interval", "Every", "(SELECT p.interval FROM prices p WHERE p.id = t.price)"),
        ListColumn("currency", "Currency", "t.currency", sort_sql="coalesce(t.currency, '')"),
        ListColumn(
            "current_period_end",
            "Renews",
            "t.current_period_end",
            "date",
            sort_sql="coalesce(t.current_period_end, 0)",
        ),
        ListColumn("created", "Created", "t.created", "date", sort_sql="t.created"),
        ListColumn("id", "Id", "t.id", "id", sort_sql="t.id"),
    ),
)


class SubscriptionsTab(ListTab):
    title = "Subscriptions"
    spec = SPEC
    statuses = ("active", "trialing", "past_due", "unpaid", "paused", "incomplete", "canceled")

    def load_detail(self, conn: Any, table: str, object_id: str) -> dict[str, Any]:
        return queries.subscription_detail(conn, object_id)

    def render_detail(self, table: str, object_id: str, detail: dict[str, Any]) -> str:
        sub = detail["object"]
        if sub is None:
            return d.missing(object_id)
        items = detail["items"]
        start = sub.get("current_period_start") or (
            items[0].get("current_period_start") if items else None
        )
        end = sub.get("current_period_end") or (
            items[0].get("current_period_end") if items else None
        )
        currency = sub.get("currency") or (items[0].get("currency") if items else None)
        next_total = sum((i.get("unit_amount") or 0) * (i.get("quantity") or 1) for i in items)
        live = sub.get("status") in ("active", "trialing", "past_due") and not sub.get(
            "cancel_at_period_end"
        )
        next_invoice = (
            f"{d.date({'e': end}, 'e')} — about {d.amount({'a': next_total, 'currency': currency}, 'a')}"
            if live and end
            else ("none: cancels at period end" if sub.get("cancel_at_period_end") else "none")
        )
        customer = sub.get("customer")
        summary = d.fields(
            [
                ("Status", d.status(sub.get("status"))),
                (
                    "Customer",
                    d.text(
                        {"c": customer.get("id") if isinstance(customer, dict) else customer}, "c"
                    ),
                ),
                (
                    "Current period",
                    f"{d.date({'s': start}, 's')} → {d.date({'e': end}, 'e')}" if start else "",
                ),
                ("Next invoice", next_invoice),
                ("Created", d.date(sub)),
                ("Canceled", d.date(sub, "canceled_at")),
                ("Dashboard", d.link(self.dashboard_url(), "Open in Stripe Dashboard")),
            ]
        )
        unit = ("Unit price", lambda r: d.amount(r, "unit_amount"))
        every = ("Every", lambda r: d.text(r, "interval"))
        number = ("Number", lambda r: d.text(r, "number") or d.text(r, "id"))
        return d.page(
            " · ".join(
                x
                for x in (", ".join(i["product"] or "" for i in items), detail.get("customer_name"))
                if x
            )
            or "Subscription",
            d.text(sub, "id"),
            summary,
            d.table(
                "Items",
                items,
                [
                    ("Product", lambda r: d.text(r, "product")),
                    ("Qty", lambda r: d.text(r, "quantity")),
                    unit,
                    every,
                ],
            ),
            d.table(
                "Invoices",
                detail["invoices"],
                [number, d.CREATED, d.STATUS, ("Total", lambda r: d.amount(r, "total"))],
            ),
            d.metadata(sub),
        )
