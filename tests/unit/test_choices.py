"""What the pickers offer: customers by part of a name, email or a pasted id; prices that can be
sold (archived prices and products hidden), read as a person writes them."""

from __future__ import annotations

from desk_billing.core.cache import Cache, reading
from desk_billing.core.cache.choices import find_customers, find_prices


def _cache(tmp_path):
    path = tmp_path / "cache.sqlite3"
    with Cache.open(path) as cache:
        cache.upsert("customers", [
            {"id": "cus_A1", "object": "customer", "name": "株式会社サンプル",
             "email": "keiri@sample.example.jp", "currency": "jpy", "created": 3},
            {"id": "cus_B2", "object": "customer", "name": "Acme Widgets Ltd",
             "email": "billing@acme.example", "currency": "gbp", "created": 2},
            {"id": "cus_C3", "object": "customer", "name": None,
             "email": "acme.accounts@example.com", "currency": None, "created": 1},
        ])  # fmt: skip
        cache.upsert("products", [
            {"id": "prod_1", "object": "product", "name": "Pro plan", "active": True},
            {"id": "prod_2", "object": "product", "name": "Old plan", "active": False},
        ])  # fmt: skip
        price = {"object": "price", "active": True, "type": "recurring", "product": "prod_1"}
        cache.upsert("prices", [
            {**price, "id": "price_m", "nickname": "Monthly", "unit_amount": 4900,
             "currency": "eur", "recurring": {"interval": "month", "interval_count": 1}},
            {**price, "id": "price_q", "nickname": None, "unit_amount": 1000,
             "currency": "kwd", "recurring": {"interval": "month", "interval_count": 3}},
            {**price, "id": "price_y", "nickname": "Yen", "unit_amount": 15600,
             "currency": "jpy", "recurring": {"interval": "year", "interval_count": 1}},
            {**price, "id": "price_archived", "active": False, "unit_amount": 1,
             "currency": "eur", "recurring": {"interval": "month"}},
            {**price, "id": "price_old_product", "product": "prod_2", "unit_amount": 1,
             "currency": "eur", "recurring": {"interval": "month"}},
            {**price, "id": "price_once", "type": "one_time", "unit_amount": 500,
             "currency": "eur", "recurring": None},
        ])  # fmt: skip
    return reading.connect(path)


def test_customers_by_part_of_name_email_or_pasted_id(tmp_path):
    conn = _cache(tmp_path)
    assert [c.id for c in find_customers(conn, "acm")] == ["cus_B2", "cus_C3"]
    assert [c.id for c in find_customers(conn, "billing@acme")] == ["cus_B2"]
    assert [c.id for c in find_customers(conn, "サンプル")] == []  # not a word beginning
    assert [c.id for c in find_customers(conn, "株式会社サンプル")] == ["cus_A1"]
    assert [c.id for c in find_customers(conn, " cus_C3 ")] == ["cus_C3"]
    assert find_customers(conn, "") == []
    acme, nameless = find_customers(conn, "acme")
    assert acme.label == "Acme Widgets Ltd · billing@acme.example · GBP"
    assert nameless.label == "acme.accounts@example.com · no currency yet"


def test_prices_offered_are_the_active_ones_of_active_products(tmp_path):
    conn = _cache(tmp_path)
    offered = find_prices(conn)
    assert [p.id for p in offered] == ["price_m", "price_y", "price_q"]
    assert [p.label for p in offered] == [
        "Pro plan — Monthly · €49.00 / month · EUR",
        "Pro plan — Yen · ¥15,600 / year · JPY",
        "Pro plan · KWD 1.000 / 3 months · KWD",
    ]
    assert [p.id for p in find_prices(conn, "yen")] == ["price_y"]
    assert [p.id for p in find_prices(conn, recurring=False)] == [
        "price_once", "price_m", "price_y", "price_q"
    ]  # fmt: skip
