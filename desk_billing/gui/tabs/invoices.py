"""The Invoices tab: every invoice, its lines, payments and PDF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desk_billing.core.cache.lists import INVOICES
from desk_billing.core.statuses import INVOICE_ACTIONS
from desk_billing.gui import detail as d
from desk_billing.gui import formatting
from desk_billing.gui.actions import (
    ActionHub,
    Selection,
    TabAction,
    action_dialog,
    always,
    live_id,
    needs_row,
    ref,
)
from desk_billing.gui.refund_actions import check_refund_from_detail, refund_from_detail
from desk_billing.gui.tabs.base import ListTab

if TYPE_CHECKING:
    from desk_billing.core.journal import OperationResult

ALLOWED = INVOICE_ACTIONS  # the statuses each verb is allowed in, as core checks them
# verb: (button, what the dialog asks, its OK button, what it leads to)
VERBS = {
    "finalize_invoice": ("Finalize", "Finalize", "Finalize", "It gets its number and can then be sent or paid; a finalized invoice cannot go back to draft."),
    "send_invoice": ("Send", "Email", "Send", "Stripe emails the invoice with its payment link to the customer."),
    "pay": ("Pay now", "Charge", "Pay now", "The customer's default payment method is charged now (a retry of a failed payment)."),
    "void_invoice": ("Void", "Void", "Void invoice", "A voided invoice can no longer be paid; this cannot be undone."),
    "mark_uncollectible": ("Mark uncollectible", "Mark", "Mark uncollectible", "It stays payable, but is written off in your reports as a bad debt."),
}  # fmt: skip


def _label(selection: Selection) -> str:
    obj = selection.obj
    amount = formatting.amount_text(obj.get("amount_remaining"), obj.get("currency"))
    return f"invoice {obj.get('number') or selection.id} of {obj.get('customer_name') or obj.get('customer_email') or ref(obj.get('customer'))} ({amount} due)"


def _check(verb: str):
    def check(selection: Selection | None) -> str | None:
        reason = needs_row(selection)
        if reason is not None:
            return reason
        assert selection is not None
        status = selection.status
        if status not in ALLOWED[verb]:
            allowed = " or ".join(ALLOWED[verb])
            article = "an" if allowed[0] in "aeiou" else "a"
            return f"{VERBS[verb][0]}: only {article} {allowed} invoice; this one is {formatting.status_text(status)}."
        if verb == "send_invoice" and selection.obj.get("collection_method") != "send_invoice":
            return "This invoice is charged automatically; there is nothing to email."
        if verb == "pay" and not selection.obj.get("amount_remaining"):
            return "Nothing is left to pay on this invoice."
        return None

    return check


def _act(verb: str):
    def open_(hub: ActionHub, selection: Selection | None) -> Any:
        assert selection is not None
        invoice_id = selection.id
        button, ask, ok_text, outcome = VERBS[verb]
        obj = selection.obj

        def live(_checked: Any) -> Any:
            from desk_billing.core.operations.confirm import LiveConfirmation

            if verb == "pay":  # money moves: type the amount
                return LiveConfirmation(
                    invoice_id, obj.get("amount_remaining"), obj.get("currency")
                )
            return (
                live_id(invoice_id)(None)
                if verb in ("void_invoice", "mark_uncollectible")
                else None
            )

        def work(journal: Any, _checked: Any) -> OperationResult:
            from desk_billing.core.operations.invoices import act

            return act(journal, invoice_id, verb)

        return action_dialog(
            hub,
            f"{button} {invoice_id}",
            f"{ask} {_label(selection)}? {outcome}",
            ok_text,
            work,
            live=live,
        )

    return open_


def _new_invoice(hub: ActionHub, selection: Selection | None) -> Any:
    from desk_billing.gui.dialogs.new_invoice import NewInvoiceDialog

    customer = ref(selection.obj.get("customer")) if selection is not None else ""
    dialog = NewInvoiceDialog(hub.runner, hub.session, customer or "", hub.window)
    if selection is not None and selection.obj.get("currency"):
        dialog.currency.setText(str(selection.obj["currency"]).upper())
    return dialog


def _check_refund(selection: Selection | None) -> str | None:
    reason = needs_row(selection)
    if reason is None and selection is not None and selection.status != "paid":
        return f"Only a paid invoice can be refunded; this one is {formatting.status_text(selection.status)}."
    return check_refund_from_detail(selection)


ACTIONS = (
    TabAction("new-invoice", "New invoice…", "invoice", _new_invoice, always, "Ctrl+N",
              tip="A one-off invoice (for the selected invoice's customer)"),
    *(TabAction(verb.replace("_invoice", "").replace("_", "-"), VERBS[verb][0], "invoice", _act(verb), _check(verb))
      for verb in VERBS),
    TabAction("refund", "Refund…", "refund", refund_from_detail, _check_refund, "Ctrl+R",
              tip="Refund the invoice's payment, in full or in part"),
)  # fmt: skip


# The invoice's InvoicePayments: when paid (else opened), their status, what they pay, and
# the payment intent behind each with its own status.
PAYMENT_COLUMNS = (
    ("Date", d.date),
    d.STATUS,
    d.AMOUNT,
    ("Payment intent", lambda r: d.text(r, "payment_intent")),
    ("Intent", lambda r: d.status(r["intent_status"]) if r.get("intent_status") else ""),
)


class InvoicesTab(ListTab):
    title = "Invoices"
    spec = INVOICES

    def tab_actions(self) -> list[TabAction]:
        return list(ACTIONS)

    def extra_filters(self, bar: Any) -> None:
        from desk_billing.gui.pdf_preview import install_pdf_actions  # PDF buttons (issue 7)

        install_pdf_actions(self, bar)

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
            d.table("Payments", detail["payments"], PAYMENT_COLUMNS),
            d.metadata(invoice),
        )


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value
