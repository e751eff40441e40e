"""A small believable account created through the official SDK, for GUI tests and screenshots."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import stripe

# a server-side confirmation with automatic payment methods needs a return_url otherwise
NO_REDIRECTS = {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}

TEST_KEY = "sk_test_deskbillinggui000000000"


@dataclass
class Seeded:
    customers: dict[str, str] = field(default_factory=dict)  # name -> id
    invoices: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)


PEOPLE = [
    ("Zoë Müller", "zoe@example.com", "eur"),
    ("Ada Lovelace", "ada@analytical.example", "usd"),
    ("Kenji Sato", "kenji@sato.example.jp", "jpy"),
    ("Grace Hopper", "grace@navy.example", "usd"),
    ("Amara Okafor", "amara@okafor.example", "gbp"),
    ("Lucía Fernández", "lucia@fernandez.example", "eur"),
]


def client_for(url: str, key: str = TEST_KEY) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": url}, max_network_retries=0)


def seed_account(client: stripe.StripeClient, rich: bool = True) -> Seeded:
    """Customers in four currencies; invoices paid, open and draft; subscriptions; payments,
    a declined one and a refund."""
    seeded = Seeded()
    plan = client.v1.products.create({"name": "Pro plan"})
    prices = {
        cur: client.v1.prices.create(
            {
                "product": plan.id,
                "currency": cur,
                "unit_amount": amount,
                "recurring": {"interval": "month"},
            }
        )
        for cur, amount in (("eur", 4900), ("usd", 5900), ("jpy", 7800), ("gbp", 3900))
    }
    for i, (name, email, currency) in enumerate(PEOPLE):
        customer = client.v1.customers.create(
            {
                "name": name,
                "email": email,
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
                "metadata": {"crm_id": f"crm-{1000 + i}"},
            }
        )
        seeded.customers[name] = customer.id
        if not rich and i > 2:
            continue
        invoice = client.v1.invoices.create({"customer": customer.id, "currency": currency})
        client.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "amount": 12000 if currency != "jpy" else 15000,
                "description": "Consulting, May",
            }
        )
        seeded.invoices.append(invoice.id)
        if i % 3 == 0:
            client.v1.invoices.finalize_invoice(invoice.id)
            client.v1.invoices.pay(invoice.id)
        elif i % 3 == 1:
            client.v1.invoices.finalize_invoice(invoice.id)
        sub = client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": prices[currency].id}]}
        )
        seeded.subscriptions.append(sub.id)
        pi = client.v1.payment_intents.create(
            {
                "amount": 2500 + 100 * i if currency != "jpy" else 3000,
                "currency": currency,
                "customer": customer.id,
                "payment_method": "pm_card_visa",
                "confirm": True,
                **NO_REDIRECTS,
                "description": f"Order #{4000 + i}",
            }
        )
        seeded.payments.append(pi.id)
    ada = seeded.customers["Ada Lovelace"]
    with contextlib.suppress(stripe.CardError):  # the decline is the point: a failed payment
        client.v1.payment_intents.create(
            {
                "amount": 9900,
                "currency": "usd",
                "customer": ada,
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
                **NO_REDIRECTS,
                "description": "Order #4999",
            }
        )
    refund = client.v1.refunds.create(
        {"payment_intent": seeded.payments[0], "amount": 500, "reason": "requested_by_customer"}
    )
    seeded.refunds.append(refund.id)
    return seeded


def seed_activity(client: stripe.StripeClient) -> None:
    """Things that happen after the first sync: a new customer, declines, a payment, a refund."""
    customer = client.v1.customers.create({"name": "Nadia Haddad", "email": "nadia@haddad.example"})
    for pm, amount in (("pm_card_chargeDeclinedInsufficientFunds", 15900), ("pm_card_visa", 4200)):
        with contextlib.suppress(stripe.CardError):  # the decline shows up first in Activity
            client.v1.payment_intents.create(
                {
                    "amount": amount,
                    "currency": "eur",
                    "customer": customer.id,
                    "payment_method": pm,
                    "confirm": True,
                    **NO_REDIRECTS,
                    "description": "Annual plan",
                }
            )
    for invoice in client.v1.invoices.list({"status": "open"}).data[:1]:
        with contextlib.suppress(stripe.CardError):  # a customer whose card declines
            client.v1.invoices.pay(invoice.id)
    payments = client.v1.payment_intents.list({"limit": 5}).data
    succeeded = [p for p in payments if p.status == "succeeded"]
    if succeeded:
        client.v1.refunds.create({"payment_intent": succeeded[0].id, "reason": "duplicate"})
