"""Refunds in the sandbox, through the official SDK over HTTP: amounts, errors, events, idempotency."""

from __future__ import annotations

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import NO_REDIRECTS, assert_shape


def _paid(
    client: stripe.StripeClient, amount: int = 2000, currency: str = "usd", pm: str = "pm_card_visa"
):
    pi = client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": currency,
            "payment_method": pm,
            "confirm": True,
            **NO_REDIRECTS,
        }
    )
    return pi, pi.latest_charge


def test_partial_then_full_refund_keeps_the_charge_right(client: stripe.StripeClient) -> None:
    pi, charge_id = _paid(client)
    first = client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 500, "reason": "requested_by_customer"}
    )
    assert first.id.startswith("re_")
    assert (first.amount, first.status, first.charge, first.payment_intent) == (
        500,
        "succeeded",
        charge_id,
        pi.id,
    )
    assert first.reason == "requested_by_customer"
    assert first.balance_transaction.startswith("txn_")
    assert_shape(first)
    charge = client.v1.charges.retrieve(charge_id, {"expand": ["refunds"]})
    assert (charge.amount_refunded, charge.refunded) == (500, False)
    assert [r.id for r in charge.refunds.data] == [first.id]
    rest = client.v1.refunds.create({"charge": charge_id})
    assert rest.amount == 1500
    charge = client.v1.charges.retrieve(charge_id, {"expand": ["refunds"]})
    assert (charge.amount_refunded, charge.refunded) == (2000, True)
    assert [r.id for r in charge.refunds.data] == [rest.id, first.id]
    refunded_events = client.v1.events.list({"type": "charge.refunded"}).data
    assert [e.data.object.amount_refunded for e in refunded_events] == [2000, 500]
    assert refunded_events[0].data.previous_attributes.to_dict() == {
        "amount_refunded": 500,
        "refunded": False,
    }
    assert refunded_events[1].data.previous_attributes.to_dict() == {"amount_refunded": 0}
    assert [e.data.object.id for e in client.v1.events.list({"type": "refund.created"}).data] == [
        rest.id,
        first.id,
    ]
    expanded = client.v1.refunds.retrieve(first.id, {"expand": ["charge", "payment_intent"]})
    assert expanded.charge.id == charge_id and expanded.payment_intent.id == pi.id
    txn = client.v1.refunds.retrieve(
        rest.id, {"expand": ["balance_transaction"]}
    ).balance_transaction
    assert (txn.amount, txn.type) == (-1500, "refund")


def test_over_refund_is_refused_and_nothing_is_created(client: stripe.StripeClient) -> None:
    pi, charge_id = _paid(client)
    client.v1.refunds.create({"payment_intent": pi.id, "amount": 1250})
    before = len(client.v1.events.list({"limit": 100}).data)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 800})
    error = caught.value
    assert (error.http_status, error.error.type, error.code, error.param) == (
        400,
        "invalid_request_error",
        "amount_too_large",
        "amount",
    )
    assert (
        error.user_message
        == "Refund amount ($8.00) is greater than unrefunded amount on charge ($7.50)"
    )
    assert len(client.v1.refunds.list({"charge": charge_id}).data) == 1
    assert client.v1.charges.retrieve(charge_id).amount_refunded == 1250
    assert len(client.v1.events.list({"limit": 100}).data) == before
    client.v1.refunds.create({"charge": charge_id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"charge": charge_id, "amount": 1})
    assert caught.value.code == "charge_already_refunded"
    assert caught.value.user_message == f"Charge {charge_id} has already been refunded."


@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_amount_is_refused(client: stripe.StripeClient, amount: int) -> None:
    pi, _ = _paid(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": amount})
    assert (caught.value.param, caught.value.code) == ("amount", "parameter_invalid_integer")


def test_what_cannot_be_refunded(client: stripe.StripeClient) -> None:
    open_pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": open_pi.id})
    assert (
        caught.value.user_message
        == f"This PaymentIntent ({open_pi.id}) does not have a successful charge to refund."
    )
    with pytest.raises(stripe.CardError) as declined:
        _paid(client, pm="pm_card_chargeDeclined")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"charge": declined.value.error.charge})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({})
    assert "payment_intent or charge" in caught.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": "pi_missing"})
    assert (caught.value.http_status, caught.value.param) == (404, "payment_intent")
    pi, _ = _paid(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": pi.id, "reason": "changed_mind"})  # type: ignore[typeddict-item]
    assert caught.value.param == "reason"


def test_zero_and_three_decimal_currencies(client: stripe.StripeClient) -> None:
    yen, _ = _paid(client, 5000, "jpy")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": yen.id, "amount": 6000})
    assert (
        caught.value.user_message
        == "Refund amount (¥6,000) is greater than unrefunded amount on charge (¥5,000)"
    )
    assert client.v1.refunds.create({"payment_intent": yen.id, "amount": 1234}).amount == 1234
    dinar, _ = _paid(client, 12345, "kwd")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": dinar.id, "amount": 12346})
    assert caught.value.user_message == (
        "Refund amount (KWD 12.346) is greater than unrefunded amount on charge (KWD 12.345)"
    )


def test_idempotent_refund_replays_the_first_answer(client: stripe.StripeClient) -> None:
    pi, charge_id = _paid(client)
    options = {"idempotency_key": "refund-order-17"}
    first = client.v1.refunds.create({"payment_intent": pi.id, "amount": 700}, options)
    again = client.v1.refunds.create({"payment_intent": pi.id, "amount": 700}, options)
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert len(client.v1.refunds.list({"payment_intent": pi.id}).data) == 1
    assert client.v1.charges.retrieve(charge_id).amount_refunded == 700
    with pytest.raises(stripe.IdempotencyError):
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 800}, options)


def test_update_list_and_cancel(client: stripe.StripeClient) -> None:
    pi, charge_id = _paid(client)
    other, other_charge = _paid(client)
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 100})
    client.v1.refunds.create({"payment_intent": other.id, "amount": 100})
    updated = client.v1.refunds.update(refund.id, {"metadata": {"ticket": "T-9"}})
    assert updated.metadata.to_dict() == {"ticket": "T-9"}
    event = client.v1.events.list({"type": "refund.updated"}).data[0]
    assert event.data.previous_attributes.metadata.to_dict() == {}
    assert [r.id for r in client.v1.refunds.list({"charge": charge_id}).data] == [refund.id]
    assert len(client.v1.refunds.list({"payment_intent": other.id}).data) == 1
    assert len(client.v1.refunds.list().data) == 2
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.cancel(refund.id)
    assert "requires_action" in caught.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.retrieve("re_missing")
    assert caught.value.user_message == "No such refund: 're_missing'"


def test_pending_refunds_settle_when_time_passes(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    pi, charge_id = _paid(client, pm="pm_card_pendingRefund")
    refund = client.v1.refunds.create({"payment_intent": pi.id})
    assert refund.status == "pending"
    assert client.v1.charges.retrieve(charge_id).refunded is True
    sandbox.advance_time(seconds=600)
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    charge = client.v1.charges.retrieve(charge_id, {"expand": ["refunds"]})
    assert charge.refunds.data[0].status == "succeeded"
    updated = client.v1.events.list({"type": "refund.updated"}).data[0]
    assert updated.data.previous_attributes.status == "pending"
    assert (
        client.v1.events.list({"type": "charge.refund.updated"}).data[0].data.object.id == refund.id
    )
    # SEPA: the debit settles, then its refund is pending until time passes again.
    sepa = client.v1.payment_intents.create(
        {
            "amount": 3000,
            "currency": "eur",
            "payment_method": "pm_success_de",
            "confirm": True,
            **NO_REDIRECTS,
        }
    )
    sandbox.advance_time(seconds=60)
    sepa_refund = client.v1.refunds.create({"payment_intent": sepa.id, "amount": 1000})
    assert sepa_refund.status == "pending"
    sandbox.advance_time(seconds=600)
    assert client.v1.refunds.retrieve(sepa_refund.id).status == "succeeded"


def test_refund_fail_card_fails_later_and_gives_the_money_back(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    pi, charge_id = _paid(client, pm="pm_card_refundFail")
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 900})
    assert refund.status == "succeeded"
    sandbox.advance_time(seconds=600)
    failed = client.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert client.v1.charges.retrieve(charge_id).amount_refunded == 0
    assert client.v1.events.list({"type": "refund.failed"}).data[0].data.object.id == refund.id
