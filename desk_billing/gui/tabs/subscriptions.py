"""The Subscriptions tab: recurring revenue, its items, period and next invoice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox

from desk_billing.core.cache.lists import SUBSCRIPTIONS
from desk_billing.core.errors import ValidationError
from desk_billing.core.statuses import SUBSCRIPTION_ENDED
from desk_billing.gui import detail as d
from desk_billing.gui import formatting
from desk_billing.gui.actions import (
    ActionHub,
    Selection,
    TabAction,
    action_dialog,
    live_id,
    needs_row,
    ref,
)
from desk_billing.gui.pickers import PricePicker
from desk_billing.gui.tabs.base import ListTab

if TYPE_CHECKING:
    from desk_billing.core.journal import OperationResult

ENDED = SUBSCRIPTION_ENDED  # a subscription in one of these states cannot be changed any more
PAUSE_BEHAVIORS = {
    "void": "Void the invoices made while paused",
    "keep_as_draft": "Keep them as drafts",
    "mark_uncollectible": "Mark them uncollectible",
}


def _running(selection: Selection | None) -> str | None:
    reason = needs_row(selection)
    if reason is None and selection is not None and selection.status in ENDED:
        return f"This subscription has ended ({formatting.status_text(selection.status)}); it cannot be changed."
    return reason


def _when(check, test, why: str):
    def combined(selection: Selection | None) -> str | None:
        reason = check(selection)
        if reason is None and selection is not None and not test(selection.obj):
            return why
        return reason

    return combined


def _who(selection: Selection) -> str:
    detail = selection.detail
    return f"subscription {selection.id} of {detail.get('customer_name') or ref(selection.obj.get('customer'))}"


def _simple(title: str, ask: str, ok_text: str, call: str, live: bool = True, **kwargs: Any):
    """A confirmation that runs core.operations.subscriptions.<call>(journal, id, **kwargs)."""

    def open_(hub: ActionHub, selection: Selection | None) -> Any:
        assert selection is not None
        sub_id = selection.id

        def work(journal: Any, _checked: Any) -> OperationResult:
            from desk_billing.core.operations import subscriptions

            return getattr(subscriptions, call)(journal, sub_id, **kwargs)

        return action_dialog(
            hub, f"{title} {sub_id}", ask.format(who=_who(selection)), ok_text, work,
            live=live_id(sub_id) if live else None,
        )  # fmt: skip

    return open_


def _change(hub: ActionHub, selection: Selection | None) -> Any:
    assert selection is not None
    sub_id = selection.id
    items = (selection.obj.get("items") or {}).get("data") or []
    first = items[0] if items else {}
    price = PricePicker(hub.runner, hub.session.cache_path, single=True)
    price.set_currency(selection.obj.get("currency"))  # Stripe bills it in one currency
    if ref(first.get("price")):
        price.preset(str(ref(first.get("price"))), int(first.get("quantity") or 1))

    def read() -> tuple[str, int]:
        if not price.items():
            raise ValidationError("Choose the price to change to (its quantity beside it).")
        return price.items()[0]

    def work(journal: Any, checked: tuple[str, int]) -> OperationResult:
        from desk_billing.core.operations.subscriptions import change_item

        new_price, new_quantity = checked
        return change_item(journal, sub_id, price=new_price or None, quantity=new_quantity)

    extra = " (the first of its items)" if len(items) > 1 else ""
    return action_dialog(
        hub, f"Change {sub_id}",
        f"Change the price or quantity of {_who(selection)}{extra}. Stripe prorates the difference on the next invoice.",
        "Change", work, live=live_id(sub_id), read=read,
        fields=[("Price", price)],
    )  # fmt: skip


def _pause(hub: ActionHub, selection: Selection | None) -> Any:
    assert selection is not None
    sub_id = selection.id
    behavior = QComboBox()
    for value, label in PAUSE_BEHAVIORS.items():
        behavior.addItem(label, value)

    def work(journal: Any, checked: str) -> OperationResult:
        from desk_billing.core.operations.subscriptions import pause_collection

        return pause_collection(journal, sub_id, checked)

    return action_dialog(
        hub, f"Pause collection on {sub_id}",
        f"Stop collecting payment for {_who(selection)}? The subscription goes on; until you resume, its invoices are:",
        "Pause collection", work, live=live_id(sub_id), read=behavior.currentData,
        fields=[("Invoices", behavior)],
    )  # fmt: skip


def _set_to_cancel(obj: Any) -> bool:
    return bool(obj.get("cancel_at_period_end") or obj.get("cancel_at"))


ACTIONS = (
    TabAction("change", "Change price/quantity…", "subscription", _change, _running),
    TabAction(
        "cancel-now", "Cancel now", "subscription",
        _simple("Cancel", "Cancel {who} now? It ends today and cannot be restarted.", "Cancel subscription", "cancel", at_period_end=False),
        _running,
    ),
    TabAction(
        "cancel-at-period-end", "Cancel at period end", "subscription",
        _simple("Cancel at period end", "End {who} when its paid period ends? Until then it can be undone.", "Cancel at period end", "cancel", at_period_end=True),
        _when(_running, lambda o: not _set_to_cancel(o), "It already ends at the end of its period; use Undo cancellation."),
    ),
    TabAction(
        "undo-cancel", "Undo cancellation", "subscription",
        _simple("Undo cancellation of", "Keep {who} running past the end of its period?", "Keep it running", "undo_cancel", live=False),
        _when(_running, _set_to_cancel, "It is not set to cancel."),
    ),
    TabAction(
        "pause", "Pause collection…", "subscription", _pause,
        _when(_running, lambda o: not o.get("pause_collection"), "Collection is already paused; use Resume collection."),
    ),
    TabAction(
        "resume", "Resume collection", "subscription",
        _simple("Resume collection on", "Collect payment for {who} again from its next invoice?", "Resume collection", "resume_collection", live=False),
        _when(_running, lambda o: bool(o.get("pause_collection")), "Collection is not paused."),
    ),
)  # fmt: skip


class SubscriptionsTab(ListTab):
    title = "Subscriptions"
    spec = SUBSCRIPTIONS

    def tab_actions(self) -> list[TabAction]:
        return list(ACTIONS)

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
