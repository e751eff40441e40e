"""The Customers tab: everyone who pays, with their subscriptions, invoices, payments, refunds."""

from __future__ import annotations

from typing import Any

from desk_billing.core.cache.lists import CUSTOMERS
from desk_billing.gui import detail as d
from desk_billing.gui.actions import ActionHub, Selection, TabAction, always
from desk_billing.gui.refund_actions import check_refund_from_customer, refund_from_customer
from desk_billing.gui.tabs.base import ListTab


def _new(hub: ActionHub, selection: Selection | None) -> Any:
    from desk_billing.gui.dialogs.customer_edit import CustomerEditDialog

    return CustomerEditDialog(hub.runner, hub.session, None, hub.window)


def _edit(hub: ActionHub, selection: Selection | None) -> Any:
    from desk_billing.gui.dialogs.customer_edit import CustomerEditDialog

    assert selection is not None
    return CustomerEditDialog(hub.runner, hub.session, dict(selection.obj), hub.window)


def _delete(hub: ActionHub, selection: Selection | None) -> Any:
    from desk_billing.gui.dialogs.customer_edit import CustomerDeleteDialog

    assert selection is not None
    return CustomerDeleteDialog(hub.runner, hub.session, selection.id, hub.window)


def _new_invoice(hub: ActionHub, selection: Selection | None) -> Any:
    from desk_billing.gui.dialogs.new_invoice import NewInvoiceDialog

    customer = selection.id if selection is not None else ""  # else the picker asks whom
    dialog = NewInvoiceDialog(hub.runner, hub.session, customer, hub.window)
    if selection is not None and selection.obj.get("currency"):  # the customer's currency
        dialog.currency.setText(str(selection.obj["currency"]).upper())
    return dialog


def _new_subscription(hub: ActionHub, selection: Selection | None) -> Any:
    from desk_billing.gui.dialogs.new_subscription import NewSubscriptionDialog

    customer = selection.id if selection is not None else ""  # else the picker asks whom
    return NewSubscriptionDialog(hub.runner, hub.session, customer, hub.window)


ACTIONS = (
    TabAction("new-customer", "New customer…", "customer", _new, always, "Ctrl+N"),
    TabAction("edit-customer", "Edit…", "customer", _edit, shortcut="Ctrl+E"),
    TabAction(
        "delete-customer", "Delete…", "customer", _delete, shortcut="Delete",
        tip="Delete the customer for good (its subscriptions are canceled); the id is typed to confirm",
    ),
    TabAction(
        "new-invoice", "New invoice…", "invoice", _new_invoice, always, "Ctrl+I",
        tip="A one-off invoice for this customer",
    ),
    TabAction(
        "new-subscription", "New subscription…", "subscription", _new_subscription, always,
        "Ctrl+Shift+S",
    ),
    TabAction(
        "refund", "Refund…", "refund", refund_from_customer, check_refund_from_customer, "Ctrl+R",
        tip="Refund one of this customer's payments, in full or in part",
    ),
)  # fmt: skip


def _balance(customer: dict[str, Any]) -> str:
    """Stripe's sign: negative is credit the next invoice uses, positive is owed on it."""
    balance, currency = customer.get("balance") or 0, customer.get("currency")
    if not balance or not currency:
        return ""
    shown = d.amount({"a": abs(balance), "c": currency}, "a", "c")
    return f"{shown} credit" if balance < 0 else f"{shown} owed"


def _delinquent(customer: dict[str, Any]) -> str:
    if customer.get("delinquent"):
        return "yes: an invoice payment failed and is not settled"
    return ""


class CustomersTab(ListTab):
    title = "Customers"
    spec = CUSTOMERS

    def tab_actions(self) -> list[TabAction]:
        return list(ACTIONS)

    def render_detail(self, table: str, object_id: str, detail: dict[str, Any]) -> str:
        customer = detail["object"]
        if customer is None:
            return d.missing(object_id)
        address = customer.get("address") or {}
        place = ", ".join(str(v) for v in (address.get("city"), address.get("country")) if v)
        summary = d.fields(
            [
                ("Email", d.text(customer, "email")),
                ("Phone", d.text(customer, "phone")),
                ("Created", d.date(customer)),
                ("Currency", d.text({"c": (customer.get("currency") or "").upper()}, "c")),
                ("Balance", _balance(customer)),
                ("Location", d.text({"p": place}, "p")),
                ("Delinquent", _delinquent(customer)),
                ("Dashboard", d.link(self.dashboard_url(), "Open in Stripe Dashboard")),
            ]
        )
        product = ("Product", lambda r: d.text(r, "product_name") or d.text(r, "price"))
        renews = ("Period end", lambda r: d.date(r, "current_period_end"))
        number = ("Number", lambda r: d.text(r, "number") or d.text(r, "id"))
        due = ("Due", lambda r: d.amount(r, "amount_remaining"))
        total = ("Total", lambda r: d.amount(r, "total"))
        return d.page(
            customer.get("name") or customer.get("email") or object_id,
            d.text(customer, "id"),
            summary,
            d.table("Subscriptions", detail["subscriptions"], [product, d.STATUS, renews]),
            d.table("Invoices", detail["invoices"], [number, d.CREATED, d.STATUS, total, due]),
            d.table("Payments", detail["payments"], [d.CREATED, d.STATUS, d.AMOUNT, d.ID]),
            d.table(
                "Refunds",
                detail["refunds"],
                [d.CREATED, d.STATUS, d.AMOUNT, ("Reason", lambda r: d.text(r, "reason"))],
            ),
            d.metadata(customer),
        )
