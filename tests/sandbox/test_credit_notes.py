"""Credit notes through the SDK: before payment they lower what is due, after it they refund."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.conftest import assert_shape


def _paid_and_open(client: stripe.StripeClient) -> tuple[stripe.Invoice, stripe.Invoice]:
    customer = client.v1.customers.create(
        {"name": "Credit Kunde", "payment_method": "pm_card_visa"}
    )
    pm = client.v1.payment_methods.list({"customer": customer.id}).data[0].id
    invoices = []
    for method in ("charge_automatically", "send_invoice"):
        params = {"customer": customer.id, "currency": "eur", "collection_method": method}
        if method == "send_invoice":
            params["days_until_due"] = 30
        invoice = client.v1.invoices.create(params)
        client.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "amount": 5000,
                "currency": "eur",
                "description": "Work",
            }
        )
        invoice = client.v1.invoices.finalize_invoice(invoice.id)
        invoices.append(invoice)
    paid = client.v1.invoices.pay(invoices[0].id, {"payment_method": pm})
    return paid, invoices[1]


def test_credit_note_on_a_paid_invoice_refunds_its_charge(client: stripe.StripeClient) -> None:
    paid, _ = _paid_and_open(client)
    note = client.v1.credit_notes.create(
        {
            "invoice": paid.id,
            "amount": 1500,
            "refund_amount": 1500,
            "reason": "product_unsatisfactory",
        }
    )
    assert_shape(note)
    assert (note.type, note.status, note.total) == ("post_payment", "issued", 1500)
    assert note.number == f"{paid.number}-CN-01"
    refund = client.v1.refunds.retrieve(note.refunds[0].refund)
    assert refund.amount == 1500
    assert client.v1.charges.retrieve(refund.charge).amount_refunded == 1500
    assert client.v1.invoices.retrieve(paid.id).post_payment_credit_notes_amount == 1500
    assert [n.id for n in client.v1.credit_notes.list({"invoice": paid.id}).data] == [note.id]
    line = client.v1.credit_notes.line_items.list(note.id).data[0]
    assert_shape(line)


def test_paid_invoice_credit_must_be_split_and_cannot_exceed_what_was_paid(
    client: stripe.StripeClient,
) -> None:
    paid, _ = _paid_and_open(client)
    with pytest.raises(stripe.InvalidRequestError, match="must equal the credit note amount"):
        client.v1.credit_notes.create({"invoice": paid.id, "amount": 1000})
    with pytest.raises(stripe.InvalidRequestError, match="greater than the amount"):
        client.v1.credit_notes.create({"invoice": paid.id, "amount": 6000, "refund_amount": 6000})
    assert client.v1.credit_notes.list().data == []


def test_credit_note_before_payment_lowers_the_amount_due_and_voiding_restores_it(
    client: stripe.StripeClient,
) -> None:
    _, open_invoice = _paid_and_open(client)
    note = client.v1.credit_notes.create(
        {
            "invoice": open_invoice.id,
            "lines": [
                {
                    "type": "custom_line_item",
                    "unit_amount": 700,
                    "quantity": 2,
                    "description": "Goodwill",
                }
            ],
        }
    )
    assert (note.type, note.total) == ("pre_payment", 1400)
    assert client.v1.invoices.retrieve(open_invoice.id).amount_due == 3600
    client.v1.credit_notes.void_credit_note(note.id)
    assert client.v1.credit_notes.retrieve(note.id).status == "void"
    assert client.v1.invoices.retrieve(open_invoice.id).amount_due == 5000
    types = [e.type for e in client.v1.events.list({"type": "credit_note.*"}).data]
    assert types == ["credit_note.voided", "credit_note.created"]


def test_fully_crediting_an_open_invoice_settles_it(client: stripe.StripeClient) -> None:
    _, open_invoice = _paid_and_open(client)
    client.v1.credit_notes.create({"invoice": open_invoice.id, "amount": 5000})
    assert client.v1.invoices.retrieve(open_invoice.id).status == "paid"
