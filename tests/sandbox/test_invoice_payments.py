"""Invoices and their payments as API version 2026-10-28.endive links them, through the official SDK.

Currency of the guide's one-off invoice, InvoicePayment objects (`invoice.payments`,
`/v1/invoice_payments`, `invoice_payment.paid`), `confirmation_secret`, one payment intent per
invoice however it is paid, and `customer.delinquent`.
"""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.conftest import assert_shape


def _customer(client: stripe.StripeClient, pm: str | None = None) -> stripe.Customer:
    params: dict = {"name": "Zoë Müller", "email": "zoe@example.com"}
    if pm:
        params.update(payment_method=pm, invoice_settings={"default_payment_method": pm})
    return client.v1.customers.create(params)


def _monthly(client: stripe.StripeClient, amount: int, currency: str) -> stripe.Price:
    product = client.v1.products.create({"name": "Plan"})
    return client.v1.prices.create(
        {"product": product.id, "unit_amount": amount, "currency": currency,
         "recurring": {"interval": "month"}}
    )  # fmt: skip


def _types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list({"limit": 100}).data)]


def _intents(client: stripe.StripeClient, customer: str) -> list[stripe.PaymentIntent]:
    return client.v1.payment_intents.list({"customer": customer}).data


def test_the_guides_one_off_invoice_is_in_the_items_currency(client: stripe.StripeClient) -> None:
    customer = _customer(client)
    assert customer.currency is None
    client.v1.invoice_items.create({"customer": customer.id, "amount": 15000, "currency": "eur"})
    assert client.v1.customers.retrieve(customer.id).currency == "eur"
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    assert (invoice.currency, invoice.amount_due, len(invoice.lines.data)) == ("eur", 15000, 1)
    opened = client.v1.invoices.finalize_invoice(invoice.id)
    assert (opened.status, opened.amount_remaining) == ("open", 15000)


def test_an_invoice_without_currency_takes_the_customers_and_includes_only_that_currency(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client)
    first = client.v1.invoice_items.create(
        {"customer": customer.id, "amount": 700, "currency": "gbp", "description": "First"}
    )
    client.v1.invoice_items.create(
        {"customer": customer.id, "amount": 999, "currency": "usd", "description": "Other money"}
    )
    second = client.v1.invoice_items.create(
        {"customer": customer.id, "amount": 300, "currency": "gbp", "description": "Second"}
    )
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    assert invoice.currency == "gbp" and invoice.amount_due == 1000
    # lines keep the order the items were added in
    items = [line.parent.invoice_item_details.invoice_item for line in invoice.lines.data]
    assert items == [first.id, second.id]
    lines = client.v1.invoices.line_items.list(invoice.id).data
    assert [line.description for line in lines] == ["First", "Second"]
    pending = client.v1.invoice_items.list({"customer": customer.id, "pending": True}).data
    assert [i.currency for i in pending] == ["usd"]


def test_a_subscription_sets_the_customers_currency(client: stripe.StripeClient) -> None:
    customer = _customer(client, "pm_card_visa")
    price = _monthly(client, 1500, "jpy")
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    assert client.v1.customers.retrieve(customer.id).currency == "jpy"
    invoice = client.v1.invoices.create({"customer": customer.id})
    assert invoice.currency == "jpy"


def test_finalizing_makes_the_default_invoice_payment_and_paying_settles_it(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client, "pm_card_visa")
    client.v1.invoice_items.create({"customer": customer.id, "amount": 4200, "currency": "eur"})
    draft = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    assert client.v1.invoice_payments.list({"invoice": draft.id}).data == []
    client.v1.invoices.finalize_invoice(draft.id)
    invoice = client.v1.invoices.retrieve(draft.id, {"expand": ["payments", "confirmation_secret"]})
    (record,) = invoice.payments.data
    assert (record.status, record.is_default, record.amount_requested) == ("open", True, 4200)
    assert (record.amount_paid, record.payment.type) == (None, "payment_intent")
    pi = client.v1.payment_intents.retrieve(record.payment.payment_intent)
    assert (pi.amount, pi.currency, pi.status) == (4200, "eur", "requires_payment_method")
    assert invoice.confirmation_secret.client_secret == pi.client_secret
    assert "payments" not in client.v1.invoices.retrieve(draft.id)  # includable: only on request

    paid = client.v1.invoices.pay(draft.id)
    assert paid.status == "paid"
    record = client.v1.invoice_payments.retrieve(record.id)
    assert (record.status, record.amount_paid) == ("paid", 4200)
    assert record.status_transitions.paid_at == paid.status_transitions.paid_at
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert [p.id for p in _intents(client, customer.id)] == [pi.id]  # one intent in all
    assert _types(client)[-4:] == [
        "payment_intent.succeeded",
        "invoice_payment.paid",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    event = client.v1.events.list({"type": "invoice_payment.paid"}).data[0]
    assert event.data.object.id == record.id
    listed = client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": pi.id}}
    ).data
    assert [r.id for r in listed] == [record.id]
    assert client.v1.invoice_payments.list({"status": "open"}).data == []
    assert_shape(record)


def test_a_declined_invoice_is_retried_on_the_same_intent(client: stripe.StripeClient) -> None:
    customer = _customer(client, "pm_card_chargeCustomerFail")
    client.v1.invoice_items.create({"customer": customer.id, "amount": 990, "currency": "eur"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(invoice.id)
    assert client.v1.customers.retrieve(customer.id).delinquent is True
    paid = client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    assert paid.status == "paid" and paid.attempt_count == 2
    (pi,) = _intents(client, customer.id)
    charges = client.v1.charges.list({"payment_intent": pi.id}).data
    assert [c.status for c in charges] == ["succeeded", "failed"]  # two attempts, one intent
    assert client.v1.customers.retrieve(customer.id).delinquent is False


def test_default_incomplete_subscription_is_paid_through_its_invoices_own_intent(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client)
    price = _monthly(client, 2000, "usd")
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "payment_settings": {"save_default_payment_method": "on_subscription"},
            "expand": ["latest_invoice.confirmation_secret", "latest_invoice.payments"],
        }
    )
    assert sub.status == "incomplete"
    invoice = sub.latest_invoice
    assert invoice.status == "open" and invoice.confirmation_secret.type == "payment_intent"
    pi_id = invoice.payments.data[0].payment.payment_intent
    assert invoice.confirmation_secret.client_secret.startswith(f"{pi_id}_secret_")
    confirmed = client.v1.payment_intents.confirm(pi_id, {"payment_method": "pm_card_visa"})
    assert confirmed.status == "succeeded"
    active = client.v1.subscriptions.retrieve(sub.id)
    assert active.status == "active"
    assert active.default_payment_method == confirmed.payment_method  # saved, as asked
    assert client.v1.payment_methods.retrieve(confirmed.payment_method).customer == customer.id
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert [p.id for p in _intents(client, customer.id)] == [pi_id]


def test_paying_a_default_incomplete_first_invoice_uses_its_intent(
    client: stripe.StripeClient,
) -> None:
    customer = _customer(client, "pm_card_visa")
    price = _monthly(client, 2000, "usd")
    sub = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}],
         "payment_behavior": "default_incomplete"}
    )  # fmt: skip
    (pi,) = _intents(client, customer.id)
    assert pi.status == "requires_confirmation"  # the customer's default card is on it
    client.v1.invoices.pay(sub.latest_invoice)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert [(p.id, p.status) for p in _intents(client, customer.id)] == [(pi.id, "succeeded")]


def test_voiding_cancels_the_open_payment(client: stripe.StripeClient) -> None:
    customer = _customer(client, "pm_card_visa")
    client.v1.invoice_items.create({"customer": customer.id, "amount": 990, "currency": "eur"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.invoices.void_invoice(invoice.id)
    (record,) = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    assert record.status == "canceled" and record.status_transitions.canceled_at
    pi = client.v1.payment_intents.retrieve(record.payment.payment_intent)
    assert (pi.status, pi.cancellation_reason) == ("canceled", "void_invoice")


def test_a_paid_send_invoice_invoice_can_be_sent_again(client: stripe.StripeClient) -> None:
    customer = _customer(client)
    client.v1.invoice_items.create({"customer": customer.id, "amount": 990, "currency": "eur"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include",
         "collection_method": "send_invoice", "days_until_due": 14}
    )  # fmt: skip
    client.v1.invoices.send_invoice(invoice.id)
    client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    again = client.v1.invoices.send_invoice(invoice.id)
    assert again.status == "paid"
    assert _types(client)[-1] == "invoice.sent"


def test_an_overdue_invoice_makes_the_customer_delinquent_and_marking_it_uncollectible_clears_it(
    sandbox, client: stripe.StripeClient
) -> None:
    customer = _customer(client)
    client.v1.invoice_items.create({"customer": customer.id, "amount": 990, "currency": "eur"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include",
         "collection_method": "send_invoice", "days_until_due": 3}
    )  # fmt: skip
    client.v1.invoices.send_invoice(invoice.id)
    assert client.v1.customers.retrieve(customer.id).delinquent is False
    sandbox.advance_time(days=4)
    assert client.v1.customers.retrieve(customer.id).delinquent is True
    client.v1.invoices.mark_uncollectible(invoice.id)
    assert client.v1.customers.retrieve(customer.id).delinquent is False
    updates = client.v1.events.list({"type": "customer.updated"}).data
    assert [e.data.previous_attributes.delinquent for e in updates[:2]] == [True, False]
