"""MRR's normalisation and rounding (issue 15's definition), and the SQL over a small cache."""

from __future__ import annotations

from fractions import Fraction

import pytest

from desk_billing.core.cache import Cache
from desk_billing.core.reports.mrr import monthly, mrr_now, round_half_even


def test_intervals_normalise_to_a_month():
    assert monthly(1200, "year") == 100
    assert monthly(1000, "week") == Fraction(1000 * 52, 12)
    assert monthly(100, "day") == Fraction(100 * 365, 12)
    assert monthly(3000, "month", 3) == 1000
    assert monthly(2400, "year", 2) == 100


def test_rounding_is_half_even_and_once():
    assert round_half_even(Fraction(5, 2)) == 2
    assert round_half_even(Fraction(7, 2)) == 4
    assert round_half_even(Fraction(-5, 2)) == -2


def test_unknown_interval_is_refused():
    with pytest.raises(ValueError):
        monthly(100, "fortnight")


def _sub(sid, status, currency, items, **extra):
    data = [
        {
            "id": f"si_{sid}_{n}",
            "object": "subscription_item",
            "quantity": qty,
            "price": {
                "id": f"price_{sid}_{n}",
                "object": "price",
                "currency": currency,
                "unit_amount": amount,
                "recurring": {"interval": interval, "interval_count": count},
            },
        }
        for n, (amount, qty, interval, count) in enumerate(items)
    ]
    return {
        "id": sid,
        "object": "subscription",
        "created": 1_700_000_000,
        "status": status,
        "currency": currency,
        "customer": "cus_1",
        "items": {"object": "list", "data": data},
        **extra,
    }


def _discount(duration="forever", end=None, **coupon):
    """A discount as `expand[]=data.discounts.source.coupon` returns it (API 2026-10-28)."""
    return {
        "id": "di_1",
        "object": "discount",
        "start": 1,
        "end": end,
        "source": {
            "type": "coupon",
            "coupon": {
                "id": "C1",
                "object": "coupon",
                "duration": duration,
                "percent_off": None,
                "amount_off": None,
                "currency": None,
                **coupon,
            },
        },
    }


def test_mrr_per_currency_counts_only_active_and_past_due_unpaused(tmp_path):
    with Cache.open(tmp_path / "acct_1-test.sqlite3") as cache:
        cache.upsert(
            "subscriptions",
            [
                # Three weekly items of 1 EUR: 3 * 100 * 52 / 12 = 1300
                _sub("sub_a", "active", "eur", [(100, 3, "week", 1)]),
                # Two thirds of a cent each, separately: rounded once, 1/3 + 1/3 -> 1 (not 0)
                _sub("sub_b", "past_due", "eur", [(1, 1, "month", 3)]),
                _sub("sub_c", "active", "eur", [(1, 1, "month", 3)]),
                _sub("sub_d", "trialing", "eur", [(99999, 1, "month", 1)]),
                _sub("sub_e", "unpaid", "eur", [(99999, 1, "month", 1)]),
                _sub(
                    "sub_f",
                    "active",
                    "eur",
                    [(99999, 1, "month", 1)],
                    pause_collection={"behavior": "void", "resumes_at": None},
                ),
                _sub("sub_g", "active", "jpy", [(12000, 2, "year", 1)]),  # 2000
                _sub(
                    "sub_h",
                    "active",
                    "kwd",
                    [(3000, 1, "month", 1)],
                    discounts=[_discount(percent_off=25.0)],
                ),  # 2250
                # 30.000 KWD a quarter less 3.000 off each invoice: (30000 - 3000) / 3 = 9000;
                # the once-only coupon and the unexpanded discount id change nothing.
                _sub(
                    "sub_i",
                    "active",
                    "kwd",
                    [(10000, 3, "month", 3)],
                    discounts=[
                        _discount(amount_off=3000, currency="kwd", duration="repeating", end=99),
                        _discount(percent_off=50.0, duration="once"),
                        "di_only_an_id",
                    ],
                ),
                # A repeating discount that ended before as_of no longer counts: 1000.
                _sub(
                    "sub_j",
                    "active",
                    "jpy",
                    [(1000, 1, "month", 1)],
                    discounts=[_discount(percent_off=50.0, duration="repeating", end=41)],
                ),
                # amount_off never takes a subscription below zero.
                _sub(
                    "sub_k",
                    "active",
                    "jpy",
                    [(500, 1, "month", 1)],
                    discounts=[_discount(amount_off=900, currency="jpy")],
                ),
            ],
        )
        result = mrr_now(cache.conn, as_of=42)
    assert result.mrr == {"eur": 1301, "jpy": 3000, "kwd": 11250}
    assert result.subscriptions == {"eur": 3, "jpy": 3, "kwd": 2}
    assert result.as_json()["as_of"] == 42
