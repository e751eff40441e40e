"""The bulk account: about `each` objects of every kind over a year, for sync tests and benchmarks."""

from __future__ import annotations

import random

from .in_process import DAY, NO_REDIRECTS, call_api
from .resources.billing_clock import billing_clock
from .resources.catalog import create_price, create_product
from .resources.customers import create_customer
from .state import State


def seed_bulk(state: State, *, each: int = 1000, days: int = 365, rng_seed: int = 7) -> None:
    """About `each` objects of every kind, created over `days`, built directly (no events).

    For sync tests and benchmarks: customers, products, prices, subscriptions (a tenth canceled),
    invoices (paid, open, void), invoice items, payment intents, charges and refunds.
    """

    rng = random.Random(rng_seed)
    now = state.now()
    start = now - days * DAY
    step = max(1, (days * DAY) // max(1, each))
    state.quiet = True
    try:
        products, prices, customers = [], [], []
        for i in range(each):
            created = start + i * step
            with billing_clock(state, created):
                product = create_product(
                    state, {"name": f"Product {i}", "description": f"Bulk product {i}"}
                )
                price = create_price(
                    state,
                    {
                        "product": product["id"],
                        "currency": "eur",
                        "unit_amount": 500 + 100 * (i % 50),
                        "recurring": {"interval": "month"},
                    },
                )
                customer = create_customer(
                    state,
                    {
                        "name": f"{rng.choice(['Zoë', 'José', 'Łukasz', 'Søren', 'Akira', 'Anna'])} Kunde {i}",
                        "email": f"bulk{i}@example.com",
                        "payment_method": "pm_card_visa",
                        "metadata": {"internal_id": f"B-{i}"},
                    },
                )
                pm = state.collection("payment_methods").ids[-1]
                call_api(
                    state,
                    "post",
                    f"/v1/customers/{customer['id']}",
                    {"invoice_settings": {"default_payment_method": pm}},
                )
            products.append(product)
            prices.append(price)
            customers.append((customer, pm))
        for i in range(each):
            created = start + i * step
            customer, pm = customers[i]
            with billing_clock(state, created + 60):
                sub = call_api(
                    state,
                    "post",
                    "/v1/subscriptions",
                    {"customer": customer["id"], "items": [{"price": prices[i]["id"]}]},
                )
                if i % 10 == 0:
                    call_api(state, "delete", f"/v1/subscriptions/{sub['id']}", {})
                pi = call_api(
                    state,
                    "post",
                    "/v1/payment_intents",
                    {
                        "amount": 1000 + i % 9000,
                        "currency": "eur",
                        "customer": customer["id"],
                        "payment_method": pm,
                        "confirm": True,
                        **NO_REDIRECTS,
                        "off_session": True,
                    },
                )
                call_api(state, "post", "/v1/refunds", {"payment_intent": pi["id"], "amount": 100})
                invoice = call_api(
                    state,
                    "post",
                    "/v1/invoices",
                    {"customer": customer["id"], "currency": "eur", "auto_advance": False},
                )
                call_api(
                    state,
                    "post",
                    "/v1/invoiceitems",
                    {
                        "customer": customer["id"],
                        "invoice": invoice["id"],
                        "amount": 2500,
                        "currency": "eur",
                        "description": "Bulk service",
                    },
                )
                if i % 5:
                    call_api(state, "post", f"/v1/invoices/{invoice['id']}/finalize", {})
                    if i % 5 in (1, 2, 3):
                        call_api(state, "post", f"/v1/invoices/{invoice['id']}/pay", {})
                    elif i % 5 == 4:
                        call_api(state, "post", f"/v1/invoices/{invoice['id']}/void", {})
    finally:
        state.quiet = False
