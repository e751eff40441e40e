"""Money at the edge: minor units (int) <-> Decimal, per-currency exponent, typed-amount parsing.

Inside the program money is always an int in the currency's minor unit, as Stripe sends it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from desk_billing.core.errors import ValidationError

# Stripe's lists (docs.stripe.com/currencies); every other currency has two decimals.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])

# Symbols only where they are unambiguous; everything else shows its ISO code.
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}

_GROUPED = re.compile(r"^\d{1,3}(?:(?P<sep>[.,' \u00a0\u202f])\d{3})(?:(?P=sep)\d{3})*$", re.ASCII)
_ALLOWED = re.compile(r"^[\d.,' \u00a0\u202f]*\d[\d.,' \u00a0\u202f]*$", re.ASCII)


def exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (JPY 0, EUR 2, KWD 3)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_decimal(minor: int, currency: str) -> Decimal:
    """The amount in major units, exact: 1250 EUR -> Decimal('12.50')."""
    return Decimal(minor).scaleb(-exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Major units to minor units; refuses amounts finer than the currency allows."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            f"{currency.upper()} amounts have at most {exponent(currency)} decimals."
        )
    return int(scaled)


def parse_amount(text: str, currency: str) -> int:
    """A typed amount ("12.50", "12,50", "1,234.56", "1.234,56") to minor units.

    Whether zero or negative is allowed is the caller's business; the sign is kept.
    """
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError("Enter an amount.")
    negative = cleaned.startswith("-")
    body = cleaned.lstrip("+-").strip()
    places = exponent(currency)
    integer, fraction = _split(body, places)
    if integer is None:
        raise ValidationError(f"'{cleaned}' is not an amount; type digits such as 12.50.")
    if len(fraction) > places:
        if places == 0:
            raise ValidationError(
                f"{currency.upper()} amounts are whole numbers, without decimals."
            )
        raise ValidationError(f"{currency.upper()} amounts have at most {places} decimals.")
    minor = int(integer or "0") * 10**places + int(fraction.ljust(places, "0") or "0")
    return -minor if negative else minor


def _split(body: str, places: int) -> tuple[str | None, str]:
    """Integer digits and fraction digits of `body`, or (None, "") when it is not a number.

    The last "." or "," is the decimal mark, unless it can only be a thousands separator:
    a mark that repeats ("1,234,567"), or a single one followed by three digits in a currency
    without decimals ("1,200" JPY). "1.234" EUR stays a decimal mark and is then refused for
    having three decimals: guessing thousands there could refund a thousand times too much.
    """
    if not _ALLOWED.match(body):
        return None, ""
    marks = {c for c in body if c in ".,"}
    last = max(body.rfind("."), body.rfind(","))
    decimal_mark: str | None = None
    if len(marks) == 2:
        decimal_mark = body[last]
    elif len(marks) == 1:
        mark = marks.pop()
        tail = body[last + 1 :]
        looks_grouped = len(tail) == 3 and _GROUPED.match(body) is not None
        if body.count(mark) == 1 and not (looks_grouped and places == 0):
            decimal_mark = mark
    head, tail = body.rsplit(decimal_mark, 1) if decimal_mark else (body, "")
    if decimal_mark and not tail.isdigit():
        return None, ""
    if head and not head.isdigit():
        grouped = _GROUPED.match(head)
        if grouped is None or grouped.group("sep") == decimal_mark:
            return None, ""
    return re.sub(r"\D", "", head), tail


def format_amount(minor: int, currency: str) -> str:
    """A readable amount: "€12.50", "¥1,200", "-$3.00", "KWD 1.500", "CHF 1,234.00"."""
    code = currency.upper()
    places = exponent(code)
    value = to_decimal(abs(minor), code)
    number = f"{value:,.{places}f}"
    sign = "-" if minor < 0 else ""
    symbol = _SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{code} {number}"
