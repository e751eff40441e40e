"""Payments, invoices, subscriptions and customers through the journal against the sandbox
(real SDK over HTTP): each action lands on the server once, in the cache at once, in the journal."""

from __future__ import annotations

import csv

import pytest
import stripe

from desk_billing.core.cache import Cache
from desk_billing.core.errors import PermissionDenied, StripeAPIError, ValidationError
from desk_billing.core.gateway import Gateway
from desk_billing.core.journal import Journal, entries, export_csv
from desk_billing.core.operations import customers as cust_ops
from desk_billing.core.operations import invoices as inv_ops
from desk_billing.core.operations import payments as pay_ops
from desk_billing.core.operations import subscriptions as sub_ops
from desk_billing.core.profiles import Profile

# a server-side confirmation with automatic payment methods needs a return_url otherwise
NO_REDIRECTS = {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}

KEY = "sk_test_operationsbilling0000"


@pytest.fixture
def client(sandbox):
    return stripe.StripeClient(KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


@pytest.fixture
def cache(tmp_path):
    with Cache.open(tmp_path / "cache.sqlite3") as c:
        yield c


def _journal(sandbox, cache, key=KEY):
    return Journal(cache, Gateway.from_profile(Profile("default"), key, sandbox.url), "default")


@pytest.fixture
def journal(sandbox, cache):
    return _journal(sandbox, cache)


@pytest.fixture
def customer(client):
    return client.v1.customers.create(
        {"name": "Ada", "email": "ada@example.com", "payment_method": "pm_card_visa",
         "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip


def _price(client, amount=1500, currency="eur"):
    product = client.v1.products.create({"name": f"Plan {amount}"})
    return client.v1.prices.create(
        {"product": product.id, "unit_amount": amount, "currency": currency,
         "recurring": {"interval": "month"}}
    )  # fmt: skip


def test_capture_partial_and_cancel(client, journal, cache):
    pi = client.v1.payment_intents.create(
        {"amount": 5000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True, **NO_REDIRECTS,
         "capture_method": "manual"}
    )  # fmt: skip
    with pytest.raises(ValidationError, match=r"At most €50.00 can be captured"):
        pay_ops.capture(journal, pi.id, "50.01")
    captured = pay_ops.capture(journal, pi.id, "30").object
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 3000)
    assert cache.get("payment_intents", pi.id)["status"] == "succeeded"
    with pytest.raises(ValidationError, match="cannot be captured; its status is succeeded"):
        pay_ops.capture(journal, pi.id)
    other = client.v1.payment_intents.create(
        {"amount": 900, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True, **NO_REDIRECTS,
         "capture_method": "manual"}
    )  # fmt: skip
    assert pay_ops.cancel(journal, other.id, "abandoned").object["status"] == "canceled"
    assert [e.kind for e in entries(cache)] == ["payment_intent.cancel", "payment_intent.capture"]


def test_off_session_charge_succeeds_needs_authentication_or_processes(client, journal, customer):
    done = pay_ops.ChargeOutcome(
        pay_ops.charge_saved_method(journal, customer.id, "12.00", "eur").object
    )
    assert done.status == "succeeded" and "€12.00 charged" in done.describe()

    three_ds = client.v1.payment_methods.attach(
        "pm_card_authenticationRequired", {"customer": customer.id}
    )
    with pytest.raises(pay_ops.AuthenticationNeeded, match="authenticate this payment") as caught:
        pay_ops.charge_saved_method(
            journal, customer.id, "12.00", "eur", payment_method=three_ds.id
        )
    assert caught.value.payment_intent.startswith("pi_")
    assert entries(journal.cache)[0].status == "failed"

    sepa = client.v1.payment_methods.list({"customer": customer.id, "type": "sepa_debit"}).data
    pm = sepa[0].id if sepa else _sepa_method(client, customer.id)
    outcome = pay_ops.ChargeOutcome(
        pay_ops.charge_saved_method(journal, customer.id, "40", "eur", payment_method=pm).object
    )
    assert outcome.status == "processing" and "processing" in outcome.describe()


def _sepa_method(client, customer_id):
    pm = client.v1.payment_methods.create(
        {"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"},
         "billing_details": {"name": "Ada", "email": "ada@example.com"}}
    )  # fmt: skip
    client.v1.payment_methods.attach(pm.id, {"customer": customer_id})
    return pm.id


def test_one_off_invoice_finalized_sent_then_void_and_uncollectible(
    client, journal, customer, cache
):
    lines = [inv_ops.InvoiceLine("Consulting", 3, "120,50"), inv_ops.InvoiceLine("Travel", 1, "80")]
    with pytest.raises(ValidationError, match="Line 2: the quantity must be at least 1."):
        inv_ops.check_invoice(customer.id, "eur", [lines[0], inv_ops.InvoiceLine("x", 0, "1")])
    with pytest.raises(ValidationError, match="at most 2 decimals"):
        inv_ops.check_invoice(customer.id, "eur", [inv_ops.InvoiceLine("x", 1, "1.001")])
    draft = inv_ops.check_invoice(customer.id, "eur", lines, "send_invoice", 14, "Thanks!")
    invoice = inv_ops.create_invoice(journal, draft).object
    assert (invoice["status"], invoice["total"], invoice["description"]) == (
        "open",
        44150,
        "Thanks!",
    )
    assert cache.get("invoices", invoice["id"])["status"] == "open"
    kinds = [e.kind for e in reversed(entries(cache))]
    assert kinds == ["invoice.create", "invoiceitem.create", "invoiceitem.create",
                     "invoice.finalize_invoice", "invoice.send_invoice"]  # fmt: skip
    assert inv_ops.act(journal, invoice["id"], "void_invoice").object["status"] == "void"
    with pytest.raises(ValidationError, match="cannot be voided; its status is void"):
        inv_ops.act(journal, invoice["id"], "void_invoice")
    second = inv_ops.create_invoice(journal, draft).object
    marked = inv_ops.act(journal, second["id"], "mark_uncollectible").object
    assert marked["status"] == "uncollectible"


def test_pay_now_retries_a_failed_payment(client, journal, customer):
    failing = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": customer.id}
    )
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": failing.id}}
    )
    draft = inv_ops.check_invoice(
        customer.id, "eur", [inv_ops.InvoiceLine("Box", 1, "25")], "charge_automatically"
    )
    invoice = inv_ops.create_invoice(journal, draft).object
    assert invoice["status"] == "open"
    with pytest.raises(StripeAPIError, match="declined"):
        inv_ops.act(journal, invoice["id"], "pay")
    assert entries(journal.cache)[0].status == "failed"
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": visa.id}}
    )
    paid = inv_ops.act(journal, invoice["id"], "pay").object
    assert paid["status"] == "paid" and paid["amount_paid"] == 2500


def test_subscription_lifecycle(client, journal, customer, cache):
    basic, pro = _price(client, 1500), _price(client, 4000)
    with pytest.raises(ValidationError, match="'paypal' is not a payment method type"):
        sub_ops.check_subscription(customer.id, [(basic.id, 1)], payment_method_types=["paypal"])
    plan = sub_ops.check_subscription(
        customer.id, [(basic.id, 2)], trial_days=7, payment_method_types=["card", "sepa_debit"]
    )
    sub = sub_ops.create_subscription(journal, plan).object
    assert sub["status"] == "trialing"
    assert sub["payment_settings"]["payment_method_types"] == ["card", "sepa_debit"]
    changed = sub_ops.change_item(journal, sub["id"], price=pro.id, quantity=3).object
    item = changed["items"]["data"][0]
    assert (item["price"]["id"], item["quantity"]) == (pro.id, 3)
    ending = sub_ops.cancel(journal, sub["id"], at_period_end=True).object
    assert ending["cancel_at_period_end"] is True
    assert sub_ops.undo_cancel(journal, sub["id"]).object["cancel_at_period_end"] is False
    paused = sub_ops.pause_collection(journal, sub["id"]).object
    assert paused["pause_collection"]["behavior"] == "void"
    assert sub_ops.resume_collection(journal, sub["id"]).object["pause_collection"] is None
    ended = sub_ops.cancel(journal, sub["id"], at_period_end=False).object
    assert ended["status"] == "canceled"
    assert cache.get("subscriptions", sub["id"])["status"] == "canceled"
    with pytest.raises(ValidationError, match="has ended"):
        sub_ops.pause_collection(journal, sub["id"])
    invoiced = sub_ops.check_subscription(
        customer.id, [(basic.id, 1)], collection_method="send_invoice", days_until_due=10
    )
    assert sub_ops.create_subscription(journal, invoiced).object["days_until_due"] == 10


def test_customer_create_edit_delete(journal, cache):
    with pytest.raises(ValidationError, match="is not an email address"):
        cust_ops.create_customer(journal, cust_ops.CustomerFields(name="X", email="nope"))
    fields = cust_ops.CustomerFields(
        name="Grace", email="grace@example.com", phone="+49 30 1234567",
        address={"line1": "Main St 1", "city": "Berlin", "postal_code": "10115", "country": "de"},
        metadata={"internal_id": "C-42"},
    )  # fmt: skip
    created = cust_ops.create_customer(journal, fields).object
    assert created["metadata"]["internal_id"] == "C-42"
    assert created["address"]["country"] == "DE"
    assert cache.get("customers", created["id"])["metadata"]["internal_id"] == "C-42"
    edited = cust_ops.update_customer(
        journal, created["id"], cust_ops.CustomerFields(name="Grace H.", email="gh@example.com")
    ).object
    assert (edited["name"], edited["email"]) == ("Grace H.", "gh@example.com")
    assert "internal_id" not in (edited["metadata"] or {})
    with pytest.raises(ValidationError, match=f"Type {created['id']} to confirm"):
        cust_ops.delete_customer(journal, created["id"], "yes")
    assert cust_ops.delete_customer(journal, created["id"], created["id"]).object["deleted"] is True
    assert cache.is_deleted("customers", created["id"])


def test_restricted_key_without_write_is_refused_with_stripes_reason(sandbox, cache, customer):
    rk = "rk_test_customersreadonly000"
    sandbox.register_restricted_key(rk, {"customer": "read"})
    journal = _journal(sandbox, cache, rk)
    with pytest.raises(PermissionDenied, match="rak_customer_write"):
        cust_ops.update_customer(journal, customer.id, cust_ops.CustomerFields(name="Z"))
    assert entries(cache)[0].status == "failed"


def test_journal_exports_csv(journal, cache, customer, tmp_path):
    cust_ops.update_customer(journal, customer.id, cust_ops.CustomerFields(name="Ada L."))
    path = tmp_path / "journal.csv"
    assert export_csv(cache, path) == 1
    (row,) = csv.DictReader(path.open(encoding="utf-8"))
    assert (row["kind"], row["target"], row["status"]) == (
        "customer.update",
        customer.id,
        "succeeded",
    )
    assert row["idempotency_key"] and row["mode"] == "test" and row["profile"] == "default"
