"""Operation dialogs against the sandbox (real SDK over HTTP) through the GUI's task runner:
inline validation, live-mode typed confirmation, 403 reasons, the result appearing in the list."""

from __future__ import annotations

import csv

import pytest
import stripe

from desk_billing.core.account import AccountSession
from desk_billing.core.cache import lists
from desk_billing.core.cache.choices import PriceChoice
from desk_billing.core.journal import entries
from desk_billing.core.profiles import AppPaths, Profile
from desk_billing.gui.dialogs.customer_edit import CustomerDeleteDialog, CustomerEditDialog
from desk_billing.gui.dialogs.new_invoice import NewInvoiceDialog
from desk_billing.gui.dialogs.new_subscription import NewSubscriptionDialog
from desk_billing.gui.dialogs.operation import OperationDialog
from desk_billing.gui.dialogs.refund import RefundDialog
from desk_billing.gui.table_model import CacheTableModel
from desk_billing.gui.tabs.audit import AuditView
from desk_billing.gui.tasks import TaskRunner

# a server-side confirmation with automatic payment methods needs a return_url otherwise
NO_REDIRECTS = {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}

KEY = "sk_test_guidialogs000000000"
LIVE = "rk_" + "live_guidialogs000000000"
ALL_WRITE = dict.fromkeys(
    ["customer", "product", "price", "payment_method", "payment_intent", "charge", "refund",
     "subscription", "invoice", "invoiceitem"],
    "write",
)  # fmt: skip


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def client(sandbox):
    return stripe.StripeClient(KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


@pytest.fixture
def make_session(sandbox):
    def make(key: str = KEY) -> AccountSession:
        return AccountSession(AppPaths.from_env(), Profile("gui"), key=key, api_base=sandbox.url)

    return make


def _list(qtbot, runner, spec, session):
    with session.cache():
        pass  # the file and schema exist before the read-only list connection opens it
    model = CacheTableModel(spec, runner, session.cache_path)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.reload()
    return model


def _refreshes(dialog: OperationDialog, model: CacheTableModel) -> None:
    """The list re-reads what the dialog's operation wrote (the main window's hook does this)."""
    dialog.completed.connect(lambda result: model.refresh(result.changed))


def _submit_and_wait(qtbot, dialog):
    with qtbot.waitSignal(dialog.completed, timeout=10000) as caught:
        dialog.ok_button.click()
    return caught.args[0].object


def _paid(client, amount=2000):
    return client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
            **NO_REDIRECTS,
        }
    )


def _open_refund(qtbot, runner, session, target):
    dialog = RefundDialog(runner, session, target)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(
        lambda: dialog.refundable is not None or bool(dialog.message.text()), timeout=5000
    )
    return dialog


def test_refund_dialog_validates_inline_and_the_refund_appears_in_the_list(
    qtbot, runner, client, make_session, sandbox
):
    session = make_session()
    pi = _paid(client)
    refunds = _list(qtbot, runner, lists.REFUNDS, session)
    dialog = _open_refund(qtbot, runner, session, pi.id)
    assert dialog.remaining_label.text() == "€20.00 of €20.00"
    for typed, sentence in [
        ("abc", "'abc' is not an amount; type digits such as 12.50."),
        ("0", "The refund amount must be more than zero."),
        ("20.001", "EUR amounts have at most 2 decimals."),
        ("25", "The refund of €25.00 is more than the €20.00 left to refund."),
    ]:
        dialog.amount.setText(typed)
        dialog.ok_button.click()
        assert dialog.message.text() == sentence
        assert dialog.isVisible()  # the form keeps its input
    assert list(sandbox.state.newest_first("refunds")) == []
    dialog.amount.setText("7,50")
    dialog.reason.setCurrentIndex(dialog.reason.findData("requested_by_customer"))
    _refreshes(dialog, refunds)
    refund = _submit_and_wait(qtbot, dialog)
    assert (refund["amount"], refund["reason"]) == (750, "requested_by_customer")
    qtbot.waitUntil(lambda: refunds.row_of(refund["id"]) is not None, timeout=5000)
    assert not dialog.isVisible()


def test_an_empty_amount_is_never_everything_only_the_explicit_choice_is(
    qtbot, runner, client, make_session, sandbox
):
    session = make_session()
    pi = _paid(client)
    client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    dialog = _open_refund(qtbot, runner, session, pi.id)
    assert dialog.everything.text() == "Refund everything left (€15.00)"
    assert not dialog.everything.isChecked()
    # Empty with the choice off: invalid, OK disabled, the sentence says what to do.
    assert dialog.amount.text() == "" and not dialog.ok_button.isEnabled()
    assert dialog.message.text() == 'Type the amount to refund, or tick "Refund everything left".'
    dialog.submit()  # even a forced submit (Enter) refunds nothing
    assert dialog.isVisible() and len(list(sandbox.state.newest_first("refunds"))) == 1
    dialog.amount.setText("3")
    assert dialog.ok_button.isEnabled() and dialog.message.text() == ""
    dialog.amount.setText("  ")
    assert not dialog.ok_button.isEnabled()
    dialog.everything.setChecked(True)
    assert dialog.ok_button.isEnabled() and not dialog.amount.isEnabled()
    assert dialog.message.text() == ""
    refund = _submit_and_wait(qtbot, dialog)
    assert refund["amount"] == 1500
    with session.cache() as cache:
        assert [(e.kind, e.amount) for e in entries(cache)] == [("refund.create", 1500)]


def test_refund_of_a_fully_refunded_payment_is_disabled(qtbot, runner, client, make_session):
    pi = _paid(client)
    client.v1.refunds.create({"payment_intent": pi.id})
    dialog = _open_refund(qtbot, runner, make_session(), pi.id)
    assert dialog.message.text() == f"Charge {pi.latest_charge} has already been fully refunded."
    assert not dialog.ok_button.isEnabled()


def test_live_refund_needs_the_amount_typed(qtbot, runner, client, make_session, sandbox):
    sandbox.register_restricted_key(LIVE, ALL_WRITE)
    session = make_session(LIVE)
    pi = _paid(client)
    dialog = _open_refund(qtbot, runner, session, pi.id)
    dialog.amount.setText("5")
    dialog.ok_button.click()
    confirm = dialog.live_dialog
    assert confirm is not None and confirm.isVisible()
    assert "Type the amount (5.00)" in confirm.findChild(type(dialog.remaining_label)).text()
    confirm.typed.setText("50")
    assert not confirm.confirm_button.isEnabled()
    confirm.reject()
    assert dialog.message.text() == "Not confirmed; nothing was done."
    assert list(sandbox.state.newest_first("refunds")) == []
    dialog.ok_button.click()
    dialog.live_dialog.typed.setText("5,00")
    assert dialog.live_dialog.confirm_button.isEnabled()
    with qtbot.waitSignal(dialog.completed, timeout=10000):
        dialog.live_dialog.confirm_button.click()
    assert [r["amount"] for r in sandbox.state.newest_first("refunds")] == [500]


def test_restricted_key_disables_the_refund_with_stripes_reason(
    qtbot, runner, client, make_session, sandbox
):
    rk = "rk_test_guinorefundwrite0000"
    sandbox.register_restricted_key(rk, {**ALL_WRITE, "refund": "read"})
    pi = _paid(client)
    dialog = _open_refund(qtbot, runner, make_session(rk), pi.id)
    dialog.everything.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "rak_refund_write" in dialog.message.text(), timeout=10000)
    assert not dialog.ok_button.isEnabled()
    assert "rak_refund_write" in dialog.ok_button.toolTip()
    dialog.everything.setChecked(False)
    dialog.amount.setText("5")
    assert not dialog.ok_button.isEnabled()  # still refused: the form changing does not undo it


def test_customer_dialogs_create_edit_delete(qtbot, runner, make_session):
    session = make_session()
    customers = _list(qtbot, runner, lists.CUSTOMERS, session)
    dialog = CustomerEditDialog(runner, session)
    qtbot.addWidget(dialog)
    dialog.ok_button.click()
    assert dialog.message.text() == "Give the customer a name or an email address."
    dialog.name.setText("Grace")
    dialog.email.setText("grace@")
    dialog.ok_button.click()
    assert dialog.message.text() == "'grace@' is not an email address."
    dialog.email.setText("grace@example.com")
    dialog.metadata.setPlainText("internal_id")
    dialog.ok_button.click()
    assert dialog.message.text() == "Metadata line 1 needs the form key=value."
    dialog.metadata.setPlainText("internal_id=C-7")
    dialog.address["country"].setText("de")
    _refreshes(dialog, customers)
    created = _submit_and_wait(qtbot, dialog)
    assert created["metadata"]["internal_id"] == "C-7"
    qtbot.waitUntil(lambda: customers.row_of(created["id"]) is not None, timeout=5000)

    edit = CustomerEditDialog(runner, session, created)
    qtbot.addWidget(edit)
    assert edit.name.text() == "Grace" and "internal_id=C-7" in edit.metadata.toPlainText()
    edit.name.setText("Grace Hopper")
    assert _submit_and_wait(qtbot, edit)["name"] == "Grace Hopper"

    delete = CustomerDeleteDialog(runner, session, created["id"])
    qtbot.addWidget(delete)
    delete.typed.setText("cus_wrong")
    delete.ok_button.click()
    assert delete.message.text() == f"Type {created['id']} to confirm the deletion."
    delete.typed.setText(created["id"])
    _refreshes(delete, customers)
    assert _submit_and_wait(qtbot, delete)["deleted"] is True
    qtbot.waitUntil(lambda: customers.row_of(created["id"]) is None, timeout=5000)


def test_new_invoice_dialog(qtbot, runner, client, make_session):
    session = make_session()
    customer = client.v1.customers.create({"name": "Ada", "email": "ada@example.com"})
    invoices = _list(qtbot, runner, lists.INVOICES, session)
    dialog = NewInvoiceDialog(runner, session, customer.id)
    qtbot.addWidget(dialog)
    dialog.ok_button.click()
    assert dialog.message.text() == "Add at least one line."
    description, quantity, unit = dialog.lines[0]
    description.setText("Consulting")
    unit.setText("99.999")
    dialog.ok_button.click()
    assert dialog.message.text() == "EUR amounts have at most 2 decimals."
    unit.setText("120,50")
    quantity.setValue(2)
    extra = dialog.add_line()
    extra[0].setText("Travel")
    extra[2].setText("30")
    dialog.memo.setText("Thank you")
    assert dialog.total.text() == "€271.00"  # before anything is created
    _refreshes(dialog, invoices)
    invoice = _submit_and_wait(qtbot, dialog)
    assert (invoice["status"], invoice["total"], invoice["description"]) == (
        "open",
        27100,
        "Thank you",
    )
    lines = client.v1.invoices.retrieve(invoice["id"]).lines.data
    assert [line.description for line in lines] == ["Consulting", "Travel"]  # as typed
    assert dialog.sentence == f"Invoice {invoice['number']} (€271.00) sent to Ada."
    qtbot.waitUntil(lambda: invoices.row_of(invoice["id"]) is not None, timeout=5000)


def test_new_invoice_saved_as_draft_in_the_customers_currency(qtbot, runner, client, make_session):
    session = make_session()
    customer = client.v1.customers.create({"name": "株式会社サンプル"})
    dialog = NewInvoiceDialog(runner, session, customer.id)
    qtbot.addWidget(dialog)
    dialog.currency.setText("JPY")
    for description, quantity, unit in [("Setup", 1, "15,600"), ("Seats", 3, "1000")]:
        line = dialog.lines[-1] if not dialog.lines[-1][0].text() else dialog.add_line()
        line[0].setText(description)
        line[1].setValue(quantity)
        line[2].setText(unit)
    assert dialog.total.text() == "¥18,600"
    dialog.lines[1][2].setText("10.5")
    assert dialog.total.text() == "— (line 2: JPY amounts are whole numbers, without decimals.)"
    dialog.lines[1][2].setText("1000")
    with qtbot.waitSignal(dialog.completed, timeout=10000) as caught:
        dialog.draft_button.click()
    invoice = caught.args[0].object
    assert (invoice["status"], invoice["total"], invoice["currency"]) == ("draft", 18600, "jpy")
    assert dialog.sentence == "Invoice (¥18,600) saved as a draft for 株式会社サンプル."


def test_new_subscription_dialog_live_needs_the_customer_id_typed(
    qtbot, runner, client, make_session, sandbox
):
    sandbox.register_restricted_key(LIVE, ALL_WRITE)
    session = make_session(LIVE)
    customer = client.v1.customers.create(
        {"name": "Ada", "payment_method": "pm_card_visa",
         "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip
    product = client.v1.products.create({"name": "Pro"})
    price = client.v1.prices.create(
        {"product": product.id, "unit_amount": 900, "currency": "eur",
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    subscriptions = _list(qtbot, runner, lists.SUBSCRIPTIONS, session)
    dialog = NewSubscriptionDialog(runner, session, customer.id)
    qtbot.addWidget(dialog)
    dialog.ok_button.click()
    assert dialog.message.text() == "Choose at least one price."
    # (choosing from the picker's matches, read from a synced cache: tests/gui/test_keyboard_flows.py)
    dialog.prices.choose(PriceChoice(price.id, "Pro", None, 900, "eur", "month"), 3)
    dialog.trial_days.setValue(14)
    dialog.methods["sepa_debit"].setChecked(True)
    dialog.methods["card"].setChecked(True)
    dialog.ok_button.click()
    dialog.live_dialog.typed.setText(customer.id)
    _refreshes(dialog, subscriptions)
    with qtbot.waitSignal(dialog.completed, timeout=10000) as caught:
        dialog.live_dialog.confirm_button.click()
    sub = caught.args[0].object
    assert sub["status"] == "trialing" and sub["items"]["data"][0]["quantity"] == 3
    assert sub["payment_settings"]["payment_method_types"] == ["card", "sepa_debit"]
    qtbot.waitUntil(lambda: subscriptions.row_of(sub["id"]) is not None, timeout=5000)


def test_audit_view_lists_the_journal_and_exports_csv(qtbot, runner, make_session, tmp_path):
    session = make_session()
    dialog = CustomerEditDialog(runner, session)
    qtbot.addWidget(dialog)
    dialog.name.setText("Audit me")
    created = _submit_and_wait(qtbot, dialog)
    view = AuditView(runner, session)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)
    texts = [view.model.index(0, c).data() for c in range(view.model.columnCount())]
    assert "customer.create" in texts and "succeeded" in texts and created["id"] in texts
    path = tmp_path / "audit.csv"
    with qtbot.waitSignal(view.message, timeout=5000):
        view.export(path)
    (row,) = csv.DictReader(path.open(encoding="utf-8"))
    assert (row["kind"], row["result_id"]) == ("customer.create", created["id"])
    with session.cache() as cache:
        assert [e.status for e in entries(cache)] == ["succeeded"]
