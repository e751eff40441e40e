"""The shape oracle itself, and the whole demo account held against it through the SDK.

The oracle must catch what Stripe would not send (or the 0 problems below would prove nothing),
so each kind of problem is shown on a body the sandbox served, spoiled one way.
"""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import TEST_KEY
from tests.sandbox.shape_oracle import check, disagreements


def _raw(client: stripe.StripeClient, path: str, **params) -> dict:
    return json.loads(client.raw_request("get", path, **params).body)


@pytest.fixture
def paid_invoice(client: stripe.StripeClient) -> dict:
    customer = client.v1.customers.create(
        {"name": "Zoë", "payment_method": "pm_card_visa",
         "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip
    invoice = client.v1.invoices.create({"customer": customer.id, "currency": "eur"})
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 1250, "description": "Work"}
    )
    client.v1.invoices.pay(invoice.id)
    return _raw(client, f"/v1/invoices/{invoice.id}")


def _spoiled(body: dict, change) -> list[str]:
    spoiled = copy.deepcopy(body)
    change(spoiled)
    return check(spoiled)


def test_a_body_the_sandbox_served_passes(paid_invoice: dict) -> None:
    assert check(paid_invoice) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b.update(subscription=None), "$.subscription: undeclared key on Invoice"),
        (lambda b: b.pop("amount_due"), "$.amount_due: missing (always present on Invoice)"),
        (lambda b: b.update(amount_due="1250"), "$.amount_due: '1250' is not a int"),
        (lambda b: b.update(status="pending"), "$.status: 'pending' is not one of"),
        (lambda b: b.update(status_details=None), "$.status_details: null, but Invoice"),
        (
            lambda b: b.update(customer_address=None) or b.pop("customer_address"),
            "$.customer_address: missing",
        ),
        (
            lambda b: b["lines"]["data"][0]["pricing"].update(unit="x"),
            "$.lines.data[0].pricing.unit: undeclared key on InvoiceLineItem.Pricing",
        ),
        (lambda b: b["lines"].update(total_count=1), "undeclared key 'total_count' on a list"),
        (
            lambda b: b["lines"]["data"][0].update(amount=12.5),
            "$.lines.data[0].amount: 12.5 is not a int",
        ),
    ],  # fmt: skip
)
def test_the_oracle_flags_what_stripe_would_not_send(paid_invoice: dict, change, expected) -> None:
    problems = _spoiled(paid_invoice, change)
    assert any(p.startswith(expected) or expected in p for p in problems), problems


def test_expanded_fields_events_and_deleted_objects_are_held_to_their_own_class(
    client: stripe.StripeClient, paid_invoice: dict
) -> None:
    intents = _raw(client, "/v1/payment_intents", expand=["data.latest_charge"])
    assert check(intents) == []
    assert isinstance(intents["data"][0]["latest_charge"], dict)
    intents["data"][0]["latest_charge"]["paid_at"] = 1
    assert check(intents) == ["$.data[0].latest_charge.paid_at: undeclared key on Charge"]

    event = _raw(client, "/v1/events", type="invoice.paid")["data"][0]
    assert check(event) == []
    assert _spoiled(event, lambda e: e["data"]["object"].update(subscription="sub_1")) == [
        "$.data.object.subscription: undeclared key on Invoice"
    ]
    assert _spoiled(event, lambda e: e["data"].update(previous_attributes={"paid": True})) == [
        "$.data.previous_attributes.paid: undeclared key on Invoice"
    ]
    assert check({"id": "cus_1", "object": "customer", "deleted": True}) == []
    assert check({"id": "cus_1", "object": "customer", "deleted": True, "name": "x"}) == [
        "$.name: undeclared key on a deleted customer"
    ]
    assert check({"object": "invoice_thing", "id": "x"}) == [
        "$: unknown object type 'invoice_thing'"
    ]


def test_error_bodies_are_held_to_stripes_error_object(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(
            {"amount": 500, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True,
             "return_url": "https://shop.example/return"}
        )  # fmt: skip
    body = caught.value.json_body
    assert body["error"]["payment_intent"]["status"] == "requires_payment_method"
    assert check(body) == []
    assert _spoiled(body, lambda b: b["error"].update(reason="x")) == [
        "error.reason: undeclared key on ErrorObject"
    ]


def test_where_pythons_optional_is_ambiguous_node_decides() -> None:
    notes = disagreements(["invoice", "refund"])
    assert {"Invoice.status_details", "Invoice.payments", "Refund.description"} <= set(
        notes["left out, never null"]
    )
    assert "Invoice.customer_address" in notes["present, nullable"]
    assert notes["Python only"] == notes["node only"] == []  # the two SDKs name the same fields


# -- the demo account ----------------------------------------------------------------------------
# Every list the demo account serves, expanded as clients expand it (the app's invoice detail asks
# for `payments`; mirrors ask for the fields Stripe includes only when expanded).
LISTS = {
    "/v1/customers": {"expand": ["data.subscriptions", "data.tax_ids", "data.sources"]},
    "/v1/products": {},
    "/v1/prices": {"expand": ["data.currency_options", "data.tiers"]},
    "/v1/subscriptions": {
        "status": "all",
        "expand": ["data.latest_invoice.confirmation_secret", "data.default_payment_method"],
    },
    "/v1/invoices": {"expand": ["data.payments", "data.confirmation_secret"]},
    "/v1/invoiceitems": {},
    "/v1/invoice_payments": {"expand": ["data.payment.payment_intent"]},
    "/v1/payment_intents": {"expand": ["data.latest_charge", "data.payment_method"]},
    "/v1/charges": {"expand": ["data.balance_transaction", "data.refunds"]},
    "/v1/refunds": {"expand": ["data.charge"]},
    "/v1/balance_transactions": {},
    "/v1/credit_notes": {},
    "/v1/payment_methods": {},
    "/v1/webhook_endpoints": {},
    "/v1/events": {},
}


def test_the_demo_account_has_no_shape_problem() -> None:
    with Sandbox(seed="demo") as sandbox:
        client = stripe.StripeClient(TEST_KEY, base_addresses={"api": sandbox.url})
        problems: list[str] = []
        kinds: Counter[str] = Counter()
        for path, params in LISTS.items():
            after = None
            while True:
                page = _raw(client, path, limit=100, **params,
                            **({"starting_after": after} if after else {}))  # fmt: skip
                problems += [f"{path}: {p}" for p in check(page)]
                kinds.update(obj["object"] for obj in page["data"])
                if not page["has_more"]:
                    break
                after = page["data"][-1]["id"]
        invoice = next(
            i for i in _raw(client, "/v1/invoices", limit=100)["data"] if i["lines"]["data"]
        )
        sub = _raw(client, "/v1/subscriptions", limit=1)["data"][0]
        note = _raw(client, "/v1/credit_notes", limit=1)["data"][0]
        for extra in (
            f"/v1/invoices/{invoice['id']}/lines",
            f"/v1/subscription_items?subscription={sub['id']}",
            f"/v1/credit_notes/{note['id']}/lines",
            f"/v1/customers/{invoice['customer']}/payment_methods",
            "/v1/account",
            "/v1/accounts",
            "/v1/balance",
        ):
            problems += [f"{extra}: {p}" for p in check(_raw(client, extra))]
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems[:60])
    assert kinds["customer"] >= 36 and kinds["invoice"] > 300 and kinds["event"] > 100
    assert set(kinds) >= {"payment_intent", "charge", "refund", "invoice_payment", "credit_note"}
