"""An invoice's detail lists its payments from Stripe's invoice payments; the Customers tab shows
each customer's own currency, balance in that currency, and delinquency."""

from __future__ import annotations

from desk_billing.gui.tabs.customers import CustomersTab
from desk_billing.gui.tabs.invoices import InvoicesTab
from tests.gui.seed import client_for


def _customer(client, name: str, card: str) -> str:
    return client.v1.customers.create(
        {
            "name": name,
            "payment_method": card,
            "invoice_settings": {"default_payment_method": card},
        }
    ).id


def _eur_invoice(client, customer: str, amount: int) -> str:
    """The guide's one-off flow: an item in EUR, then an invoice that includes it."""
    client.v1.invoice_items.create({"customer": customer, "amount": amount, "currency": "eur"})
    return client.v1.invoices.create(
        {"customer": customer, "pending_invoice_items_behavior": "include"}
    ).id


def _shown(tab, object_id: str, key: str) -> str:
    """The cell's text as the list shows it."""
    column = tab.model.spec.index_of(key)
    return tab.model.index(tab.model.row_of(object_id), column).data()


def test_the_invoice_detail_lists_its_own_payments_and_the_customers_their_currency(
    sandbox, open_window, qtbot
):
    client = client_for(sandbox.url)
    paying = _customer(client, "Zoë Paid", "pm_card_visa")
    paid = _eur_invoice(client, paying, 15000)
    client.v1.invoices.pay(paid)
    # Another payment of the same customer, amount and currency the same day: not the
    # invoice's, so its detail must not list it.
    client.v1.payment_intents.create(
        {"amount": 15000, "currency": "eur", "customer": paying, "payment_method": "pm_card_visa",
         "confirm": True, "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    client.v1.customers.update(paying, {"balance": -500})
    failing = _customer(client, "Ömer Declined", "pm_card_chargeCustomerFail")
    unpaid = _eur_invoice(client, failing, 9900)
    client.v1.invoices.finalize_invoice(unpaid)
    try:
        client.v1.invoices.pay(unpaid)
    except Exception as error:  # the card is declined: the customer becomes delinquent
        assert "declined" in str(error)
    never_billed = client.v1.customers.create({"name": "Nobody Yet"}).id
    intent = client.v1.invoices.retrieve(paid, {"expand": ["payments"]}).payments.data[0]
    intent_id = intent.payment.payment_intent

    window = open_window()

    invoices = window.tab(InvoicesTab)
    window.tabs.setCurrentWidget(invoices)
    qtbot.waitUntil(lambda: invoices.model.row_of(paid) is not None, timeout=5000)
    invoices.select_id(paid)
    qtbot.waitUntil(lambda: "Payments (" in invoices.detail.toPlainText(), timeout=3000)
    text = invoices.detail.toPlainText()
    assert "Payments (1)" in text and "matched by" not in text
    assert intent_id in text and "€150.00" in text and "paid" in text and "succeeded" in text
    refund = invoices.action_bar.qactions["refund"]
    qtbot.waitUntil(refund.isEnabled, timeout=3000)  # its payment intent can be refunded

    invoices.select_id(unpaid)
    qtbot.waitUntil(lambda: "€99.00" in invoices.detail.toPlainText(), timeout=3000)
    text = invoices.detail.toPlainText()
    assert "Payments (1)" in text and "open" in text and "requires payment method" in text

    customers = window.tab(CustomersTab)
    window.tabs.setCurrentWidget(customers)
    qtbot.waitUntil(lambda: customers.model.row_of(never_billed) is not None, timeout=5000)
    assert _shown(customers, paying, "currency") == "EUR"
    assert _shown(customers, paying, "balance") == "-€5.00"
    assert _shown(customers, paying, "delinquent") == ""
    assert _shown(customers, failing, "delinquent") == "yes"
    assert _shown(customers, never_billed, "currency") == ""
    assert _shown(customers, never_billed, "balance") == ""  # not "$0.00": it has no currency
    customers.select_id(paying)
    qtbot.waitUntil(lambda: "Zoë Paid" in customers.detail.toPlainText(), timeout=3000)
    assert "€5.00 credit" in customers.detail.toPlainText()
    customers.select_id(failing)
    qtbot.waitUntil(lambda: "Ömer Declined" in customers.detail.toPlainText(), timeout=3000)
    assert "an invoice payment failed" in customers.detail.toPlainText()
