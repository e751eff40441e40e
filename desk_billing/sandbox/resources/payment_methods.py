"""Payment methods: Stripe's test ids (cards, SEPA Direct Debit), create, attach, detach, list.

Behaviour follows Stripe's "Testing" page: `pm_card_*` ids make a fresh `pm_…` object each time
they are used; the `chargeDeclined*` cards "can't be attached to a Customer object" (the attach is
declined), while `pm_card_chargeCustomerFail` attaches and then fails every charge. SEPA test ids
(`pm_success_de`, `pm_successDelayed_at`, …) come from "Accept a SEPA Direct Debit payment".
A payment method's test behaviour is found again from its fingerprint, so nothing hidden is stored.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from ..common import require
from ..errors import ApiError, card_error, invalid, missing
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State

# (code, decline_code, message) of a decline, as Stripe's card errors carry them.
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
SEPA_FAILED = ("generic_decline", None, "The bank declined this debit.")

# Sandbox seconds a SEPA debit stays `processing`: Stripe's "delayed" ids take at least three
# minutes; the others settle "shortly" - here at the next advance of sandbox time.
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

# Stripe also names the decline cards with a `visa_` infix (`pm_card_visa_chargeDeclined`).
_ALIASES = {
    "pm_card_visa_chargeDeclined": "pm_card_chargeDeclined",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_visa_chargeDeclinedLostCard": "pm_card_chargeDeclinedLostCard",
    "pm_card_visa_chargeDeclinedStolenCard": "pm_card_chargeDeclinedStolenCard",
}

# SEPA test IBANs, by country: (IBAN, bank code) for success, successDelayed, failed, failedDelayed,
# insufficientFunds ("Accept a SEPA Direct Debit payment" → Test your integration).
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

# Test card numbers -> the test payment method they behave like.
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

_DISPLAY_BRAND = {"amex": "american_express"}


def behaviour(pm: dict[str, Any]) -> TestMethod:
    """The test behaviour of a payment method object (a plain Visa when it is not a test one)."""
    details = pm.get(pm["type"]) or {}
    found = _BY_FINGERPRINT.get(details.get("fingerprint", ""))
    return (
        found
        or TEST_PAYMENT_METHODS["pm_success_de" if pm["type"] == "sepa_debit" else "pm_card_visa"]
    )


def _billing_details(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    address = value.get("address") or {}
    return {
        "address": {
            k: address.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "email": value.get("email") or None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
        "tax_id": value.get("tax_id") or None,
    }


def build(state: State, method: TestMethod, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new payment method object that behaves like `method` (stored and announced by the caller)."""
    params = params or {}
    year = datetime.datetime.fromtimestamp(state.now(), datetime.UTC).year
    billing = params.get("billing_details")
    obj: dict[str, Any] = {
        "id": state.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": params.get("allow_redisplay", "unspecified"),
        "billing_details": _billing_details(billing),
        "card": None,  # every fixture key is present; null unless the type is card
        "created": state.now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        "type": method.type,
    }
    if method.type == "card":
        card = params.get("card") or {}
        obj["card"] = {
            "brand": method.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": method.country,
            "display_brand": _DISPLAY_BRAND.get(method.brand, method.brand),
            "exp_month": int(card.get("exp_month") or 12),
            "exp_year": int(card.get("exp_year") or year + 3),
            "fingerprint": method.fingerprint,
            "funding": method.funding,
            "generated_from": None,
            "last4": method.last4,
            "networks": {"available": [method.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        }
    else:
        if not billing:
            obj["billing_details"] = _billing_details(
                {"name": "Jenny Rosen", "email": "jenny@example.com"}
            )
        obj["sepa_debit"] = {
            "bank_code": method.bank_code,
            "branch_code": "",
            "country": method.country,
            "fingerprint": method.fingerprint,
            "generated_from": {"charge": None, "setup_attempt": None},
            "last4": method.last4,
        }
    return obj


def create_from_test_id(state: State, test_id: str) -> dict[str, Any]:
    """A fresh `pm_…` object from one of Stripe's test ids, as Stripe makes one per use."""
    pm = state.insert("payment_methods", build(state, TEST_PAYMENT_METHODS[test_id]))
    return pm


def resolve(state: State, pm_id: str, *, param: str = "payment_method") -> dict[str, Any]:
    """An existing payment method, or a fresh one made from a test id; Stripe's 404 otherwise."""
    if pm_id in TEST_PAYMENT_METHODS:
        return create_from_test_id(state, pm_id)
    pm = state.get("payment_methods", pm_id)
    if pm is None:
        raise ApiError(
            404,
            f"No such PaymentMethod: '{pm_id}'",
            code="resource_missing",
            param=param,
        )
    return pm


def attach_payment_method(state: State, pm_id: str, customer_id: str) -> dict[str, Any]:
    """Attach a payment method (or a fresh one made from a test id) to a customer, as Stripe does."""
    customer = require(state, "customers", customer_id, "customer", param="customer")
    test = TEST_PAYMENT_METHODS.get(pm_id)
    if test is not None and not test.attachable and test.decline:
        code, decline_code, message = test.decline  # declined before any payment method is kept
        raise card_error(message, code=code, decline_code=decline_code)
    pm = resolve(state, pm_id)
    if pm["customer"] == customer["id"]:
        return pm
    if pm["customer"] is not None:
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    method = behaviour(pm)
    if not method.attachable and method.decline:
        code, decline_code, message = method.decline
        raise card_error(message, code=code, decline_code=decline_code)
    previous = state.update(pm, {"customer": customer["id"]})
    state.emit("payment_method.attached", pm, previous)
    return pm


def default_payment_method(state: State, customer_id: str) -> str | None:
    """The customer's `invoice_settings.default_payment_method`, or None."""
    customer = state.get("customers", customer_id)
    if customer is None:
        return None
    return (customer.get("invoice_settings") or {}).get("default_payment_method") or None


def detach_payment_method(state: State, pm: dict[str, Any]) -> dict[str, Any]:
    if pm["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            param="payment_method",
        )
    customer = state.get("customers", pm["customer"])
    previous = state.update(pm, {"customer": None})
    state.emit("payment_method.detached", pm, previous)
    if customer and default_payment_method(state, customer["id"]) == pm["id"]:
        settings = {**customer["invoice_settings"], "default_payment_method": None}
        changed = state.update(customer, {"invoice_settings": settings})
        state.emit("customer.updated", customer, changed)
    return pm


# -- routes -----------------------------------------------------------------------------------
def _luhn(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def _method_for_card(card: dict[str, Any]) -> TestMethod:
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
    if not number.isdigit() or not _luhn(number):
        raise card_error(
            "Your card number is incorrect.", code="incorrect_number", param="card[number]"
        )
    if number in CARD_NUMBERS:
        return TEST_PAYMENT_METHODS[CARD_NUMBERS[number]]
    brand = {"4": "visa", "5": "mastercard", "2": "mastercard", "3": "amex", "6": "discover"}.get(
        number[0], "visa"
    )
    return TestMethod(name=f"card_{number}", brand=brand, last4=number[-4:])


@api.route("post", "/v1/payment_methods")
def create(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    kind = params.get("type")
    if not kind:
        raise invalid("Missing required param: type.", param="type", code="parameter_missing")
    if kind == "card":
        method = _method_for_card(params.get("card") or {})
    elif kind == "sepa_debit":
        iban = str((params.get("sepa_debit") or {}).get("iban") or "").replace(" ", "").upper()
        if not iban:
            raise invalid(
                "Missing required param: sepa_debit[iban].",
                param="sepa_debit[iban]",
                code="parameter_missing",
            )
        method = (
            TEST_PAYMENT_METHODS[IBANS[iban]]
            if iban in IBANS
            else TestMethod(
                name=f"iban_{iban}",
                type="sepa_debit",
                last4=iban[-4:],
                country=iban[:2],
                settle_after=SEPA_DELAY,
            )
        )
    else:
        raise invalid(
            f"The payment method type `{kind}` is not available in this sandbox; use card or sepa_debit.",
            param="type",
        )
    pm = state.insert("payment_methods", build(state, method, params))
    if params.get("customer"):
        attach_payment_method(state, pm["id"], params["customer"])
    return pm


@api.route("get", "/v1/payment_methods/{payment_method}")
def retrieve(call: Call) -> dict[str, Any]:
    return resolve(call.state, call.arg("payment_method"))


@api.route("post", "/v1/payment_methods/{payment_method}")
def update(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    pm = resolve(state, call.arg("payment_method"))
    changes: dict[str, Any] = {}
    if "metadata" in params:
        changes["metadata"] = apply_metadata(pm, params["metadata"])
    if "allow_redisplay" in params:
        changes["allow_redisplay"] = params["allow_redisplay"]
    if "billing_details" in params:
        merged = {
            **pm["billing_details"],
            **{k: v or None for k, v in params["billing_details"].items()},
        }
        if "address" in params["billing_details"]:
            merged["address"] = _billing_details(params["billing_details"])["address"]
        changes["billing_details"] = merged
    if "card" in params:
        if pm["type"] != "card":
            raise invalid(
                "You cannot update card details on a payment method that is not a card.",
                param="card",
            )
        card = dict(pm["card"])
        for key in ("exp_month", "exp_year"):
            if key in params["card"]:
                card[key] = int(params["card"][key])
        changes["card"] = card
    previous = state.update(pm, changes)
    if previous:
        state.emit("payment_method.updated", pm, previous)
    return pm


@api.route("post", "/v1/payment_methods/{payment_method}/attach")
def attach(call: Call) -> dict[str, Any]:
    customer = call.params.get("customer")
    if not customer:
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    return attach_payment_method(call.state, call.arg("payment_method"), customer)


@api.route("post", "/v1/payment_methods/{payment_method}/detach")
def detach(call: Call) -> dict[str, Any]:
    return detach_payment_method(call.state, resolve(call.state, call.arg("payment_method")))


def _list(call: Call, customer_id: str | None, url: str) -> dict[str, Any]:
    kind = call.params.get("type")

    def keep(pm: dict[str, Any]) -> bool:
        return (customer_id is None or pm["customer"] == customer_id) and (
            kind is None or pm["type"] == kind
        )

    return paginate(
        call, call.state.collection("payment_methods"), url=url, kind="payment_method", keep=keep
    )


@api.route("get", "/v1/payment_methods")
def list_payment_methods(call: Call) -> dict[str, Any]:
    customer = call.params.get("customer")
    if customer:
        require(call.state, "customers", customer, "customer", param="customer")
    return _list(call, customer, "/v1/payment_methods")


@api.route("get", "/v1/customers/{customer}/payment_methods")
def list_customer_payment_methods(call: Call) -> dict[str, Any]:
    customer = require(call.state, "customers", call.arg("customer"), "customer")
    return _list(call, customer["id"], f"/v1/customers/{customer['id']}/payment_methods")


@api.route("get", "/v1/customers/{customer}/payment_methods/{payment_method}")
def retrieve_customer_payment_method(call: Call) -> dict[str, Any]:
    customer = require(call.state, "customers", call.arg("customer"), "customer")
    pm = call.state.get("payment_methods", call.arg("payment_method"))
    if pm is None or pm["customer"] != customer["id"]:
        raise ApiError(
            404,
            f"No such PaymentMethod: '{call.arg('payment_method')}'",
            code="resource_missing",
            param="id",
        )
    return pm
