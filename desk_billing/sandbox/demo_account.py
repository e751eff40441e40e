"""The demo account: a year of a small SaaS business in six currencies, every status represented.

The demo is built the way a real account grows: the sandbox clock starts a year ago and moves
forward a day at a time while customers sign up, subscriptions renew, cards fail, invoices go
overdue and refunds are issued — every object and event carries the date it happened, and the
events API keeps only the last 30 days, as Stripe does. Every action is an API request run
in-process (`in_process.call_api`); what each planned step does is in `demo_steps`.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

from .demo_steps import STEPS, add_subscription, attach_test_method
from .errors import ApiError
from .in_process import DAY, NO_REDIRECTS, call_api
from .state import State

CUSTOMERS: list[tuple[str, str, str]] = [
    ("Zoë Müller", "zoe.mueller@example.de", "eur"),
    ("José Álvarez García", "jose.alvarez@example.es", "eur"),
    ("Łukasz Wiśniewski", "lukasz@example.pl", "eur"),
    ("Chloé Lefèvre", "chloe.lefevre@example.fr", "eur"),
    ("Søren Kierkegård ApS", "faktura@example.dk", "eur"),
    ("Björn Ångström", "bjorn@example.se", "eur"),
    ("Ólafur Jóhannsson", "olafur@example.is", "eur"),
    ("François Dupont SARL", "compta@example.fr", "eur"),
    ("Ærøskøbing Bryghus", "regnskab@example.dk", "eur"),
    ("Jürgen Weiß GmbH", "buchhaltung@example.de", "eur"),
    ("Niamh Ó Súilleabháin", "niamh@example.ie", "eur"),
    ("Ελένη Παπαδοπούλου", "eleni@example.gr", "eur"),
    ("Müller & Söhne KG", "rechnung@example.at", "eur"),
    ("Renée Zellweger-Brünig", "renee@example.ch", "eur"),
    ("İlker Çelik", "ilker@example.com.tr", "eur"),
    ("Acme Widgets Ltd", "accounts@example.co.uk", "gbp"),
    ("Siobhán Byrne", "siobhan@example.co.uk", "gbp"),
    ("Harbour & Finch LLP", "ap@example.co.uk", "gbp"),
    ("Blue Mesa Coffee Co.", "billing@example.com", "usd"),
    ("Nguyễn Văn An", "an.nguyen@example.vn", "usd"),
    ("Ana Lúcia Gonçalves", "ana.lucia@example.com.br", "usd"),
    ("Pedro Peña", "pedro@example.mx", "usd"),
    ("Иван Петров", "ivan.petrov@example.com", "usd"),
    ("Ramón Núñez", "ramon@example.com", "usd"),
    ("Northwind Traders Inc.", "finance@example.com", "usd"),
    ("株式会社サンプル", "keiri@example.co.jp", "jpy"),
    ("山田 太郎", "taro.yamada@example.jp", "jpy"),
    ("鈴木 花子", "hanako.suzuki@example.jp", "jpy"),
    ("Kyōto Kōgei K.K.", "billing@example.jp", "jpy"),
    ("Ahmad Al-Sabah Trading", "accounts@example.com.kw", "kwd"),
    ("Fatima Al-Mutairi", "fatima@example.com.kw", "kwd"),
    ("Gulf Pearl W.L.L.", "ap@example.bh", "bhd"),
    ("Émile Zola Éditions", "editions@example.fr", "eur"),
    ("Dvořák Hudba s.r.o.", "ucetni@example.cz", "eur"),
    ("Małgorzata Kowalczyk", "malgorzata@example.pl", "eur"),
    ("Þórunn Sigurðardóttir", "thorunn@example.is", "eur"),
    ("Café Größenwahn", "cafe@example.de", "eur"),
    ("Crème Brûlée Bistro", "bistro@example.fr", "eur"),
    ("Señora Ibáñez", "ibanez@example.es", "eur"),
    ("Oskar Nyström", "oskar@example.fi", "eur"),
]


PLANS = {
    "eur": [("Starter", 1900), ("Team", 4900), ("Business", 14900)],
    "gbp": [("Starter", 1700), ("Team", 4500)],
    "usd": [("Starter", 2000), ("Team", 5000), ("Enterprise", 49900)],
    "jpy": [("スターター", 2900), ("チーム", 7800)],
    "kwd": [("Team", 15500)],
    "bhd": [("Team", 19000)],
}


def seed_demo(state: State, *, days: int = 365, rng_seed: int = 2026) -> None:
    """A year of a small SaaS business in six currencies, every status represented."""
    rng = random.Random(rng_seed)
    state.offset -= days * DAY
    prices = _catalog(state)
    plan: dict[int, list[tuple[str, Any]]] = {}

    def at(day: int, what: str, *args: Any) -> None:
        plan.setdefault(min(max(day, 0), days - 1), []).append((what, args))

    n = len(CUSTOMERS)
    for i, (name, email, currency) in enumerate(CUSTOMERS):
        signup = int(i * (days - 45) / n)  # the last customers signed up six weeks ago
        at(signup, "customer", i, name, email, currency)
    for day in range(days):
        actions = plan.get(day, [])
        for what, args in actions:
            STEPS[what](state, rng, prices, at, day, *args)
        # Hour steps on busy days keep payments that settle within hours (SEPA) in step with
        # billing deadlines that fall on the same day.
        for _ in range(24 if actions else 1):
            state.advance(3600 if actions else DAY)
    _today(state, prices)


def _today(state: State, prices: dict[str, list[dict[str, Any]]]) -> None:
    """What is still in flight when the demo opens: things a back-office has to act on."""
    customers = {c["name"]: c["id"] for c in state.newest_first("customers")}
    failing = customers["Crème Brûlée Bistro"]
    # a new subscription whose first payment just failed: incomplete
    add_subscription(
        state,
        None,
        prices,
        None,
        0,
        failing,
        prices["eur"][1],
        {"payment_behavior": "default_incomplete"},
    )
    card = attach_test_method(
        state, customers["Blue Mesa Coffee Co."], "pm_card_visa", default=False
    )
    # an authorised payment waiting to be captured, and one waiting for 3-D Secure
    call_api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": 125000,
            "currency": "usd",
            "customer": customers["Blue Mesa Coffee Co."],
            "payment_method": card,
            "confirm": True,
            **NO_REDIRECTS,
            "capture_method": "manual",
            "description": "Hardware deposit",
        },
    )
    held = call_api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": 30000,
            "currency": "usd",
            "customer": customers["Blue Mesa Coffee Co."],
            "payment_method": card,
            "confirm": True,
            **NO_REDIRECTS,
            "capture_method": "manual",
            "description": "Event booking",
        },
    )
    call_api(
        state,
        "post",
        f"/v1/payment_intents/{held['id']}/cancel",
        {"cancellation_reason": "abandoned"},
    )
    secure = attach_test_method(
        state, customers["Ana Lúcia Gonçalves"], "pm_card_authenticationRequired", default=False
    )
    call_api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": 8900,
            "currency": "usd",
            "customer": customers["Ana Lúcia Gonçalves"],
            "payment_method": secure,
            "confirm": True,
            **NO_REDIRECTS,
            "description": "Add-on seats",
        },
    )
    # a SEPA debit still processing, and a declined one-off charge
    sepa = attach_test_method(state, customers["Zoë Müller"], "pm_successDelayed_de", default=False)
    call_api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": 49000,
            "currency": "eur",
            "customer": customers["Zoë Müller"],
            "payment_method": sepa,
            "confirm": True,
            "allowed_payment_method_types": ["sepa_debit"],
            "description": "Annual prepayment",
        },
    )
    declined = attach_test_method(
        state, customers["Pedro Peña"], "pm_card_chargeCustomerFail", default=False
    )
    with contextlib.suppress(
        ApiError
    ):  # the decline stays on the payment intent and its failed charge
        call_api(
            state,
            "post",
            "/v1/payment_intents",
            {
                "amount": 19900,
                "currency": "usd",
                "customer": customers["Pedro Peña"],
                "payment_method": declined,
                "confirm": True,
                **NO_REDIRECTS,
                "off_session": True,
                "description": "Upgrade to Enterprise",
            },
        )


def _catalog(state: State) -> dict[str, list[dict[str, Any]]]:
    prices: dict[str, list[dict[str, Any]]] = {}
    for currency, plans in PLANS.items():
        for name, amount in plans:
            product = call_api(
                state,
                "post",
                "/v1/products",
                {
                    "name": f"{name} ({currency.upper()})",
                    "description": f"{name} plan, billed monthly",
                    "default_price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "recurring": {"interval": "month"},
                    },
                },
            )
            prices.setdefault(currency, []).append(state.get("prices", product["default_price"]))
    return prices
