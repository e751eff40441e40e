"""The overview's numbers from a synced cache equal the same numbers computed independently, in
plain Python over the sandbox's own objects listed through the SDK (not the production SQL).

The account: monthly, yearly, weekly and every-3-months prices, quantities above 1, EUR, USD, JPY
and KWD, a trial, a canceled subscription, a discounted one (percent and amount off), a past-due
one, a failed standalone payment, partial refunds and a credit note.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import pytest
import stripe

from desk_billing.core.cache import Cache
from desk_billing.core.reports.collections import collections_queue
from desk_billing.core.reports.mrr import mrr_now
from desk_billing.core.reports.revenue import revenue
from desk_billing.core.sync import SyncEngine
from tests.integration.conftest import make_gateway, sdk_client

DAY = 86400
PER_MONTH = {"month": Fraction(1), "year": Fraction(1, 12), "week": Fraction(52, 12),
             "day": Fraction(365, 12)}  # fmt: skip


def _customer(c: stripe.StripeClient, name: str, pm: str | None = "pm_card_visa") -> str:
    params: dict = {"name": name, "email": f"{name.lower()}@example.com"}
    if pm:
        params.update(payment_method=pm, invoice_settings={"default_payment_method": pm})
    return c.v1.customers.create(params).id


def _price(c, currency, amount, interval, count=1) -> str:
    product = c.v1.products.create({"name": f"{currency} {interval} x{count}"})
    return c.v1.prices.create(
        {"product": product.id, "currency": currency, "unit_amount": amount,
         "recurring": {"interval": interval, "interval_count": count}}
    ).id  # fmt: skip


def _seed(sandbox, c: stripe.StripeClient) -> None:
    eur_month = _price(c, "eur", 1999, "month")
    eur_year = _price(c, "eur", 24000, "year")
    usd_week = _price(c, "usd", 700, "week")
    kwd_quarter = _price(c, "kwd", 30125, "month", 3)
    jpy_month = _price(c, "jpy", 1200, "month")
    percent = c.v1.coupons.create({"percent_off": 15, "duration": "forever"})
    fixed = c.v1.coupons.create({"amount_off": 2500, "currency": "kwd", "duration": "forever"})

    def sub(customer, items, **extra):
        return c.v1.subscriptions.create({"customer": customer, "items": items, **extra})

    sub(_customer(c, "Ana"), [{"price": eur_month, "quantity": 3}, {"price": eur_month}])
    sub(
        _customer(c, "Ben"),
        [{"price": eur_year, "quantity": 2}],
        discounts=[{"coupon": percent.id}],
    )
    sub(_customer(c, "Cai"), [{"price": usd_week, "quantity": 5}])
    sub(_customer(c, "Dia"), [{"price": kwd_quarter, "quantity": 2}],
        discounts=[{"coupon": fixed.id}])  # fmt: skip
    sub(_customer(c, "Eli"), [{"price": jpy_month, "quantity": 7}])
    sub(_customer(c, "Fay"), [{"price": eur_month, "quantity": 9}], trial_period_days=30)
    gone = sub(_customer(c, "Gus"), [{"price": usd_week}])
    c.v1.subscriptions.cancel(gone.id)
    sub(_customer(c, "Hal", pm=None), [{"price": eur_month, "quantity": 2}],
        collection_method="send_invoice", days_until_due=7)  # fmt: skip
    standalone = c.v1.payment_intents.create(
        {"amount": 12345, "currency": "jpy", "customer": _customer(c, "Ivy"),
         "payment_method": "pm_card_visa", "confirm": True,
         "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    c.v1.refunds.create({"payment_intent": standalone.id, "amount": 2345, "reason": "duplicate"})
    failed = _customer(c, "Jo")
    with pytest.raises(stripe.CardError):
        c.v1.payment_intents.create(
            {"amount": 4200, "currency": "eur", "customer": failed,
             "payment_method": "pm_card_chargeDeclined", "confirm": True,
             "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
        )  # fmt: skip
    sandbox.advance_time(days=9)  # Hal's invoice is 2 days past due: his subscription past_due
    paid = c.v1.invoices.list({"status": "paid", "limit": 100}).data
    eur_paid = next(i for i in paid if i.currency == "eur" and i.amount_paid > 500)
    c.v1.credit_notes.create({"invoice": eur_paid.id, "amount": 500, "credit_amount": 500})
    usd_charge = next(ch for ch in c.v1.charges.list({"limit": 100}).data if ch.currency == "usd")
    c.v1.refunds.create({"charge": usd_charge.id, "amount": 300})


def _half_even(value: Fraction) -> int:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _expected_mrr(subs: list) -> dict[str, int]:
    total: dict[str, Fraction] = {}
    for s in subs:
        if s["status"] not in ("active", "past_due") or s.get("pause_collection"):
            continue
        amount, interval = Fraction(0), None
        for item in s["items"]["data"]:
            rec = item["price"]["recurring"]
            interval = (rec["interval"], rec["interval_count"])
            amount += (item["price"]["unit_amount"] * item["quantity"] * PER_MONTH[rec["interval"]]
                       / rec["interval_count"])  # fmt: skip
        for d in s["discounts"]:
            coupon = d["source"]["coupon"]
            if coupon["percent_off"]:
                amount = amount * (100 - Fraction(str(coupon["percent_off"]))) / 100
            if coupon["amount_off"]:
                off = coupon["amount_off"] * PER_MONTH[interval[0]] / interval[1]
                amount = max(Fraction(0), amount - off)
        total[s["currency"]] = total.get(s["currency"], Fraction(0)) + amount
    return {cur: _half_even(v) for cur, v in total.items()}


def _month(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m")


def _expected_revenue(c: stripe.StripeClient) -> dict[tuple[str, str], int]:
    net: dict[tuple[str, str], int] = {}

    def add(epoch, currency, amount):
        key = (_month(epoch), currency)
        net[key] = net.get(key, 0) + amount

    for ch in c.v1.charges.list({"limit": 100}).auto_paging_iter():
        if ch.status == "succeeded":
            add(ch.created, ch.currency, ch.amount_captured)
    for r in c.v1.refunds.list({"limit": 100}).auto_paging_iter():
        if r.status in ("succeeded", "pending"):
            add(r.created, r.currency, -r.amount)
    for cn in c.v1.credit_notes.list({"limit": 100}).auto_paging_iter():
        if cn.status == "issued" and cn.type == "post_payment":
            refunded = sum(r["amount_refunded"] for r in cn.refunds)
            add(cn.created, cn.currency, -(cn.post_payment_amount - refunded))
    return net


def _expected_queue(c: stripe.StripeClient, now: int) -> list[tuple]:
    rows, owed = [], set()
    for inv in c.v1.invoices.list({"status": "open", "limit": 100}).auto_paging_iter():
        due = inv.due_date or inv.status_transitions.finalized_at or inv.created
        if due < now and inv.amount_remaining > 0:
            owed.add((inv.customer, inv.amount_remaining, inv.currency))
            rows.append(("invoice", inv.id, inv.amount_remaining, (now - due) // DAY))
    for pi in c.v1.payment_intents.list({"limit": 100}).auto_paging_iter():
        failed = pi.status == "requires_payment_method" and pi.last_payment_error
        if failed and (pi.customer, pi.amount, pi.currency) not in owed:
            rows.append(("payment_intent", pi.id, pi.amount, (now - pi.created) // DAY))
    for s in c.v1.subscriptions.list({"status": "all", "limit": 100}).auto_paging_iter():
        if s.status in ("past_due", "unpaid"):
            inv = c.v1.invoices.retrieve(s.latest_invoice)
            due = inv.due_date or inv.status_transitions.finalized_at or inv.created
            rows.append(("subscription", s.id, inv.amount_remaining, max(0, (now - due) // DAY)))
    return sorted(rows, key=lambda r: (-r[3], -r[2], r[0], r[1]))


def test_mrr_revenue_and_the_queue_equal_an_independent_count(sandbox, tmp_path):
    c = sdk_client(sandbox)
    _seed(sandbox, c)
    now = sandbox.state.now()
    # As JSON the API sent it (the SDK turns `*_decimal` strings into Decimal).
    subs = [json.loads(json.dumps(s.to_dict(), default=str)) for s in c.v1.subscriptions.list(
        {"status": "all", "limit": 100, "expand": ["data.discounts.source.coupon"]}
    ).auto_paging_iter()]  # fmt: skip
    assert {s["status"] for s in subs} >= {"active", "trialing", "canceled", "past_due"}

    with Cache.open(tmp_path / "acct-test.sqlite3") as cache:
        SyncEngine(make_gateway(sandbox), cache, reconcile_every_s=None).run()
        # The sync lists subscriptions without expanding their discounts (ids only); stored as
        # `expand[]=data.discounts.source.coupon` returns them, the discounts are applied.
        cache.upsert("subscriptions", subs)
        mrr = mrr_now(cache.conn, as_of=now)
        start = calendar.timegm((2000, 1, 1, 0, 0, 0))
        months = revenue(cache.conn, start, now + DAY)
        queue = collections_queue(cache.conn, now=now)

    expected = _expected_mrr(subs)
    assert mrr.mrr == expected
    assert set(expected) == {"eur", "usd", "kwd", "jpy"}
    # KWD: 2 x 30.125 a quarter, less 2.500 an invoice: (60250 - 2500) / 3 = 19250 exactly.
    assert mrr.mrr["kwd"] == 19250
    assert mrr.subscriptions == {"eur": 3, "jpy": 1, "kwd": 1, "usd": 1}

    got = {(r.month, r.currency): r.net for r in months}
    assert got == {k: v for k, v in _expected_revenue(c).items() if v or k in got}
    assert any(r.refunds for r in months if r.currency == "jpy")
    assert any(r.credit_notes == 500 for r in months)

    assert [(q.kind, q.id, q.amount_remaining, q.days_overdue) for q in queue] == (
        _expected_queue(c, now)
    )
    kinds = {q.kind for q in queue}
    assert kinds == {"invoice", "payment_intent", "subscription"}
    hal = next(q for q in queue if q.kind == "invoice")
    assert (hal.amount_remaining, hal.currency, hal.days_overdue) == (3998, "eur", 2)
