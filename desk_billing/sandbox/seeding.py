"""Sample accounts: `demo` (a believable year of a small business) and `bulk` (large, for benchmarks).

The demo is built the way a real account grows: the sandbox clock starts a year ago and moves
forward a day at a time while customers sign up, subscriptions renew, cards fail, invoices go
overdue and refunds are issued — every object and event carries the date it happened, and the
events API keeps only the last 30 days, as Stripe does. Actions go through the same handlers and
parameter checks as the HTTP API (`_api`), so the seed cannot build what Stripe would refuse.
"""

from __future__ import annotations

import contextlib
import random
import time
from typing import Any
from urllib.parse import quote

from . import schema
from .errors import ApiError
from .router import Call, api
from .state import State
from .wire import decode_form

DAY = 86400

# Names from the markets the demo business sells to; non-ASCII on purpose (search, PDFs, CSV).
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

# Monthly plans per currency (unit amounts in minor units) and one-off services.
PLANS = {
    "eur": [("Starter", 1900), ("Team", 4900), ("Business", 14900)],
    "gbp": [("Starter", 1700), ("Team", 4500)],
    "usd": [("Starter", 2000), ("Team", 5000), ("Enterprise", 49900)],
    "jpy": [("スターター", 2900), ("チーム", 7800)],
    "kwd": [("Team", 15500)],
    "bhd": [("Team", 19000)],
}
SERVICES = {
    "eur": ("Onboarding workshop", 25000),
    "gbp": ("Onboarding workshop", 22000),
    "usd": ("Implementation hours", 15000),
    "jpy": ("導入支援", 50000),
    "kwd": ("Onboarding", 75000),
    "bhd": ("Onboarding", 95000),
}


def _api(
    state: State, verb: str, path: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run one API request in-process: the HTTP path's routing, parameter checks and handler."""
    route, args = api.match(verb.upper(), path)
    checked = params or {}
    if route.params_class is not None:
        checked = schema.validate(route.params_class, decode_form(_form(params or {})))
    return route.handler(Call(state, verb.upper(), path, checked, args))


def _form(params: dict[str, Any], prefix: str = "") -> str:
    """Encode parameters as the SDK does (`a[b][0]=c`) so `_api` checks them like a request."""
    parts: list[str] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            parts.append(_form(value, name))
        elif isinstance(value, list):
            parts.append(_form({str(i): v for i, v in enumerate(value)}, name))
        else:
            text = "true" if value is True else "false" if value is False else str(value)
            parts.append(f"{quote(name, safe='[]')}={quote(text, safe='')}")
    return "&".join(p for p in parts if p)


def seed(state: State, kind: str, **options: Any) -> dict[str, int]:
    """Fill the account; returns how many objects of each kind it now holds."""
    if kind == "demo":
        seed_demo(state, **options)
    elif kind == "bulk":
        seed_bulk(state, **options)
    elif kind != "empty":
        raise ValueError(f"unknown seed {kind!r}: choose demo, bulk or empty")
    return {name: len(coll) for name, coll in state.collections.items() if not name.startswith("_")}


# -- demo ----------------------------------------------------------------------------------------


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
            _STEPS[what](state, rng, prices, at, day, *args)
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
    _subscription(
        state,
        None,
        prices,
        None,
        0,
        failing,
        prices["eur"][1],
        {"payment_behavior": "default_incomplete"},
    )
    card = _attach(state, customers["Blue Mesa Coffee Co."], "pm_card_visa", default=False)
    # an authorised payment waiting to be captured, and one waiting for 3-D Secure
    _api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": 125000,
            "currency": "usd",
            "customer": customers["Blue Mesa Coffee Co."],
            "payment_method": card,
            "confirm": True,
            "capture_method": "manual",
            "description": "Hardware deposit",
        },
    )
    held = _api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": 30000,
            "currency": "usd",
            "customer": customers["Blue Mesa Coffee Co."],
            "payment_method": card,
            "confirm": True,
            "capture_method": "manual",
            "description": "Event booking",
        },
    )
    _api(
        state,
        "post",
        f"/v1/payment_intents/{held['id']}/cancel",
        {"cancellation_reason": "abandoned"},
    )
    secure = _attach(
        state, customers["Ana Lúcia Gonçalves"], "pm_card_authenticationRequired", default=False
    )
    _api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": 8900,
            "currency": "usd",
            "customer": customers["Ana Lúcia Gonçalves"],
            "payment_method": secure,
            "confirm": True,
            "description": "Add-on seats",
        },
    )
    # a SEPA debit still processing, and a declined one-off charge
    sepa = _attach(state, customers["Zoë Müller"], "pm_successDelayed_de", default=False)
    _api(
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
    declined = _attach(state, customers["Pedro Peña"], "pm_card_chargeCustomerFail", default=False)
    with contextlib.suppress(
        ApiError
    ):  # the decline stays on the payment intent and its failed charge
        _api(
            state,
            "post",
            "/v1/payment_intents",
            {
                "amount": 19900,
                "currency": "usd",
                "customer": customers["Pedro Peña"],
                "payment_method": declined,
                "confirm": True,
                "off_session": True,
                "description": "Upgrade to Enterprise",
            },
        )


def _catalog(state: State) -> dict[str, list[dict[str, Any]]]:
    prices: dict[str, list[dict[str, Any]]] = {}
    for currency, plans in PLANS.items():
        for name, amount in plans:
            product = _api(
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


def _attach(state: State, cid: str, test_id: str, *, default: bool) -> str:
    """Attach a test payment method to a customer; returns the new pm_ id."""
    pm = _api(state, "post", "/v1/payment_methods/" + test_id + "/attach", {"customer": cid})
    if default:
        _api(
            state,
            "post",
            f"/v1/customers/{cid}",
            {"invoice_settings": {"default_payment_method": pm["id"]}},
        )
    return pm["id"]


def _new_customer(state, rng, prices, at, day, i, name, email, currency) -> None:
    kind = i % 10
    customer = _api(
        state,
        "post",
        "/v1/customers",
        {
            "name": name,
            "email": email,
            "phone": f"+49 30 {1000000 + i * 7919}",
            "address": {"line1": f"{10 + i} Market Street", "city": "Berlin", "country": "DE"},
            "metadata": {
                "internal_id": f"K-{1000 + i}",
                "segment": rng.choice(["smb", "mid-market", "startup"]),
            },
            "preferred_locales": ["ja"] if currency == "jpy" else ["en"],
        },
    )
    cid = customer["id"]
    # Most pay by card, some euro customers by SEPA debit, a few with cards that fail.
    if kind == 7:
        test_id = "pm_card_chargeCustomerFail"
    elif currency == "eur" and kind in (1, 5):
        test_id = "pm_success_de"
    else:
        test_id = "pm_card_mastercard" if kind == 9 else "pm_card_visa"
    pm_id = _attach(state, cid, test_id, default=True)
    price = prices[currency][i % len(prices[currency])]
    if kind == 0:
        at(day, "subscription", cid, price, {"trial_period_days": 30})
        at(day + 200, "cancel_at_period_end", cid)
        at(days_left(day), "subscription", cid, prices[currency][-1], {"trial_period_days": 30})
    elif kind == 2:
        at(
            day,
            "subscription",
            cid,
            price,
            {"collection_method": "send_invoice", "days_until_due": 14},
        )
    elif kind == 3:
        # pays for a while, then the card starts failing: past_due, retries, then unpaid
        at(day, "subscription", cid, price, {})
        at(day + 60 + i % 30, "card_starts_failing", cid)
    elif kind == 4:
        at(day, "subscription", cid, price, {})
        at(day + 120, "cancel_now", cid)
    elif kind == 6:
        at(day, "subscription", cid, price, {})
        at(day + 150, "pause", cid, i)
    elif kind == 7:
        # a card that never works: the first payment fails (incomplete, later incomplete_expired)
        at(day, "subscription", cid, price, {"payment_behavior": "default_incomplete"})
    else:
        at(day, "subscription", cid, price, {"quantity": 1 + i % 3})
    # One-off work, ending in every way an invoice can end.
    for step, outcome in (
        (10, "paid"),
        (40, ["open", "void", "uncollectible", "draft", "paid"][i % 5]),
    ):
        at(day + step + i % 7, "invoice", cid, currency, outcome, pm_id)
    if kind in (1, 8, 9):
        at(day + 20, "payment_and_refund", cid, currency, pm_id, i)
    if kind in (5, 8):
        at(day + 60, "credit_note", cid)


def days_left(day: int) -> int:
    """A day in the last fortnight, so some trials are still running when the demo opens."""
    return 352 + day % 10


def _card_starts_failing(state, rng, prices, at, day, cid) -> None:
    _attach(state, cid, "pm_card_chargeCustomerFail", default=True)
    for sub in _subscriptions_of(state, cid):
        _api(state, "post", f"/v1/subscriptions/{sub['id']}", {"default_payment_method": ""})


def _subscription(state, rng, prices, at, day, cid, price, extra) -> None:
    params: dict[str, Any] = {
        "customer": cid,
        "items": [{"price": price["id"], "quantity": extra.pop("quantity", 1)}],
    }
    params.update(extra)
    with contextlib.suppress(ApiError):  # a refused first payment: Stripe creates nothing
        _api(state, "post", "/v1/subscriptions", params)


def _subscriptions_of(state: State, cid: str) -> list[dict[str, Any]]:
    return [s for s in state.newest_first("subscriptions") if s["customer"] == cid]


def _cancel_at_period_end(state, rng, prices, at, day, cid) -> None:
    for sub in _subscriptions_of(state, cid):
        if sub["status"] in ("active", "trialing"):
            _api(state, "post", f"/v1/subscriptions/{sub['id']}", {"cancel_at_period_end": True})


def _cancel_now(state, rng, prices, at, day, cid) -> None:
    for sub in _subscriptions_of(state, cid):
        if sub["status"] not in ("canceled", "incomplete_expired"):
            _api(state, "delete", f"/v1/subscriptions/{sub['id']}", {})


def _pause(state, rng, prices, at, day, cid, i) -> None:
    for sub in _subscriptions_of(state, cid):
        if sub["status"] != "active":
            continue
        if i % 20 == 6:  # paused outright (status paused) ...
            _api(state, "post", f"/v1/subscriptions/{sub['id']}/pause", {})
        else:  # ... or still active with collection paused and invoices voided
            _api(
                state,
                "post",
                f"/v1/subscriptions/{sub['id']}",
                {"pause_collection": {"behavior": "void"}},
            )


def _invoice(state, rng, prices, at, day, cid, currency, outcome, pm_id) -> None:
    service, amount = SERVICES[currency]
    send = outcome in ("open", "void", "uncollectible")
    params: dict[str, Any] = {
        "customer": cid,
        "currency": currency,
        "description": f"{service} — {time.strftime('%B %Y', time.gmtime(state.now()))}",
        "auto_advance": False,
    }
    params.update({"collection_method": "send_invoice", "days_until_due": 30} if send else {})
    invoice = _api(state, "post", "/v1/invoices", params)
    for j in range(1 + rng.randrange(3)):
        _api(
            state,
            "post",
            "/v1/invoiceitems",
            {
                "customer": cid,
                "invoice": invoice["id"],
                "description": service if j == 0 else f"Additional session {j}",
                "amount": amount if j == 0 else amount // 4,
                "currency": currency,
            },
        )
    if outcome == "draft":
        return
    _api(state, "post", f"/v1/invoices/{invoice['id']}/finalize", {})
    try:
        if outcome == "paid":
            _api(state, "post", f"/v1/invoices/{invoice['id']}/pay", {"payment_method": pm_id})
        elif outcome == "void":
            _api(state, "post", f"/v1/invoices/{invoice['id']}/void", {})
        elif outcome == "uncollectible":
            _api(state, "post", f"/v1/invoices/{invoice['id']}/mark_uncollectible", {})
        else:
            _api(state, "post", f"/v1/invoices/{invoice['id']}/send", {})
    except ApiError:
        pass  # a failing card: the invoice stays open with a failed payment, as in real life


def _payment_and_refund(state, rng, prices, at, day, cid, currency, pm_id, i) -> None:
    amount = SERVICES[currency][1] * 2
    pi = _api(
        state,
        "post",
        "/v1/payment_intents",
        {
            "amount": amount,
            "currency": currency,
            "customer": cid,
            "payment_method": pm_id,
            "confirm": True,
            "off_session": True,
            "description": "Annual support pack",
        },
    )
    if pi["status"] == "succeeded":
        # a partial refund, and for some a second one that refunds the rest
        _api(
            state,
            "post",
            "/v1/refunds",
            {"payment_intent": pi["id"], "amount": amount // 4, "reason": "requested_by_customer"},
        )
        if i % 2:
            at(day + 5, "refund_rest", pi["id"])


def _credit_note(state, rng, prices, at, day, cid) -> None:
    """A goodwill credit on the customer's latest paid invoice: a fifth of it refunded."""
    paid = [
        i
        for i in state.where("invoices", "customer", cid)
        if i["status"] == "paid" and i["amount_paid"]
    ]
    if paid:
        amount = paid[0]["amount_paid"] // 5
        _api(
            state,
            "post",
            "/v1/credit_notes",
            {
                "invoice": paid[0]["id"],
                "amount": amount,
                "refund_amount": amount,
                "reason": "product_unsatisfactory",
            },
        )


def _refund_rest(state, rng, prices, at, day, pi_id) -> None:
    _api(state, "post", "/v1/refunds", {"payment_intent": pi_id, "reason": "duplicate"})


_STEPS = {
    "customer": _new_customer,
    "subscription": _subscription,
    "cancel_at_period_end": _cancel_at_period_end,
    "cancel_now": _cancel_now,
    "pause": _pause,
    "card_starts_failing": _card_starts_failing,
    "invoice": _invoice,
    "payment_and_refund": _payment_and_refund,
    "refund_rest": _refund_rest,
    "credit_note": _credit_note,
}


# -- bulk ----------------------------------------------------------------------------------------


def seed_bulk(state: State, *, each: int = 1000, days: int = 365, rng_seed: int = 7) -> None:
    """About `each` objects of every kind, created over `days`, built directly (no events).

    For sync tests and benchmarks: customers, products, prices, subscriptions (a tenth canceled),
    invoices (paid, open, void), invoice items, payment intents, charges and refunds.
    """
    from .resources.catalog import create_price, create_product
    from .resources.customers import create_customer

    rng = random.Random(rng_seed)
    now = state.now()
    start = now - days * DAY
    step = max(1, (days * DAY) // max(1, each))
    state.quiet = True
    try:
        products, prices, customers = [], [], []
        for i in range(each):
            created = start + i * step
            with _clock(state, created):
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
                _api(
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
            with _clock(state, created + 60):
                sub = _api(
                    state,
                    "post",
                    "/v1/subscriptions",
                    {"customer": customer["id"], "items": [{"price": prices[i]["id"]}]},
                )
                if i % 10 == 0:
                    _api(state, "delete", f"/v1/subscriptions/{sub['id']}", {})
                pi = _api(
                    state,
                    "post",
                    "/v1/payment_intents",
                    {
                        "amount": 1000 + i % 9000,
                        "currency": "eur",
                        "customer": customer["id"],
                        "payment_method": pm,
                        "confirm": True,
                        "off_session": True,
                    },
                )
                _api(state, "post", "/v1/refunds", {"payment_intent": pi["id"], "amount": 100})
                invoice = _api(
                    state,
                    "post",
                    "/v1/invoices",
                    {"customer": customer["id"], "currency": "eur", "auto_advance": False},
                )
                _api(
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
                    _api(state, "post", f"/v1/invoices/{invoice['id']}/finalize", {})
                    if i % 5 in (1, 2, 3):
                        _api(state, "post", f"/v1/invoices/{invoice['id']}/pay", {})
                    elif i % 5 == 4:
                        _api(state, "post", f"/v1/invoices/{invoice['id']}/void", {})
    finally:
        state.quiet = False


class _clock:
    """Run a block at sandbox time `at` (bulk objects are backdated without running billing)."""

    def __init__(self, state: State, at: int) -> None:
        self.state, self.at = state, at

    def __enter__(self) -> None:
        self.saved = self.state.offset
        self.state.offset = int(self.at) - int(time.time())

    def __exit__(self, *exc: object) -> None:
        self.state.offset = self.saved
