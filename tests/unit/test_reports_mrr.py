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
                    discount={"object": "discount", "coupon": {"percent_off": 25}},
                ),  # 2250
            ],
        )
        result = mrr_now(cache.conn, as_of=42)
    assert result.mrr == {"eur": 1301, "jpy": 2000, "kwd": 2250}
    assert result.subscriptions == {"eur": 3, "jpy": 1, "kwd": 1}
    assert result.as_json()["as_of"] == 42
