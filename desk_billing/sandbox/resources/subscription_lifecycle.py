"""What happens to subscriptions as sandbox time passes and invoices settle: renewals, dunning, cancellation.

A failed renewal makes a subscription `past_due`, retried after RETRY_DAYS (invoice collection), and
after the last failed retry it becomes `unpaid` — or `canceled` or stays `past_due`, per
`set_dunning(state, final=...)` (Stripe's "Manage failed payments" setting). An `unpaid`
subscription keeps renewing with invoices left as drafts, as Stripe does. `pause_collection` keeps
the status and makes renewal invoices drafts, uncollectible or void per its `behavior`.
"""

from __future__ import annotations

import copy
from typing import Any

from ..state import State
from . import billing_clock as clock
from . import customers as customers_mod
from . import invoice_collection as collection
from . import invoice_lines as lines
from . import invoices as inv
from .invoice_payments import paid_intent
from .payment_methods import attach_payment_method
from .subscription_periods import (
    current_period,
    invoice_for,
    payment_method_of,
    period_end,
    set_period,
)
from .subscriptions import (
    INCOMPLETE_WINDOW,
    LIVE,
    TRIAL_WILL_END,
    emit_subscription,
    is_creating,
    update_subscription,
)


def set_dunning(state: State, *, final: str = "unpaid") -> None:
    """What happens after the last failed retry: "unpaid" (default here), "canceled" or "past_due"."""
    if final not in ("unpaid", "canceled", "past_due"):
        raise ValueError(final)
    state.collection("_billing_settings").by_id["dunning"] = {"id": "dunning", "final": final}


def _final_action(state: State) -> str:
    entry = state.get("_billing_settings", "dunning")
    return entry["final"] if entry else "unpaid"


def _on_paid(state: State, invoice: dict[str, Any]) -> None:
    sub = collection.subscription_of(state, invoice)
    if sub is None:
        return
    _save_payment_method(state, sub, invoice)
    if is_creating(state, sub):
        return
    if sub["status"] in ("incomplete", "past_due", "unpaid") and not _other_unpaid(
        state, sub, invoice
    ):
        status = "trialing" if sub["trial_end"] and sub["trial_end"] > state.now() else "active"
        update_subscription(state, sub, {"status": status})


def _save_payment_method(state: State, sub: dict[str, Any], invoice: dict[str, Any]) -> None:
    """`payment_settings.save_default_payment_method=on_subscription`: the payment method that
    paid becomes the subscription's default (and is saved to the customer)."""
    if sub["payment_settings"].get("save_default_payment_method") != "on_subscription":
        return
    pi = paid_intent(state, invoice)
    pm = pi["payment_method"] if pi else None
    if pm and sub["default_payment_method"] != pm:
        if (state.get("payment_methods", pm) or {}).get("customer") is None:
            attach_payment_method(state, pm, sub["customer"])
        update_subscription(state, sub, {"default_payment_method": pm})


def _other_unpaid(state: State, sub: dict[str, Any], paid: dict[str, Any]) -> bool:
    return any(
        i["status"] == "open"
        and i["id"] != paid["id"]
        and (collection.subscription_of(state, i) or {}).get("id") == sub["id"]
        for i in state.where("invoices", "customer", sub["customer"])
    )


def _on_failed(state: State, invoice: dict[str, Any], pi: dict[str, Any] | None) -> None:
    sub = collection.subscription_of(state, invoice)
    if sub is None or is_creating(state, sub) or invoice["billing_reason"] == "subscription_create":
        return
    if sub["status"] in ("active", "trialing"):
        update_subscription(state, sub, {"status": "past_due"})
    final = invoice["next_payment_attempt"] is None and invoice["attempt_count"] > len(
        collection.RETRY_DAYS
    )
    if final and sub["status"] == "past_due":
        action = _final_action(state)
        if action == "unpaid":
            update_subscription(state, sub, {"status": "unpaid"})
        elif action == "canceled":
            cancel_subscription(state, sub, reason="payment_failed")


def _on_overdue(state: State, invoice: dict[str, Any]) -> None:
    sub = collection.subscription_of(state, invoice)
    if sub is not None and sub["status"] in ("active", "trialing"):
        update_subscription(state, sub, {"status": "past_due"})


def _on_customer_deleted(state: State, customer: dict[str, Any]) -> None:
    for sub in state.where("subscriptions", "customer", customer["id"]):
        if sub["status"] not in ("canceled", "incomplete_expired"):
            cancel_subscription(state, sub, reason="cancellation_requested")


inv.ON_INVOICE_PAID.append(_on_paid)


collection.ON_INVOICE_PAYMENT_FAILED.append(_on_failed)


collection.ON_INVOICE_OVERDUE.append(_on_overdue)


customers_mod.ON_DELETE.append(_on_customer_deleted)


def cancel_subscription(state: State, sub: dict[str, Any], *, reason: str = "cancellation_requested",
                        comment: str | None = None, feedback: str | None = None) -> dict[str, Any]:  # fmt: skip
    """-> canceled now: `canceled_at` (kept if set by cancel_at_period_end), `ended_at`; stops collection."""
    now = state.now()
    details = sub["cancellation_details"]
    previous = state.update(
        sub,
        {
            "status": "canceled",
            "canceled_at": sub["canceled_at"] or now,
            "ended_at": now,
            "cancel_at": sub["cancel_at"] if sub["cancel_at"] and sub["cancel_at"] <= now else None,
            "cancellation_details": {
                **details,
                "comment": details["comment"] if comment is None else comment,
                "feedback": details["feedback"] if feedback is None else feedback,
                "reason": reason,
            },
        },
    )
    for invoice in state.where("invoices", "customer", sub["customer"]):
        if (
            invoice["status"] == "open"
            and (collection.subscription_of(state, invoice) or {}).get("id") == sub["id"]
        ):
            invoice["next_payment_attempt"] = None
            invoice["auto_advance"] = False
    emit_subscription(state, "customer.subscription.deleted", sub, previous)
    return sub


def renew(state: State, sub: dict[str, Any], at: int) -> None:
    """The period ending at `at` is over: end the trial, cancel, or bill the next period."""
    start, end = current_period(sub)
    if end != at or sub["status"] not in LIVE:
        return
    if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= at):
        cancel_subscription(state, sub, reason="cancellation_requested")
        return
    ending_trial = sub["status"] == "trialing"
    if (
        ending_trial
        and sub["collection_method"] == "charge_automatically"
        and payment_method_of(state, sub) is None
    ):
        behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
        if behavior == "cancel":
            cancel_subscription(state, sub, reason="cancellation_requested")
            return
        if behavior == "pause":
            pause_subscription(state, sub, kind="trial_end_without_payment_method")
            return
    new_end = period_end(sub, at)
    items_before = copy.deepcopy(sub["items"])
    set_period(sub, at, new_end)
    invoice = invoice_for(
        state,
        sub,
        reason="subscription_cycle",
        lines_period=(at, new_end),
        invoice_period=(start, at),
    )
    changes: dict[str, Any] = {"latest_invoice": invoice["id"]}
    if ending_trial:
        changes["status"] = "active"
    previous = {"items": items_before}
    previous.update(state.update(sub, changes) or {})
    previous["latest_invoice"] = previous.get("latest_invoice", sub["latest_invoice"])
    emit_subscription(state, "customer.subscription.updated", sub, previous)
    bill(state, sub, invoice)


def bill(state: State, sub: dict[str, Any], invoice: dict[str, Any]) -> None:
    """Finalize and collect a renewal invoice, honouring unpaid and pause_collection."""
    paused = sub.get("pause_collection")
    if sub["status"] == "unpaid" or (paused and paused["behavior"] == "keep_as_draft"):
        invoice["auto_advance"] = False
        return
    inv.finalize_invoice(state, invoice)
    if invoice["status"] != "open":
        return
    if paused:
        if paused["behavior"] == "void":
            inv.void_invoice(state, invoice)
        else:
            inv.mark_uncollectible(state, invoice, reason="subscription_paused")
        return
    if sub["collection_method"] == "send_invoice":
        state.emit("invoice.sent", lines.render(invoice))
        return
    invoice["next_payment_attempt"] = None
    collection.collect(state, invoice)


def pause_subscription(state: State, sub: dict[str, Any], *, kind: str) -> None:
    now = state.now()
    update_subscription(
        state,
        sub,
        {
            "status": "paused",
            "status_details": {
                "paused": {
                    "subscription": {"type": kind},
                    "transitioned_at": now,
                    "type": "subscription",
                }
            },
        },
    )
    emit_subscription(state, "customer.subscription.paused", sub)


def due_actions(state: State, before: int, after: int) -> list[tuple[int, int, str, Any]]:
    actions: list[tuple[int, int, str, Any]] = []
    for sub in state.collection("subscriptions").by_id.values():
        status = sub["status"]
        if status in LIVE:
            _start, end = current_period(sub)
            if sub["cancel_at"] and sub["cancel_at"] < end and sub["cancel_at"] <= after:
                actions.append((sub["cancel_at"], 0, f"cancel:{sub['id']}", _cancel_at(state, sub)))
            elif end <= after:
                actions.append((end, 0, f"renew:{sub['id']}:{end}", _renew_action(state, sub, end)))
            if status == "trialing" and sub["trial_end"]:
                warn = sub["trial_end"] - TRIAL_WILL_END
                if before < warn <= after:
                    actions.append((warn, 0, f"trialwarn:{sub['id']}", _trial_warning(state, sub)))
        elif status == "incomplete":
            expiry = sub["created"] + INCOMPLETE_WINDOW
            if expiry <= after:
                actions.append((expiry, 0, f"expire:{sub['id']}", _expire(state, sub)))
    return actions


def _renew_action(state: State, sub: dict[str, Any], at: int) -> Any:
    return lambda: renew(state, sub, at)


def _cancel_at(state: State, sub: dict[str, Any]) -> Any:
    def run() -> None:
        if sub["status"] in LIVE and sub["cancel_at"] and sub["cancel_at"] <= state.now():
            cancel_subscription(state, sub)

    return run


def _trial_warning(state: State, sub: dict[str, Any]) -> Any:
    def run() -> None:
        if sub["status"] == "trialing":
            emit_subscription(state, "customer.subscription.trial_will_end", sub)

    return run


def _expire(state: State, sub: dict[str, Any]) -> Any:
    def run() -> None:
        if sub["status"] != "incomplete":
            return
        invoice = state.get("invoices", sub["latest_invoice"] or "")
        if invoice is not None and invoice["status"] == "open":
            inv.void_invoice(state, invoice)
        update_subscription(state, sub, {"status": "incomplete_expired", "ended_at": state.now()})

    return run


clock.SCHEDULERS.insert(0, due_actions)
