"""Payment methods, payment intents and charges in the sandbox, through the official SDK over HTTP."""

from __future__ import annotations

import json
import urllib.request

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from desk_billing.sandbox.resources import (
    payment_attempts,
    payment_method_catalog,
    payment_methods,
)
from tests.sandbox.conftest import NO_REDIRECTS, assert_shape


def _customer(client: stripe.StripeClient, **params: object) -> stripe.Customer:
    return client.v1.customers.create({"name": "Ada Lovelace", **params})


def _pay(
    client: stripe.StripeClient, pm: str = "pm_card_visa", **params: object
) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "payment_method": pm,
            "confirm": True,
            **NO_REDIRECTS,
            **params,
        }
    )


def _event_types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list({"limit": 100}).data)]


# -- payment methods ------------------------------------------------------------------------------
def test_test_id_makes_a_fresh_payment_method_each_time(client: stripe.StripeClient) -> None:
    first = client.v1.payment_methods.retrieve("pm_card_visa")
    second = client.v1.payment_methods.retrieve("pm_card_visa")
    assert first.id.startswith("pm_") and first.id != second.id and first.id != "pm_card_visa"
    assert (first.type, first.card.brand, first.card.last4, first.customer) == (
        "card",
        "visa",
        "4242",
        None,
    )
    assert first.card.fingerprint == second.card.fingerprint
    assert_shape(first)
    master = client.v1.payment_methods.retrieve("pm_card_mastercard")
    assert (master.card.brand, master.card.last4) == ("mastercard", "4444")


def test_create_attach_list_and_detach(client: stripe.StripeClient) -> None:
    customer = _customer(client)
    card = client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2031, "cvc": "123"},
        }
    )
    assert (card.card.exp_month, card.card.exp_year, card.card.last4) == (4, 2031, "4242")
    attached = client.v1.payment_methods.attach(card.id, {"customer": customer.id})
    assert attached.customer == customer.id
    other = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    sepa = client.v1.payment_methods.create(
        {
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "Jenny Rosen", "email": "jenny@example.com"},
        }
    )
    assert (sepa.type, sepa.sepa_debit.last4, sepa.sepa_debit.country) == (
        "sepa_debit",
        "3000",
        "DE",
    )
    client.v1.payment_methods.attach(sepa.id, {"customer": customer.id})
    listed = client.v1.customers.payment_methods.list(customer.id)
    assert [p.id for p in listed.data] == [sepa.id, other.id, card.id]
    assert listed.url == f"/v1/customers/{customer.id}/payment_methods"
    cards = client.v1.payment_methods.list({"customer": customer.id, "type": "card"})
    assert [p.id for p in cards.data] == [other.id, card.id]
    assert client.v1.customers.payment_methods.retrieve(customer.id, card.id).id == card.id
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": card.id}}
    )
    detached = client.v1.payment_methods.detach(card.id)
    assert detached.customer is None
    # Detaching the default payment method clears it from the customer.
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_methods.detach(card.id)
    assert "not attached to a customer" in caught.value.user_message
    detach_event = client.v1.events.list({"type": "payment_method.detached"}).data[0]
    assert detach_event.data.previous_attributes.customer == customer.id


def test_declining_cards_cannot_be_attached_but_charge_customer_fail_can(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client)
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": customer.id})
    error = caught.value
    assert (error.http_status, error.code, error.error.decline_code) == (
        402,
        "card_declined",
        "generic_decline",
    )
    assert error.error.type == "card_error"
    assert client.v1.payment_methods.list({"customer": customer.id}).data == []
    failing = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": customer.id}
    )
    assert failing.customer == customer.id
    with pytest.raises(stripe.CardError) as caught:
        _pay(client, failing.id, customer=customer.id, off_session=True)
    assert caught.value.error.decline_code == "generic_decline"


def test_unknown_payment_method_and_customer_are_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_methods.retrieve("pm_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.user_message == "No such PaymentMethod: 'pm_nope'"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_methods.attach("pm_card_visa", {"customer": "cus_nope"})
    assert (caught.value.http_status, caught.value.param) == (404, "customer")


def test_attach_and_default_from_python(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"payment_method": "pm_card_visa"})
    state = sandbox.state
    assert payment_methods.default_payment_method(state, customer.id) is None
    pm = client.v1.payment_methods.list({"customer": customer.id}).data[0]
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    assert payment_methods.default_payment_method(state, customer.id) == pm.id
    with state.lock:
        again = payment_methods.attach_payment_method(state, pm.id, customer.id)
    assert again["id"] == pm.id
    assert (
        "pm_card_visa" in payment_method_catalog.TEST_PAYMENT_METHODS
        and "pm_success_de" in payment_method_catalog.TEST_PAYMENT_METHODS
    )


# -- payment intents ------------------------------------------------------------------------------
def test_successful_payment_and_shapes(client: stripe.StripeClient) -> None:
    customer = _customer(client)
    pi = _pay(client, customer=customer.id, description="Order 17", metadata={"order": "17"})
    assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 2000, 0)
    assert pi.capture_method == "automatic_async"
    assert pi.payment_method_types == ["card"]
    assert pi.client_secret.startswith(pi.id + "_secret_")
    assert_shape(pi)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.id.startswith("ch_")
    assert (charge.status, charge.paid, charge.captured, charge.amount_captured) == (
        "succeeded",
        True,
        True,
        2000,
    )
    assert (charge.payment_intent, charge.customer, charge.description) == (
        pi.id,
        customer.id,
        "Order 17",
    )
    assert charge.metadata.to_dict() == {"order": "17"}
    assert (
        charge.outcome.type == "authorized"
        and charge.outcome.network_status == "approved_by_network"
    )
    assert charge.payment_method_details.type == "card"
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.balance_transaction.startswith("txn_")
    assert "refunds" not in charge.to_dict()  # included only when expanded, since 2022-11-15
    assert_shape(charge)
    expanded = client.v1.payment_intents.retrieve(
        pi.id, {"expand": ["latest_charge", "customer", "payment_method"]}
    )
    assert expanded.latest_charge.id == charge.id and expanded.customer.id == customer.id
    listed = client.v1.payment_intents.list({"expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.amount == 2000
    txn = client.v1.charges.retrieve(
        charge.id, {"expand": ["balance_transaction"]}
    ).balance_transaction
    assert_shape(txn)
    assert txn.amount == 2000 and txn.net == 2000 - txn.fee
    assert _event_types(client)[-3:] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


@pytest.mark.parametrize(
    ("pm", "decline_code", "message"),
    [
        ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeDeclinedLostCard", "lost_card", "Your card was declined."),
    ],
)
def test_declines_answer_402_and_leave_a_failed_charge(
    client: stripe.StripeClient, pm: str, decline_code: str, message: str
) -> None:
    with pytest.raises(stripe.CardError) as caught:
        _pay(client, pm)
    error = caught.value
    assert error.http_status == 402
    assert (error.error.type, error.code, error.error.decline_code, error.user_message) == (
        "card_error",
        "card_declined",
        decline_code,
        message,
    )
    pi = error.error.payment_intent
    assert pi.status == "requires_payment_method"
    assert pi.payment_method is None
    assert pi.last_payment_error.decline_code == decline_code
    assert pi.last_payment_error.payment_method.id == error.error.payment_method.id
    stored = client.v1.payment_intents.retrieve(pi.id)
    assert stored.status == "requires_payment_method" and stored.latest_charge == error.error.charge
    charge = client.v1.charges.retrieve(error.error.charge)
    assert (charge.status, charge.paid, charge.failure_code, charge.failure_message) == (
        "failed",
        False,
        "card_declined",
        message,
    )
    assert charge.outcome.type == "issuer_declined" and charge.outcome.reason == decline_code
    assert charge.balance_transaction is None
    assert _event_types(client)[-3:] == [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
    ]
    # A new payment method can be tried on the same intent.
    retried = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded" and retried.last_payment_error is None


def test_confirming_with_automatic_payment_methods_needs_a_return_url(
    client: stripe.StripeClient,
) -> None:
    params = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa"}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({**params, "confirm": True})
    assert (caught.value.http_status, caught.value.param) == (400, "return_url")
    assert "you must provide a `return_url`" in caught.value.user_message
    assert client.v1.payment_intents.list().data == []  # refused: nothing was created
    pending = client.v1.payment_intents.create(params)
    with pytest.raises(stripe.InvalidRequestError, match="return_url"):
        client.v1.payment_intents.confirm(pending.id)
    back = client.v1.payment_intents.confirm(pending.id, {"return_url": "https://shop.example/x"})
    assert back.status == "succeeded"
    never = client.v1.payment_intents.create({**params, "confirm": True, **NO_REDIRECTS})
    assert never.automatic_payment_methods.allow_redirects == "never"
    assert never.status == "succeeded"
    cards = client.v1.payment_intents.create(
        {**params, "confirm": True, "allowed_payment_method_types": ["card"]}
    )
    assert (cards.status, cards.allowed_payment_method_types) == ("succeeded", ["card"])


def test_three_d_secure_on_session_requires_action_then_authenticates(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    pi = _pay(client, "pm_card_authenticationRequired")
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    assert pi.latest_charge is None
    assert _event_types(client)[-1] == "payment_intent.requires_action"
    redirect = _pay(client, "pm_card_authenticationRequired", return_url="https://example.com/back")
    assert redirect.next_action.type == "redirect_to_url"
    assert redirect.next_action.redirect_to_url.return_url == "https://example.com/back"
    # The customer completes the challenge on the sandbox's 3-D Secure page.
    request = urllib.request.Request(
        redirect.next_action.redirect_to_url.url, data=b"", method="POST"
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["status"] == "succeeded"
    done = client.v1.payment_intents.retrieve(redirect.id, {"expand": ["latest_charge"]})
    assert done.status == "succeeded"
    assert done.latest_charge.payment_method_details.card.three_d_secure.result == "authenticated"
    # Failing the challenge leaves the intent needing a new payment method.
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{sandbox.url}/_sandbox/authenticate/{pi.id}?outcome=fail", method="GET"
        )
    ) as response:
        failed = json.loads(response.read())
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"


def test_three_d_secure_off_session_is_declined_authentication_required(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client)
    pm = client.v1.payment_methods.attach(
        "pm_card_authenticationRequired", {"customer": customer.id}
    )
    with pytest.raises(stripe.CardError) as caught:
        _pay(client, pm.id, customer=customer.id, off_session=True)
    error = caught.value
    assert (error.code, error.error.decline_code) == (
        "authentication_required",
        "authentication_required",
    )
    assert error.user_message == "Your card was declined. This transaction requires authentication."
    assert error.error.payment_intent.status == "requires_payment_method"
    assert client.v1.charges.retrieve(error.error.charge).failure_code == "authentication_required"


def test_sepa_debit_processes_then_succeeds_when_time_passes(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    customer = _customer(client)
    settled: list[str] = []

    def listen(state, pi) -> None:
        settled.append(pi["status"])

    payment_attempts.ON_PAYMENT_SETTLED.append(listen)
    try:
        pi = client.v1.payment_intents.create(
            {"amount": 4990, "currency": "eur", "customer": customer.id, "payment_method": "pm_successDelayed_de",
             "confirm": True, **NO_REDIRECTS, "off_session": True}
        )  # fmt: skip
        assert pi.status == "processing"
        assert pi.payment_method_types == ["card", "sepa_debit"]
        charge = client.v1.charges.retrieve(pi.latest_charge)
        assert charge.id.startswith("py_")
        assert (charge.status, charge.paid, charge.balance_transaction) == ("pending", False, None)
        assert charge.payment_method_details.type == "sepa_debit"
        assert _event_types(client)[-2:] == ["charge.pending", "payment_intent.processing"]
        sandbox.advance_time(seconds=60)
        assert client.v1.payment_intents.retrieve(pi.id).status == "processing"
        assert settled == []
        sandbox.advance_time(seconds=600)
        pi = client.v1.payment_intents.retrieve(pi.id)
        assert (pi.status, pi.amount_received) == ("succeeded", 4990)
        charge = client.v1.charges.retrieve(pi.latest_charge)
        assert (charge.status, charge.paid) == ("succeeded", True)
        assert charge.balance_transaction.startswith("txn_")
        assert _event_types(client)[-2:] == ["charge.succeeded", "payment_intent.succeeded"]
        assert (
            client.v1.events.list({"type": "charge.succeeded"})
            .data[0]
            .data.previous_attributes.status
            == "pending"
        )
        assert settled == ["succeeded"]
        # A failing debit: processing, then requires_payment_method, and billing hears of it too.
        failing = client.v1.payment_intents.create(
            {
                "amount": 4990,
                "currency": "eur",
                "payment_method": "pm_failed_at",
                "confirm": True,
                **NO_REDIRECTS,
            }
        )
        assert failing.status == "processing"
        sandbox.advance_time(seconds=10)
        failing = client.v1.payment_intents.retrieve(failing.id)
        assert failing.status == "requires_payment_method"
        assert failing.last_payment_error.code == "payment_method_provider_decline"
        assert failing.last_payment_error.decline_code == "generic_decline"
        assert client.v1.charges.retrieve(failing.latest_charge).status == "failed"
        assert settled == ["succeeded", "requires_payment_method"]
    finally:
        payment_attempts.ON_PAYMENT_SETTLED.remove(listen)  # billing's own listener stays


def test_manual_capture_full_and_partial(client: stripe.StripeClient) -> None:
    pi = _pay(client, capture_method="manual")
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 2000, 0)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.status) == (False, 0, "succeeded")
    assert _event_types(client)[-1] == "payment_intent.amount_capturable_updated"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 2001})
    assert (caught.value.code, caught.value.param) == ("amount_too_large", "amount_to_capture")
    captured = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 1500})
    assert (captured.status, captured.amount_received, captured.amount_capturable) == (
        "succeeded",
        1500,
        0,
    )
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.amount) == (True, 1500, 2000)
    event = client.v1.events.list({"type": "charge.captured"}).data[0]
    assert event.data.previous_attributes.to_dict()["captured"] is False
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(pi.id)
    assert caught.value.code == "payment_intent_unexpected_state"
    assert caught.value.user_message.startswith(
        "This PaymentIntent could not be captured because it has a status of succeeded."
    )
    full = client.v1.payment_intents.capture(_pay(client, capture_method="manual").id)
    assert (full.status, full.amount_received) == ("succeeded", 2000)


def test_all_seven_statuses_and_cancel(client: stripe.StripeClient) -> None:
    bare = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert bare.status == "requires_payment_method"
    assert bare.automatic_payment_methods.enabled is True
    ready = client.v1.payment_intents.update(bare.id, {"payment_method": "pm_card_visa"})
    assert ready.status == "requires_confirmation"
    canceled = client.v1.payment_intents.cancel(ready.id, {"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert canceled.canceled_at is not None
    assert _event_types(client)[-1] == "payment_intent.canceled"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.cancel(_pay(client).id)
    error = caught.value
    assert (error.http_status, error.code) == (400, "payment_intent_unexpected_state")
    assert error.user_message == (
        "You cannot cancel this PaymentIntent because it has a status of succeeded. Only a PaymentIntent with "
        "one of the following statuses may be canceled: requires_payment_method, requires_capture, "
        "requires_confirmation, requires_action."
    )
    held = _pay(client, capture_method="manual")
    released = client.v1.payment_intents.cancel(held.id)
    assert (released.status, released.amount_capturable) == ("canceled", 0)
    assert client.v1.charges.retrieve(held.latest_charge).refunded is True
    action = _pay(client, "pm_card_authenticationRequired")
    assert client.v1.payment_intents.cancel(action.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(canceled.id)
    assert caught.value.code == "payment_intent_unexpected_state"


def test_create_validation(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({"amount": 49, "currency": "usd"})
    assert (caught.value.code, caught.value.param) == ("amount_too_small", "amount")
    assert caught.value.user_message == "Amount must be at least $0.50 usd"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({"amount": 49, "currency": "jpy"})
    assert caught.value.user_message == "Amount must be at least ¥50 jpy"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method_types": ["card"]}  # type: ignore[typeddict-unknown-key]
        )
    assert (caught.value.code, caught.value.param) == ("parameter_unknown", "payment_method_types")
    allowed = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "allowed_payment_method_types": ["card"]}
    )
    assert allowed.payment_method_types == ["card"] and allowed.automatic_payment_methods is None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(allowed.id, {"payment_method": "pm_success_de"})
    assert caught.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(allowed.id)
    assert "missing a payment method" in caught.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "customer": "cus_missing"}
        )
    assert (caught.value.http_status, caught.value.param) == (404, "customer")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.update(_pay(client).id, {"amount": 5000})
    assert caught.value.code == "payment_intent_unexpected_state"


def test_zero_and_three_decimal_amounts(client: stripe.StripeClient) -> None:
    yen = client.v1.payment_intents.create(
        {
            "amount": 5000,
            "currency": "jpy",
            "payment_method": "pm_card_visa",
            "confirm": True,
            **NO_REDIRECTS,
        }
    )
    assert (yen.amount_received, yen.currency) == (5000, "jpy")
    assert client.v1.charges.retrieve(yen.latest_charge).amount == 5000
    dinar = client.v1.payment_intents.create(
        {
            "amount": 12345,
            "currency": "kwd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            **NO_REDIRECTS,
        }
    )
    assert client.v1.charges.retrieve(dinar.latest_charge).amount_captured == 12345


def test_charge_list_filters_and_update(client: stripe.StripeClient) -> None:
    alice, bob = _customer(client), _customer(client, name="Bob")
    a = _pay(client, customer=alice.id)
    b = _pay(client, customer=bob.id)
    assert [c.id for c in client.v1.charges.list({"customer": alice.id}).data] == [a.latest_charge]
    assert [c.id for c in client.v1.charges.list({"payment_intent": b.id}).data] == [
        b.latest_charge
    ]
    assert len(client.v1.charges.list({"created": {"gte": 0}}).data) == 2
    assert [p.id for p in client.v1.payment_intents.list({"customer": bob.id}).data] == [b.id]
    updated = client.v1.charges.update(
        a.latest_charge, {"description": "Fixed", "metadata": {"k": "v"}}
    )
    assert updated.description == "Fixed"
    event = client.v1.events.list({"type": "charge.updated"}).data[0]
    assert event.data.previous_attributes.description is None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.charges.retrieve("ch_missing")
    assert caught.value.user_message == "No such charge: 'ch_missing'"
