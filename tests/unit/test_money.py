"""Amounts typed by people and shown to them, per currency exponent."""

from decimal import Decimal

import pytest

from desk_billing.core.errors import ValidationError
from desk_billing.core.money import exponent, format_amount, parse_amount, to_decimal, to_minor


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("eur", 2),
        ("USD", 2),
        ("jpy", 0),
        ("KRW", 0),
        ("xof", 0),
        ("kwd", 3),
        ("BHD", 3),
        ("chf", 2),
    ],
)
def test_exponent_follows_stripes_currency_lists(currency, places):
    assert exponent(currency) == places


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "eur", 1250),
        ("12,50", "eur", 1250),
        ("  12.5 ", "usd", 1250),
        ("0.01", "usd", 1),
        (".5", "eur", 50),
        ("1,234.56", "usd", 123456),
        ("1.234,56", "eur", 123456),
        ("1 234,56", "eur", 123456),
        ("1,234,567", "usd", 123456700),
        ("1200", "jpy", 1200),
        ("1,200", "jpy", 1200),
        ("1.500", "kwd", 1500),
        ("1,5", "kwd", 1500),
        ("-3", "usd", -300),
    ],
)
def test_parse_amount_reads_what_people_type(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "sentence"),
    [
        ("", "eur", "Enter an amount."),
        ("   ", "eur", "Enter an amount."),
        ("abc", "eur", "'abc' is not an amount"),
        ("12.5.0", "eur", "is not an amount"),
        ("1e5", "eur", "is not an amount"),
        ("12.", "eur", "is not an amount"),
        ("12.345", "eur", "EUR amounts have at most 2 decimals."),
        ("1,234", "eur", "EUR amounts have at most 2 decimals."),
        ("12.5", "jpy", "JPY amounts are whole numbers"),
        ("1.2345", "kwd", "KWD amounts have at most 3 decimals."),
        ("١٢", "eur", "is not an amount"),
    ],
)
def test_parse_amount_refuses_with_one_sentence(text, currency, sentence):
    with pytest.raises(ValidationError) as raised:
        parse_amount(text, currency)
    assert sentence in str(raised.value)
    assert str(raised.value).count(". ") == 0  # one sentence


def test_decimal_conversions_are_exact():
    assert to_decimal(1250, "eur") == Decimal("12.50")
    assert to_decimal(1500, "kwd") == Decimal("1.500")
    assert to_decimal(1200, "jpy") == Decimal("1200")
    assert to_minor(Decimal("0.10"), "usd") == 10
    with pytest.raises(ValidationError):
        to_minor(Decimal("0.001"), "usd")


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (1250, "eur", "€12.50"),
        (120000, "usd", "$1,200.00"),
        (1200, "jpy", "¥1,200"),
        (1500, "kwd", "KWD 1.500"),
        (123456, "chf", "CHF 1,234.56"),
        (-300, "gbp", "-£3.00"),
        (0, "eur", "€0.00"),
    ],
)
def test_format_amount(minor, currency, shown):
    assert format_amount(minor, currency) == shown


@pytest.mark.parametrize("currency", ["eur", "jpy", "kwd"])
def test_format_then_parse_round_trips(currency):
    for minor in (1, 999, 123456789):
        shown = format_amount(minor, currency).lstrip("€¥").removeprefix("KWD ")
        assert parse_amount(shown, currency) == minor
