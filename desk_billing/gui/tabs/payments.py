"""The Payments & Refunds tab: payment intents, their charges and refunds (one list at a time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit

from desk_billing.core.cache.lists import PAYMENT_KINDS, PAYMENTS
from desk_billing.core.statuses import PAYMENT_CANCELABLE
from desk_billing.gui import detail as d
from desk_billing.gui import formatting
from desk_billing.gui.actions import (
    ActionHub,
    Selection,
    TabAction,
    action_dialog,
    live_id,
    needs_row,
)
from desk_billing.gui.refund_actions import open_refund
from desk_billing.gui.tabs.base import ListTab

if TYPE_CHECKING:
    from desk_billing.core.journal import OperationResult

CANCELABLE = PAYMENT_CANCELABLE
CANCEL_REASONS = {
    "": "No reason given",
    "requested_by_customer": "Requested by customer",
    "duplicate": "Duplicate",
    "fraudulent": "Fraudulent",
    "abandoned": "Abandoned",
}
PROCESSING = (
    "Still processing: a SEPA Direct Debit settles after a few business days; "
    "refund it once it has succeeded."
)


def _method(obj: Any) -> str:
    """How the payment is made: the charge's method, else what the payment accepts."""
    details = obj.get("payment_method_details") or {}
    kinds = (
        [details["type"]] if details.get("type") else list(obj.get("payment_method_types") or [])
    )
    names = {
        "sepa_debit": "SEPA Direct Debit",
        "card": "card",
        "us_bank_account": "US bank account",
    }
    return ", ".join(names.get(k, k.replace("_", " ")) for k in kinds)


def _check_refund(selection: Selection | None) -> str | None:
    reason = needs_row(selection)
    if reason is not None or selection is None:
        return reason
    obj, status = selection.obj, selection.status
    if selection.table == "refunds":
        return "Select a payment or a charge to refund."
    if status in ("processing", "pending"):
        return PROCESSING
    if status != "succeeded":
        return f"Only a successful payment can be refunded; this one is {formatting.status_text(status)}."
    if selection.table == "charges":
        if not obj.get("captured"):
            return "This charge was never captured; cancel the payment instead."
        if (obj.get("amount_refunded") or 0) >= (
            obj.get("amount_captured") or obj.get("amount") or 0
        ):
            return "This charge has been fully refunded."
    return None


def _refund(hub: ActionHub, selection: Selection | None) -> Any:
    assert selection is not None
    return open_refund(hub, selection.id)


def _uncaptured(statuses: tuple[str, ...], what: str):
    def check(selection: Selection | None) -> str | None:
        reason = needs_row(selection)
        if reason is not None or selection is None:
            return reason
        if selection.table != "payment_intents":
            return "Choose Payments in the list selector: this acts on a payment."
        if selection.status not in statuses:
            return f"{what}; this one is {formatting.status_text(selection.status)}."
        return None

    return check


def _capture(hub: ActionHub, selection: Selection | None) -> Any:
    assert selection is not None
    obj, pi_id = selection.obj, selection.id
    currency = str(obj.get("currency") or "")
    capturable = obj.get("amount_capturable") or obj.get("amount")
    amount = QLineEdit()
    amount.setPlaceholderText(f"{formatting.amount_text(capturable, currency)} (all of it)")

    def read() -> int:
        from desk_billing.core.money import parse_amount

        text = amount.text().strip()
        return int(capturable or 0) if not text else parse_amount(text, currency)

    def live(checked: int) -> Any:
        from desk_billing.core.operations.confirm import LiveConfirmation

        return LiveConfirmation(pi_id, checked, currency)

    def work(journal: Any, checked: int) -> OperationResult:
        from desk_billing.core.money import to_decimal
        from desk_billing.core.operations.payments import capture

        return capture(journal, pi_id, str(to_decimal(checked, currency)))

    return action_dialog(
        hub, f"Capture {pi_id}",
        f"Capture the authorised {formatting.amount_text(capturable, currency)} of {pi_id}, or part of it "
        "(the rest is released to the customer).",
        "Capture", work, live=live, read=read, fields=[("Amount", amount)],
    )  # fmt: skip


def _cancel(hub: ActionHub, selection: Selection | None) -> Any:
    assert selection is not None
    obj, pi_id = selection.obj, selection.id
    reason = QComboBox()
    for value, label in CANCEL_REASONS.items():
        reason.addItem(label, value)

    def work(journal: Any, checked: str) -> OperationResult:
        from desk_billing.core.operations.payments import cancel

        return cancel(journal, pi_id, checked or None)

    return action_dialog(
        hub, f"Cancel {pi_id}",
        f"Cancel the payment of {formatting.amount_text(obj.get('amount'), obj.get('currency'))} ({pi_id})? "
        "Nothing is charged and any authorisation is released; this cannot be undone.",
        "Cancel payment", work, live=live_id(pi_id), read=reason.currentData,
        fields=[("Reason", reason)],
    )  # fmt: skip


ACTIONS = (
    TabAction("refund", "Refund…", "refund", _refund, _check_refund, "Ctrl+R",
              tip="Refund the payment, in full or in part"),
    TabAction("capture", "Capture…", "payment_intent", _capture,
              _uncaptured(("requires_capture",), "Only an authorised, uncaptured payment can be captured")),
    TabAction("cancel-payment", "Cancel payment…", "payment_intent", _cancel,
              _uncaptured(CANCELABLE, "Only a payment that has not gone through can be canceled")),
)  # fmt: skip


class PaymentsTab(ListTab):
    title = "Payments && Refunds"
    spec = PAYMENTS

    def tab_actions(self) -> list[TabAction]:
        return list(ACTIONS)

    def extra_filters(self, bar: QHBoxLayout) -> None:
        self.kind_box = QComboBox()
        self.kind_box.addItems(list(PAYMENT_KINDS))
        self.kind_box.setToolTip("Which list to show")
        self.kind_box.currentTextChanged.connect(self.show_kind)
        bar.addWidget(self.kind_box)
        self._models = {}

    def show_kind(self, kind: str) -> None:
        """Switch between payments, charges and refunds; each keeps its own model."""
        spec = PAYMENT_KINDS[kind]
        if spec.table not in self._models:
            self._models[PAYMENTS.table] = self._models.get(PAYMENTS.table, self.model)
            self._models[spec.table] = self._make_model(spec)
        self.model = self._models[spec.table]
        self.view.setModel(self.model)
        self.use_status_delegate(spec)
        self._connect_selection()
        header = self.view.horizontalHeader()
        for i, column in enumerate(spec.columns):
            header.resizeSection(i, self.column_width(column))
        header.setSortIndicator(
            spec.index_of(self.model.query.sort or spec.default_sort), header.sortIndicatorOrder()
        )
        self.fill_statuses(spec)
        self.show_model_total()
        self._check_selection()  # the other list's row and details go
        if self.activated:
            self.apply_query()

    def refresh(self, changed: Any) -> None:
        current = self.model
        for model in {*self._models.values(), current}:
            if model is not current and model.total is not None:  # shown once: re-read it
                model.refresh(changed)
        super().refresh(changed)

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
                ("Method", d.text({"m": _method(obj)}, "m")),
                (
                    "Settles",
                    "in a few business days (SEPA Direct Debit)" if _sepa_processing(obj) else "",
                ),
                ("Description", d.text(obj, "description")),
                ("Reason", d.reason(obj)),
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
                [d.CREATED, d.STATUS, d.AMOUNT, ("Reason", d.reason)],
            ),
            d.metadata(obj),
        )


def _sepa_processing(obj: Any) -> bool:
    """A SEPA debit is `processing` (a charge: `pending`) until the bank settles it."""
    return obj.get("status") in ("processing", "pending") and "SEPA" in _method(obj)
