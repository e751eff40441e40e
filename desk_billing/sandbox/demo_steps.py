"""The steps of the demo account's year: a customer signs up, a card starts failing, an invoice ends some way."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from .errors import ApiError
from .in_process import NO_REDIRECTS, call_api
from .state import State

SERVICES = {
    "eur": ("Onboarding workshop", 25000),
    "gbp": ("Onboarding workshop", 22000),
    "usd": ("Implementation hours", 15000),
    "jpy": ("導入支援", 50000),
    "kwd": ("Onboarding", 75000),
    "bhd": ("Onboarding", 95000),
}


def attach_test_method(state: State, cid: str, test_id: str, *, default: bool) -> str:
    """Attach a test payment method to a customer; returns the new pm_ id."""
    pm = call_api(state, "post", "/v1/payment_methods/" + test_id + "/attach", {"customer": cid})
    if default:
        call_api(
            state,
            "post",
            f"/v1/customers/{cid}",
            {"invoice_settings": {"default_payment_method": pm["id"]}},
        )
    return pm["id"]


def _new_customer(state, rng, prices, at, day, i, name, email, currency) -> None:
    kind = i % 10
    customer = call_api(
        state,
        "post",
        "/v1/customers",
        {
            "name": name,
            "email": email,
            "phone": f"+49 30 {1000000 + i * 7919}",
            "address": {"line1": f"{10 + i} Market Street", "city": "Berlin", "country": "DE"},
            "metadata": {
                "internal_id": f"K-{1000 + i}",
                "segment": rng.choice(["smb", "mid-market", "startup"]),
            },
            "preferred_locales": ["ja"] if currency == "jpy" else ["en"],
        },
    )
    cid = customer["id"]
    # Most pay by card, some euro customers by SEPA debit, a few with cards that fail.
    if kind == 7:
        test_id = "pm_card_chargeCustomerFail"
    elif currency == "eur" and kind in (1, 5):
        test_id = "pm_success_de"
    else:
        test_id = "pm_card_mastercard" if kind == 9 else "pm_card_visa"
    pm_id = attach_test_method(state, cid, test_id, default=True)
    price = prices[currency][i % len(prices[currency])]
    if kind == 0:
        at(day, "subscription", cid, price, {"trial_period_days": 30})
        at(day + 200, "cancel_at_period_end", cid)
        at(days_left(day), "subscription", cid, prices[currency][-1], {"trial_period_days": 30})
    elif kind == 2:
        at(
            day,
            "subscription",
            cid,
            price,
            {"collection_method": "send_invoice", "days_until_due": 14},
        )
    elif kind == 3:
        # pays for a while, then the card starts failing: past_due, retries, then unpaid
        at(day, "subscription", cid, price, {})
        at(day + 60 + i % 30, "card_starts_failing", cid)
    elif kind == 4:
        at(day, "subscription", cid, price, {})
        at(day + 120, "cancel_now", cid)
    elif kind == 6:
        at(day, "subscription", cid, price, {})
        at(day + 150, "pause", cid, i)
    elif kind == 7:
        # a card that never works: the first payment fails (incomplete, later incomplete_expired)
        at(day, "subscription", cid, price, {"payment_behavior": "default_incomplete"})
    else:
        at(day, "subscription", cid, price, {"quantity": 1 + i % 3})
    # One-off work, ending in every way an invoice can end.
    for step, outcome in (
        (10, "paid"),
        (40, ["open", "void", "uncollectible", "draft", "paid"][i % 5]),
    ):
        at(day + step + i % 7, "invoice", cid, currency, outcome, pm_id)
    if kind in (1, 8, 9):
        at(day + 20, "payment_and_refund", cid, currency, pm_id, i)
    if kind in (5, 8):
        at(day + 60, "credit_note", cid)


def days_left(day: int) -> int:
    """A day in the last fortnight, so some trials are still running when the demo opens."""
    return 352 + day % 10


def _card_starts_failing(state, rng, prices, at, day, cid) -> None:
    attach_test_method(state, cid, "pm_card_chargeCustomerFail", default=True)
    for sub in _subscriptions_of(state, cid):
        call_api(state, "post", f"/v1/subscriptions/{sub['id']}", {"default_payment_method": ""})


def add_subscription(state, rng, prices, at, day, cid, price, extra) -> None:
    params: dict[str, Any] = {
        "customer": cid,
        "items": [{"price": price["id"], "quantity": extra.pop("quantity", 1)}],
    }
    params.update(extra)
    with contextlib.suppress(ApiError):  # a refused first payment: Stripe creates nothing
        call_api(state, "post", "/v1/subscriptions", params)


def _subscriptions_of(state: State, cid: str) -> list[dict[str, Any]]:
    return [s for s in state.newest_first("subscriptions") if s["customer"] == cid]


def _cancel_at_period_end(state, rng, prices, at, day, cid) -> None:
    for sub in _subscriptions_of(state, cid):
        if sub["status"] in ("active", "trialing"):
            call_api(
                state, "post", f"/v1/subscriptions/{sub['id']}", {"cancel_at_period_end": True}
            )


def _cancel_now(state, rng, prices, at, day, cid) -> None:
    for sub in _subscriptions_of(state, cid):
        if sub["status"] not in ("canceled", "incomplete_expired"):
            call_api(state, "delete", f"/v1/subscriptions/{sub['id']}", {})


def _pause(state, rng, prices, at, day, cid, i) -> None:
    for sub in _subscriptions_of(state, cid):
        if sub["status"] != "active":
            continue
        if i % 20 == 6:  # paused outright (status paused) ...
            call_api(state, "post", f"/v1/subscriptions/{sub['id']}/pause", {})
        else:  # ... or still active with collection paused and invoices voided
            call_api(
                state,
                "post",
                f"/v1/subscriptions/{sub['id']}",
                {"pause_collection": {"behavior": "void"}},
            )


def _invoice(state, rng, prices, at, day, cid, currency, outcome, pm_id) -> None:
    service, amount = SERVICES[currency]
    send = outcome in ("open", "void", "uncollectible")
    params: dict[str, Any] = {
        "customer": cid,
        "currency": currency,
        "description": f"{service} — {time.strftime('%B %Y', time.gmtime(state.now()))}",
        "auto_advance": False,
    }
    params.update({"collection_method": "send_invoice", "days_until_due": 30} if send else {})
    invoice = call_api(state, "post", "/v1/invoices", params)
    for j in range(1 + rng.randrange(3)):
        call_api(
            state,
            "post",
            "/v1/invoiceitems",
            {
                "customer": cid,
                "invoice": invoice["id"],
                "description": service if j == 0 else f"Additional session {j}",
                "amount": amount if j == 0 else amount // 4,
                "currency": currency,
            },
        )
    if outcome == "draft":
        return
    call_api(state, "post", f"/v1/invoices/{invoice['id']}/finalize", {})
    try:
        if outcome == "paid":
            call_api(state, "post", f"/v1/invoices/{invoice['id']}/pay", {"payment_method": pm_id})
        elif outcome == "void":
            call_api(state, "post", f"/v1/invoices/{invoice['id']}/void", {})
        elif outcome == "uncollectible":
            call_api(state, "post", f"/v1/invoices/{invoice['id']}/mark_uncollectible", {})
        else:
            call_api(state, "post", f"/v1/invoices/{invoice['id']}/send", {})
    except ApiError:
        pass  # a failing card: the invoice stays open with a failed payment, as in real life


def _payment_and_refund(state, rng, prices, at, day, cid, currency, pm_id, i) -> None:
    amount = SERVICES[currency][1] * 2
    pi = call_api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": amount,
            "currency": currency,
            "customer": cid,
            "payment_method": pm_id,
            "confirm": True,
            **NO_REDIRECTS,
            "off_session": True,
            "description": "Annual support pack",
        },
    )
    if pi["status"] == "succeeded":
        # a partial refund, and for some a second one that refunds the rest
        call_api(
            state,
            "post",
            "/v1/refunds",
            {"payment_intent": pi["id"], "amount": amount // 4, "reason": "requested_by_customer"},
        )
        if i % 2:
            at(day + 5, "refund_rest", pi["id"])


def _credit_note(state, rng, prices, at, day, cid) -> None:
    """A goodwill credit on the customer's latest paid invoice: a fifth of it refunded."""
    paid = [
        i
        for i in state.where("invoices", "customer", cid)
        if i["status"] == "paid" and i["amount_paid"]
    ]
    if paid:
        amount = paid[0]["amount_paid"] // 5
        call_api(
            state,
            "post",
            "/v1/credit_notes",
            {
                "invoice": paid[0]["id"],
                "amount": amount,
                "refund_amount": amount,
                "reason": "product_unsatisfactory",
            },
        )


def _refund_rest(state, rng, prices, at, day, pi_id) -> None:
    call_api(state, "post", "/v1/refunds", {"payment_intent": pi_id, "reason": "duplicate"})


STEPS = {
    "customer": _new_customer,
    "subscription": add_subscription,
    "cancel_at_period_end": _cancel_at_period_end,
    "cancel_now": _cancel_now,
    "pause": _pause,
    "card_starts_failing": _card_starts_failing,
    "invoice": _invoice,
    "payment_and_refund": _payment_and_refund,
    "refund_rest": _refund_rest,
    "credit_note": _credit_note,
}
