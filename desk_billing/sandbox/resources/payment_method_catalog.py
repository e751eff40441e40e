"""Stripe's test payment methods (cards, SEPA Direct Debit) and how each behaves when charged.

Behaviour follows Stripe's "Testing" page: the `chargeDeclined*` cards "can't be attached to a
Customer object" (the attach is declined), while `pm_card_chargeCustomerFail` attaches and then
fails every charge. SEPA test ids (`pm_success_de`, `pm_successDelayed_at`, …) and IBANs come from
"Accept a SEPA Direct Debit payment". A payment method's test behaviour is found again from its
fingerprint (`behaviour`), so nothing hidden is stored on the object.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..errors import card_error, invalid, missing

Decline = tuple[str, str | None, str]


GENERIC = ("card_declined", "generic_decline", "Your card was declined.")


INSUFFICIENT = ("card_declined", "insufficient_funds", "Your card has insufficient funds.")


LOST = ("card_declined", "lost_card", "Your card was declined.")


STOLEN = ("card_declined", "stolen_card", "Your card was declined.")


EXPIRED = ("expired_card", None, "Your card has expired.")


CVC = ("incorrect_cvc", None, "Your card's security code is incorrect.")


PROCESSING = (
    "processing_error",
    None,
    "An error occurred while processing your card. Try again in a little bit.",
)


AUTH_REQUIRED = (
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)


SEPA_INSUFFICIENT = (
    "insufficient_funds",
    None,
    "The account has insufficient funds to cover this payment.",
)


# `generic_decline` is a decline code, not one of this version's error codes
SEPA_FAILED = (
    "payment_method_provider_decline",
    "generic_decline",
    "The bank declined this debit.",
)


SEPA_DELAY = 1


SEPA_DELAY_LONG = 180


@dataclass(frozen=True)
class TestMethod:
    """How one of Stripe's test payment methods behaves."""

    name: str
    type: str = "card"
    brand: str = "visa"
    last4: str = "4242"
    country: str = "US"
    funding: str = "credit"
    decline: Decline | None = None  # every charge fails like this
    attachable: bool = True  # False: attaching it to a customer is declined
    three_ds: str | None = None  # "always": every payment; "on_session": on-session ones only
    off_session_decline: Decline | None = None  # off-session payments fail like this (3DS cards)
    refund: str | None = None  # "pending" (pendingRefund) or "fail" (refundFail)
    settle_after: int = 0  # SEPA: seconds before the debit settles
    bank_code: str = ""

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()[:16]


def _card(name: str, **kw: Any) -> TestMethod:
    return TestMethod(name=name, **kw)


_CARDS = [
    _card("pm_card_visa"),
    _card("pm_card_visa_debit", last4="5556", funding="debit"),
    _card("pm_card_mastercard", brand="mastercard", last4="4444"),
    _card("pm_card_mastercard_debit", brand="mastercard", last4="8210", funding="debit"),
    _card("pm_card_mastercard_prepaid", brand="mastercard", last4="5100", funding="prepaid"),
    _card("pm_card_amex", brand="amex", last4="8431"),
    _card("pm_card_discover", brand="discover", last4="1117"),
    _card("pm_card_jcb", brand="jcb", last4="0505", country="JP"),
    _card("pm_card_de", last4="0016", country="DE"),
    _card("pm_card_chargeDeclined", last4="0002", decline=GENERIC, attachable=False),
    _card(
        "pm_card_chargeDeclinedInsufficientFunds",
        last4="9995",
        decline=INSUFFICIENT,
        attachable=False,
    ),
    _card("pm_card_chargeDeclinedLostCard", last4="9987", decline=LOST, attachable=False),
    _card("pm_card_chargeDeclinedStolenCard", last4="9979", decline=STOLEN, attachable=False),
    _card("pm_card_chargeDeclinedExpiredCard", last4="0069", decline=EXPIRED, attachable=False),
    _card("pm_card_chargeDeclinedIncorrectCvc", last4="0127", decline=CVC, attachable=False),
    _card(
        "pm_card_chargeDeclinedProcessingError", last4="0119", decline=PROCESSING, attachable=False
    ),
    _card("pm_card_chargeCustomerFail", last4="0341", decline=GENERIC),
    _card(
        "pm_card_authenticationRequired",
        last4="3184",
        three_ds="always",
        off_session_decline=AUTH_REQUIRED,
    ),
    _card(
        "pm_card_authenticationRequiredOnSetup",
        last4="3155",
        three_ds="always",
        off_session_decline=AUTH_REQUIRED,
    ),
    _card("pm_card_authenticationRequiredSetupForOffSession", last4="0446", three_ds="on_session"),
    _card(
        "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
        last4="3178",
        three_ds="on_session",
        decline=INSUFFICIENT,
    ),
    _card("pm_card_pendingRefund", last4="7726", refund="pending"),
    _card("pm_card_refundFail", last4="5126", refund="fail"),
]


_ALIASES = {
    "pm_card_visa_chargeDeclined": "pm_card_chargeDeclined",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_visa_chargeDeclinedLostCard": "pm_card_chargeDeclinedLostCard",
    "pm_card_visa_chargeDeclinedStolenCard": "pm_card_chargeDeclinedStolenCard",
}


_SEPA = {
    "de": ("37040044", ["DE89370400440532013000", "DE08370400440532013003", "DE62370400440532013001",
                        "DE78370400440532013004", "DE35370400440000002222"]),
    "at": ("19043", ["AT611904300234573201", "AT321904300235473204", "AT861904300235473202",
                     "AT051904300235473205", "AT981904300002222227"]),
}  # fmt: skip


_SEPA_KINDS = [
    ("success", None, SEPA_DELAY),
    ("successDelayed", None, SEPA_DELAY_LONG),
    ("failed", SEPA_FAILED, SEPA_DELAY),
    ("failedDelayed", SEPA_FAILED, SEPA_DELAY_LONG),
    ("insufficientFunds", SEPA_INSUFFICIENT, SEPA_DELAY),
]


IBANS: dict[str, str] = {}


"""Test IBAN -> the name of its test payment method."""


for _country, (_bank, _ibans) in _SEPA.items():
    for (_kind, _decline, _delay), _iban in zip(_SEPA_KINDS, _ibans, strict=True):
        _name = f"pm_{_kind}_{_country}"
        _CARDS.append(
            TestMethod(
                name=_name,
                type="sepa_debit",
                last4=_iban[-4:],
                country=_country.upper(),
                decline=_decline,
                settle_after=_delay,
                bank_code=_bank,
            )
        )
        IBANS[_iban] = _name


TEST_PAYMENT_METHODS: dict[str, TestMethod] = {m.name: m for m in _CARDS}


TEST_PAYMENT_METHODS.update({alias: TEST_PAYMENT_METHODS[name] for alias, name in _ALIASES.items()})


_BY_FINGERPRINT = {m.fingerprint: m for m in _CARDS}


CARD_NUMBERS = {
    "4242424242424242": "pm_card_visa",
    "4000056655665556": "pm_card_visa_debit",
    "5555555555554444": "pm_card_mastercard",
    "5200828282828210": "pm_card_mastercard_debit",
    "5105105105105100": "pm_card_mastercard_prepaid",
    "378282246310005": "pm_card_amex",
    "371449635398431": "pm_card_amex",
    "6011111111111117": "pm_card_discover",
    "3566002020360505": "pm_card_jcb",
    "4000002760000016": "pm_card_de",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
    "4000000000009987": "pm_card_chargeDeclinedLostCard",
    "4000000000009979": "pm_card_chargeDeclinedStolenCard",
    "4000000000000069": "pm_card_chargeDeclinedExpiredCard",
    "4000000000000127": "pm_card_chargeDeclinedIncorrectCvc",
    "4000000000000119": "pm_card_chargeDeclinedProcessingError",
    "4000000000000341": "pm_card_chargeCustomerFail",
    "4000002760003184": "pm_card_authenticationRequired",
    "4000002500003155": "pm_card_authenticationRequiredOnSetup",
    "4000003800000446": "pm_card_authenticationRequiredSetupForOffSession",
    "4000008260003178": "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
    "4000000000007726": "pm_card_pendingRefund",
    "4000000000005126": "pm_card_refundFail",
}


DISPLAY_BRAND = {"amex": "american_express"}


def behaviour(pm: dict[str, Any]) -> TestMethod:
    """The test behaviour of a payment method object (a plain Visa when it is not a test one)."""
    details = pm.get(pm["type"]) or {}
    found = _BY_FINGERPRINT.get(details.get("fingerprint", ""))
    return (
        found
        or TEST_PAYMENT_METHODS["pm_success_de" if pm["type"] == "sepa_debit" else "pm_card_visa"]
    )


def luhn(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def method_for_card(card: dict[str, Any]) -> TestMethod:
    token = card.get("token")
    if token:
        name = "pm_card_" + token.removeprefix("tok_")
        if name not in TEST_PAYMENT_METHODS:
            raise missing("token", token, param="card[token]")
        return TEST_PAYMENT_METHODS[name]
    number = str(card.get("number") or "").replace(" ", "")
    if not number:
        raise invalid(
            "Missing required param: card[number].", param="card[number]", code="parameter_missing"
        )
    if not number.isdigit() or not luhn(number):
        raise card_error(
            "Your card number is incorrect.", code="incorrect_number", param="card[number]"
        )
    if number in CARD_NUMBERS:
        return TEST_PAYMENT_METHODS[CARD_NUMBERS[number]]
    brand = {"4": "visa", "5": "mastercard", "2": "mastercard", "3": "amex", "6": "discover"}.get(
        number[0], "visa"
    )
    return TestMethod(name=f"card_{number}", brand=brand, last4=number[-4:])
