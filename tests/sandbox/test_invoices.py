"""Invoices and invoice items through the official SDK: lifecycle, numbers, lines, amounts, errors, events."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.conftest import assert_shape


def _customer(
    client: stripe.StripeClient, pm: str | None = "pm_card_visa", **extra
) -> stripe.Customer:
    params: dict = {"name": "Zoë Müller", "email": "zoe@example.com", **extra}
    if pm:
        params.update(payment_method=pm, invoice_settings={"default_payment_method": pm})
    return client.v1.customers.create(params=params)


def _draft(
    client: stripe.StripeClient, customer: str, amounts=(1000,), currency="usd", **extra
) -> stripe.Invoice:
    invoice = client.v1.invoices.create(
        params={"customer": customer, "currency": currency, **extra}
    )
    for i, amount in enumerate(amounts):
        client.v1.invoice_items.create(
            params={
                "customer": customer,
                "invoice": invoice.id,
                "amount": amount,
                "description": f"Item {i}",
            }
        )
    return client.v1.invoices.retrieve(invoice.id)


def _events(client: stripe.StripeClient, object_id: str) -> list[str]:
    events = client.v1.events.list(params={"limit": 100}).data
    return [e.type for e in reversed(events) if e.data.object.to_dict().get("id") == object_id]


def _error(excinfo: pytest.ExceptionInfo) -> dict:
    return excinfo.value.json_body["error"]


def test_draft_to_paid_lifecycle(client):
    cus = _customer(client)
    invoice = _draft(client, cus.id, amounts=(1000, 250))
    assert invoice.status == "draft"
    assert invoice.number is None and invoice.invoice_pdf is None
    assert (invoice.subtotal, invoice.total, invoice.amount_due, invoice.amount_remaining) == (
        1250,
        1250,
        1250,
        1250,
    )
    assert invoice.status_transitions.finalized_at is None
    assert_shape(invoice)
    assert_shape(invoice.lines.data[0])

    opened = client.v1.invoices.finalize_invoice(invoice.id)
    assert opened.status == "open"
    assert opened.number == f"{cus.invoice_prefix}-0001"
    assert opened.status_transitions.finalized_at is not None
    assert opened.invoice_pdf.endswith(f"/_sandbox/invoices/{invoice.id}/pdf")
    assert opened.hosted_invoice_url.endswith(f"/_sandbox/invoices/{invoice.id}/hosted")
    assert opened.attempted is False

    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid"
    assert (paid.amount_paid, paid.amount_remaining) == (1250, 0)
    assert paid.status_transitions.paid_at is not None
    assert paid.attempted is True and paid.attempt_count == 1
    assert _events(client, invoice.id) == [
        "invoice.created",
        "invoice.updated",  # each item added changes the draft's amount
        "invoice.updated",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    second = client.v1.invoices.finalize_invoice(_draft(client, cus.id).id)
    assert second.number == f"{cus.invoice_prefix}-0002"


def test_void_and_uncollectible(client):
    cus = _customer(client)
    voided = client.v1.invoices.void_invoice(
        client.v1.invoices.finalize_invoice(_draft(client, cus.id).id).id
    )
    assert voided.status == "void" and voided.status_transitions.voided_at is not None
    assert "invoice.voided" in _events(client, voided.id)

    bad = client.v1.invoices.finalize_invoice(_draft(client, cus.id).id)
    bad = client.v1.invoices.mark_uncollectible(bad.id)
    assert (
        bad.status == "uncollectible" and bad.status_transitions.marked_uncollectible_at is not None
    )
    assert "invoice.marked_uncollectible" in _events(client, bad.id)
    # an uncollectible invoice can still be paid
    assert client.v1.invoices.pay(bad.id).status == "paid"


def test_wrong_state_errors(client):
    cus = _customer(client)
    draft = _draft(client, cus.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.void_invoice(draft.id)
    assert exc.value.http_status == 400
    assert _error(exc)["type"] == "invalid_request_error"
    assert _error(exc)["message"] == "You can only pass in open invoices. This invoice isn't open."

    client.v1.invoices.finalize_invoice(draft.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.finalize_invoice(draft.id)
    assert (
        _error(exc)["message"]
        == "This invoice is already finalized, you can't re-finalize a non-draft invoice."
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.delete(draft.id)
    assert _error(exc)["message"] == "You can only delete draft invoices."
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.update(draft.id, params={"description": "late"})
    assert _error(exc)["param"] == "description"
    assert client.v1.invoices.update(draft.id, params={"metadata": {"k": "v"}}).metadata["k"] == "v"

    client.v1.invoices.pay(draft.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(draft.id)
    assert _error(exc)["message"] == "Invoice is already paid"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.void_invoice(draft.id)
    assert _error(exc)["message"] == "Invoices with `paid` payments cannot be voided."
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.retrieve("in_missing")
    assert exc.value.http_status == 404 and _error(exc)["code"] == "resource_missing"


def test_send_invoice_requires_due_date_and_sends(client):
    cus = _customer(client, pm=None)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.create(params={"customer": cus.id, "collection_method": "send_invoice"})
    assert "days_until_due" in _error(exc)["message"]
    invoice = _draft(client, cus.id, collection_method="send_invoice", days_until_due=14)
    assert invoice.due_date == invoice.created + 14 * 86400
    sent = client.v1.invoices.send_invoice(invoice.id)
    assert sent.status == "open" and sent.number
    assert _events(client, invoice.id)[-2:] == ["invoice.finalized", "invoice.sent"]
    assert (
        client.v1.invoices.list(params={"collection_method": "send_invoice"}).data[0].id
        == invoice.id
    )


def test_declined_pay_is_402_and_payment_failed(client):
    cus = _customer(client, pm="pm_card_chargeCustomerFail")
    invoice = client.v1.invoices.finalize_invoice(_draft(client, cus.id).id)
    with pytest.raises(stripe.CardError) as exc:
        client.v1.invoices.pay(invoice.id)
    assert exc.value.http_status == 402
    assert _error(exc)["type"] == "card_error" and _error(exc)["code"] == "card_declined"
    again = client.v1.invoices.retrieve(invoice.id)
    assert again.status == "open" and again.attempt_count == 1 and again.attempted
    assert "invoice.payment_failed" in _events(client, invoice.id)
    # paying with a good card afterwards works
    paid = client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "paid" and paid.attempt_count == 2


def test_pay_without_payment_method(client):
    cus = _customer(client, pm=None)
    invoice = client.v1.invoices.finalize_invoice(_draft(client, cus.id).id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(invoice.id)
    assert "no attached payment source or default payment method" in _error(exc)["message"]
    assert client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True}).status == "paid"


def test_zero_amount_invoice_is_paid_on_finalize(client):
    cus = _customer(client, pm=None)
    invoice = client.v1.invoices.create(params={"customer": cus.id})
    done = client.v1.invoices.finalize_invoice(invoice.id)
    assert done.status == "paid" and done.amount_due == 0 and done.status_transitions.paid_at


def test_jpy_amounts_and_prices(client):
    cus = _customer(client)
    product = client.v1.products.create(params={"name": "Widget"})
    price = client.v1.prices.create(
        params={"product": product.id, "unit_amount": 1200, "currency": "jpy"}
    )
    invoice = client.v1.invoices.create(params={"customer": cus.id, "currency": "jpy"})
    item = client.v1.invoice_items.create(
        params={
            "customer": cus.id,
            "invoice": invoice.id,
            "pricing": {"price": price.id},
            "quantity": 3,
        }
    )
    assert (item.amount, item.currency, item.quantity) == (3600, "jpy", 3)
    assert item.pricing.price_details.price == price.id
    invoice = client.v1.invoices.pay(invoice.id)
    assert (invoice.total, invoice.amount_paid, invoice.currency) == (3600, 3600, "jpy")
    line = invoice.lines.data[0]
    assert line.pricing.price_details.price == price.id and line.quantity == 3
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoice_items.create(
            params={"customer": cus.id, "invoice": invoice.id, "amount": 5}
        )


def test_lines_pagination_both_directions(client):
    cus = _customer(client)
    invoice = _draft(client, cus.id, amounts=range(100, 1300, 100))  # 12 lines
    assert len(invoice.lines.data) == 10 and invoice.lines.has_more is True
    first = client.v1.invoices.line_items.list(invoice.id, params={"limit": 5})
    assert len(first.data) == 5 and first.has_more
    second = client.v1.invoices.line_items.list(
        invoice.id, params={"limit": 5, "starting_after": first.data[-1].id}
    )
    third = client.v1.invoices.line_items.list(
        invoice.id, params={"limit": 5, "starting_after": second.data[-1].id}
    )
    assert len(third.data) == 2 and not third.has_more
    ids = [line.id for page in (first, second, third) for line in page.data]
    assert len(set(ids)) == 12
    back = client.v1.invoices.line_items.list(
        invoice.id, params={"limit": 5, "ending_before": third.data[0].id}
    )
    assert [line.id for line in back.data] == [line.id for line in second.data]
    assert invoice.total == sum(range(100, 1300, 100))


def test_invoice_items_pending_update_delete(client):
    cus = _customer(client)
    pending = client.v1.invoice_items.create(
        params={"customer": cus.id, "amount": 700, "currency": "eur", "description": "Setup"}
    )
    assert pending.invoice is None
    assert_shape(pending)
    listed = client.v1.invoice_items.list(params={"customer": cus.id, "pending": True}).data
    assert [i.id for i in listed] == [pending.id]
    updated = client.v1.invoice_items.update(
        pending.id, params={"amount": 900, "metadata": {"a": "b"}}
    )
    assert updated.amount == 900 and updated.metadata["a"] == "b"

    excluded = client.v1.invoices.create(params={"customer": cus.id, "currency": "eur"})
    assert excluded.lines.data == []
    invoice = client.v1.invoices.create(
        params={"customer": cus.id, "currency": "eur", "pending_invoice_items_behavior": "include"}
    )
    assert (
        invoice.amount_due == 900
        and invoice.lines.data[0].parent.invoice_item_details.invoice_item == pending.id
    )
    assert client.v1.invoice_items.list(params={"invoice": invoice.id}).data[0].id == pending.id

    client.v1.invoice_items.update(pending.id, params={"amount": 1100})
    assert client.v1.invoices.retrieve(invoice.id).amount_due == 1100
    gone = client.v1.invoice_items.delete(pending.id)
    assert gone.deleted is True
    assert client.v1.invoices.retrieve(invoice.id).amount_due == 0
    assert {"invoiceitem.created", "invoiceitem.deleted"} <= set(_events(client, pending.id))

    other = client.v1.invoice_items.create(
        params={"customer": cus.id, "invoice": invoice.id, "amount": 300}
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoice_items.delete(other.id)
    assert _error(exc)["code"] == "invoice_not_editable"


def test_delete_draft_and_list_filters(client):
    cus = _customer(client)
    other = _customer(client, email="other@example.com")
    keep = _draft(client, cus.id)
    gone = _draft(client, cus.id)
    assert client.v1.invoices.delete(gone.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.retrieve(gone.id)
    assert "invoice.deleted" in _events(client, gone.id)
    paid = client.v1.invoices.pay(_draft(client, other.id).id)
    assert [i.id for i in client.v1.invoices.list(params={"customer": cus.id}).data] == [keep.id]
    assert [i.id for i in client.v1.invoices.list(params={"status": "paid"}).data] == [paid.id]
    assert [i.id for i in client.v1.invoices.list(params={"status": "draft"}).data] == [keep.id]
    assert client.v1.invoices.list(params={"created": {"gt": paid.created + 10}}).data == []


def test_update_draft_emits_previous_attributes(client):
    cus = _customer(client)
    invoice = _draft(client, cus.id)
    client.v1.invoices.update(invoice.id, params={"description": "March", "footer": "Thanks"})
    event = client.v1.events.list(params={"type": "invoice.updated"}).data[0]
    assert event.data.object.description == "March"
    assert event.data.previous_attributes["description"] is None


def test_auto_advance_draft_finalizes_and_charges_in_sandbox_time(sandbox, client):
    cus = _customer(client)
    invoice = _draft(client, cus.id, auto_advance=True)
    assert invoice.automatically_finalizes_at == invoice.created + 3600
    sandbox.advance_time(2 * 3600)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.status == "paid" and invoice.number


def test_send_invoice_overdue_event(sandbox, client):
    cus = _customer(client, pm=None)
    invoice = client.v1.invoices.send_invoice(
        _draft(client, cus.id, collection_method="send_invoice", days_until_due=3).id
    )
    sandbox.advance_time(days=4)
    assert "invoice.overdue" in _events(client, invoice.id)
