"""Operations from the main window against the sandbox's demo account (real SDK over HTTP):
the buttons and menu items follow the selected row's status, each runs through its dialog and
the task runner, and the lists, the journal and the detail pane show the result."""

from __future__ import annotations

import sqlite3

import orjson
import pytest
from PySide6.QtCore import Qt

from desk_billing.core.account import AccountSession
from desk_billing.core.cache import Cache
from desk_billing.core.journal import Journal, OperationResult, entries
from desk_billing.core.money import format_amount
from desk_billing.core.operations.refunds import plan_refund
from desk_billing.core.profiles import MAX_NETWORK_RETRIES, AppPaths, Profile, Settings
from desk_billing.gui.main_window import MainWindow
from desk_billing.gui.tabs import payments as payments_tab
from desk_billing.gui.tabs.customers import CustomersTab
from desk_billing.gui.tabs.invoices import InvoicesTab
from desk_billing.gui.tabs.payments import PaymentsTab
from desk_billing.gui.tabs.subscriptions import SubscriptionsTab
from desk_billing.sandbox import Sandbox
from tests.gui.conftest import ALL_READ_WRITE
from tests.gui.seed import TEST_KEY

LIVE_KEY = "rk_" + "live_guiactions0000000000001"
pytestmark = pytest.mark.sandbox(seed="demo")


@pytest.fixture
def demo(sandbox: Sandbox) -> Sandbox:
    """The test's sandbox, seeded as the demo account."""
    return sandbox


@pytest.fixture
def open_demo(qtbot, demo):
    """The main window on the demo account, after its first sync; `before(session)` runs first."""
    windows = []

    def open_(key: str = TEST_KEY, before=None) -> MainWindow:
        paths = AppPaths.from_env()
        settings = Settings.load(paths)
        settings.set(MAX_NETWORK_RETRIES, 0)
        mode = "live" if "_live_" in key else "test"
        profile = Profile("actions", mode, account_name="Demo", api_base=demo.url)
        session = AccountSession(paths, profile, key=key, api_base=demo.url, settings=settings)
        if before is not None:
            before(session)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        windows.append(window)
        qtbot.waitUntil(lambda: window.sync.last_sync_at is not None, timeout=20000)
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=10000)
        return window

    yield open_
    for window in windows:
        window.close()


def cached(window: MainWindow, table: str, where: str, *args) -> list[dict]:
    conn = sqlite3.connect(window.session.cache_path)
    try:
        sql = f"SELECT data FROM {table} WHERE deleted = 0 AND {where} ORDER BY created DESC"
        return [orjson.loads(row[0]) for row in conn.execute(sql, args)]
    finally:
        conn.close()


def select(qtbot, window: MainWindow, tab, object_id: str) -> None:
    """Show the tab, find the row by its id and wait until its actions know its state."""
    window.tabs.setCurrentWidget(tab)
    tab.search.setText(object_id)
    tab.apply_query()
    qtbot.waitUntil(
        lambda: not tab.model.querying and tab.model.row_of(object_id) is not None, timeout=5000
    )
    assert tab.select_id(object_id)
    bar = tab.action_bar
    qtbot.waitUntil(
        lambda: bar.selection is not None and bar.selection.id == object_id, timeout=5000
    )


def enabled(tab) -> set[str]:
    return {name for name, action in tab.action_bar.qactions.items() if action.isEnabled()}


def run(qtbot, window: MainWindow) -> OperationResult:
    """Press the open dialog's OK and wait for the operation's result."""
    dialog = window.operations.dialog
    with qtbot.waitSignal(dialog.completed, timeout=15000) as caught:
        dialog.ok_button.click()
    return caught.args[0]


def confirm(qtbot, window: MainWindow) -> dict:
    """Press OK; the object Stripe returned."""
    return run(qtbot, window).object


def test_refund_from_the_payments_tab_shows_in_the_list_and_the_journal(open_demo, qtbot, demo):
    window = open_demo()
    tab = window.tab(PaymentsTab)
    refunded = {r["charge"] for r in demo.state.newest_first("refunds")}
    pi = next(
        p
        for p in cached(window, "payment_intents", "status = 'succeeded'")
        if p["latest_charge"] not in refunded and p["currency"] == "eur"
    )
    select(qtbot, window, tab, pi["id"])
    assert {"refund"} <= enabled(tab) and not {"capture", "cancel-payment"} & enabled(tab)
    assert window.actions_menu.actions() == list(tab.action_bar.qactions.values())

    window.activateWindow()
    qtbot.keyClick(tab.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Ctrl+R
    dialog = window.operations.dialog
    assert dialog is not None and dialog.target == pi["id"]
    qtbot.waitUntil(lambda: dialog.refundable is not None, timeout=10000)
    dialog.amount.setText("5")
    refund = confirm(qtbot, window)
    assert (refund["amount"], refund["status"]) == (500, "succeeded")
    charged = format_amount(pi["amount"], "eur")
    assert f"Refunded €5.00 of {charged} to " in window.status.message.text()  # not "re_… succeeded"
    assert tab.selected_id() == pi["id"]  # the list refreshed around the selection

    tab.kind_box.setCurrentText("Refunds")
    tab.search.clear()
    tab.apply_query()
    qtbot.waitUntil(lambda: tab.model.row_of(refund["id"]) is not None, timeout=5000)

    window.tabs.setCurrentWidget(window.audit)
    assert [a.text() for a in window.actions_menu.actions()][0] == "Retry unfinished operations"
    view = window.audit.view
    qtbot.waitUntil(lambda: view.model.rowCount() >= 1, timeout=5000)
    (entry,) = [e for e in view.model.entries if e.result_id == refund["id"]]
    assert (entry.kind, entry.status, entry.amount) == ("refund.create", "succeeded", 500)


def test_a_refund_updates_the_lists_from_its_result_without_a_sync(open_demo, qtbot, demo):
    window = open_demo()
    window.sync.stop()  # from here on, what the lists show comes from the refund's result
    synced_at = window.sync.last_sync_at
    tab = window.tab(PaymentsTab)
    window.tabs.setCurrentWidget(tab)
    tab.kind_box.setCurrentText("Charges")
    charge = next(
        c
        for c in cached(window, "charges", "status = 'succeeded'")
        if c["captured"] and not c["amount_refunded"] and c["currency"] == "eur"
    )
    select(qtbot, window, tab, charge["id"])
    refunded = tab.model.spec.index_of("amount_refunded")

    def shown() -> str:
        return tab.model.index(tab.model.row_of(charge["id"]), refunded).data()

    assert shown() == "€0.00"
    tab.action_bar.action("refund").trigger()
    dialog = window.operations.dialog
    qtbot.waitUntil(lambda: dialog.refundable is not None, timeout=10000)
    dialog.amount.setText("5")
    result = run(qtbot, window)
    refund = result.object
    assert result.changed["refunds"] == {refund["id"]}
    assert result.changed["charges"] == {charge["id"]}
    assert result.changed["payment_intents"] == {charge["payment_intent"]}
    qtbot.waitUntil(lambda: shown() == "€5.00", timeout=5000)
    tab.kind_box.setCurrentText("Refunds")
    tab.search.clear()
    tab.apply_query()
    qtbot.waitUntil(lambda: tab.model.row_of(refund["id"]) is not None, timeout=5000)
    assert window.sync.last_sync_at == synced_at and not window.sync.running


def test_invoice_actions_follow_the_status_and_void_updates_the_list(open_demo, qtbot):
    window = open_demo()
    tab = window.tab(InvoicesTab)
    draft = cached(window, "invoices", "status = 'draft'")[0]
    select(qtbot, window, tab, draft["id"])
    assert enabled(tab) == {"new-invoice", "finalize"}
    why = tab.action_bar.action("void").toolTip()
    assert why == "Void: only an open invoice; this one is draft."
    assert tab.pdf_preview_button.isEnabled()  # the PDF buttons stay

    paid = cached(window, "invoices", "status = 'paid'")[0]
    select(qtbot, window, tab, paid["id"])
    assert not {"finalize", "send", "pay", "void", "mark-uncollectible"} & enabled(tab)

    invoice = cached(window, "invoices", "status = 'open'")[0]
    select(qtbot, window, tab, invoice["id"])
    assert {"pay", "void", "mark-uncollectible"} <= enabled(tab)
    assert "finalize" not in enabled(tab)
    tab.action_bar.action("void").trigger()
    assert confirm(qtbot, window)["status"] == "void"
    row = lambda: tab.model.row_of(invoice["id"])  # noqa: E731
    qtbot.waitUntil(lambda: tab.model.raw(row(), "status") == "void", timeout=5000)
    assert tab.selected_id() == invoice["id"]
    qtbot.waitUntil(lambda: "void" not in enabled(tab), timeout=5000)


def test_cancel_at_period_end_then_undo_updates_the_row(open_demo, qtbot, demo):
    window = open_demo()
    tab = window.tab(SubscriptionsTab)
    sub = next(
        s
        for s in cached(window, "subscriptions", "status = 'active'")
        if not s["cancel_at_period_end"] and not s.get("pause_collection")
    )
    select(qtbot, window, tab, sub["id"])
    assert {"cancel-at-period-end", "cancel-now", "pause", "change"} <= enabled(tab)
    assert "undo-cancel" not in enabled(tab)
    tab.action_bar.action("cancel-at-period-end").trigger()
    assert confirm(qtbot, window)["cancel_at_period_end"] is True
    bar = tab.action_bar
    qtbot.waitUntil(lambda: bar.selection.obj["cancel_at_period_end"] is True, timeout=5000)
    assert "undo-cancel" in enabled(tab) and "cancel-at-period-end" not in enabled(tab)
    qtbot.waitUntil(lambda: "cancels at period end" in tab.detail.toPlainText(), timeout=5000)
    assert demo.state.get("subscriptions", sub["id"])["cancel_at_period_end"] is True

    tab.action_bar.action("undo-cancel").trigger()
    assert confirm(qtbot, window)["cancel_at_period_end"] is False
    qtbot.waitUntil(lambda: "cancel-at-period-end" in enabled(tab), timeout=5000)

    ended = cached(window, "subscriptions", "status = 'canceled'")[0]
    select(qtbot, window, tab, ended["id"])
    assert enabled(tab) == set()
    assert "has ended" in tab.action_bar.action("change").toolTip()


def test_payments_sepa_processing_and_uncaptured(open_demo, qtbot):
    window = open_demo()
    tab = window.tab(PaymentsTab)
    sepa = cached(window, "payment_intents", "status = 'processing'")[0]
    select(qtbot, window, tab, sepa["id"])
    assert enabled(tab) == set()
    assert tab.action_bar.action("refund").toolTip() == payments_tab.PROCESSING
    qtbot.waitUntil(lambda: "SEPA Direct Debit" in tab.detail.toPlainText(), timeout=5000)

    held = cached(window, "payment_intents", "status = 'requires_capture'")[0]
    select(qtbot, window, tab, held["id"])
    assert enabled(tab) == {"capture", "cancel-payment"}
    tab.action_bar.action("capture").trigger()
    window.operations.dialog.findChild(type(tab.search)).setText("10")
    captured = confirm(qtbot, window)
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 1000)
    qtbot.waitUntil(lambda: enabled(tab) == {"refund"}, timeout=5000)


def test_live_mode_asks_for_the_typed_id(open_demo, qtbot, demo):
    demo.register_restricted_key(LIVE_KEY, ALL_READ_WRITE)
    window = open_demo(LIVE_KEY)
    tab = window.tab(InvoicesTab)
    invoice = cached(window, "invoices", "status = 'open'")[0]
    select(qtbot, window, tab, invoice["id"])
    tab.action_bar.action("mark-uncollectible").trigger()
    dialog = window.operations.dialog
    dialog.ok_button.click()
    typed = dialog.live_dialog
    assert typed is not None and typed.isVisible()
    typed.typed.setText("in_wrong")
    assert not typed.confirm_button.isEnabled()
    typed.typed.setText(invoice["id"])
    with qtbot.waitSignal(dialog.completed, timeout=15000):
        typed.confirm_button.click()
    assert demo.state.get("invoices", invoice["id"])["status"] == "uncollectible"


def test_a_refused_permission_disables_the_action_with_stripes_reason(open_demo, qtbot, demo):
    key = "rk_test_guiactionsnorefund0001"
    demo.register_restricted_key(key, {**ALL_READ_WRITE, "refund": "read"})
    window = open_demo(key)
    tab = window.tab(CustomersTab)
    customer = next(
        c["id"]
        for c in cached(window, "customers", "1")
        if cached(window, "payment_intents", "customer = ? AND status = 'succeeded'", c["id"])
    )
    select(qtbot, window, tab, customer)
    assert "refund" in enabled(tab)
    window.operations.dialog = None
    tab.action_bar.action("refund").trigger()
    dialog = window.operations.dialog
    if not hasattr(dialog, "refundable"):  # several payments: the chooser comes first
        dialog.accept()
        dialog = window.operations.dialog
    qtbot.waitUntil(lambda: dialog.refundable is not None, timeout=10000)
    dialog.everything.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "refund" not in enabled(tab), timeout=10000)
    assert "rak_refund_write" in tab.action_bar.action("refund").toolTip()
    payments = window.tab(PaymentsTab)
    assert "rak_refund_write" in payments.action_bar.action("refund").toolTip()


class SimulatedCrash(BaseException):
    """Stands for the process dying between Stripe's answer and the journal update."""


class CrashingJournal(Journal):
    def _crash_hook(self) -> None:
        raise SimulatedCrash


def test_resume_at_start_settles_a_pending_refund(open_demo, qtbot, demo):
    refunded = {r["payment_intent"] for r in demo.state.newest_first("refunds")}
    pi = next(
        p
        for p in demo.state.newest_first("payment_intents")
        if p["status"] == "succeeded" and p["id"] not in refunded
    )

    def crash_a_refund(session: AccountSession) -> None:
        with session.cache() as cache:
            gateway = session.gateway()
            journal = CrashingJournal(cache, gateway, session.profile.name)
            with pytest.raises(SimulatedCrash):
                journal.run(plan_refund(gateway, pi["id"], "1.00").request())
            assert [e.status for e in entries(cache)] == ["pending"]

    window = open_demo(before=crash_a_refund)
    qtbot.waitUntil(lambda: window.operations.resume_summary is not None, timeout=10000)
    assert window.operations.resume_summary == "Unfinished operations from last time: 1 finished."
    refunds = [r for r in demo.state.newest_first("refunds") if r["payment_intent"] == pi["id"]]
    assert [r["amount"] for r in refunds] == [100]  # sent once, replayed, not sent twice
    with Cache.open(window.session.cache_path) as cache:
        (entry,) = entries(cache)
    assert (entry.status, entry.result_id) == ("succeeded", refunds[0]["id"])
