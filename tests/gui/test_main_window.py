"""The main window against the sandbox: real SDK calls over HTTP through the sync engine."""

from __future__ import annotations

import csv
import sqlite3

from PySide6.QtCore import Qt

from desk_billing.gui.main_window import MainWindow
from desk_billing.gui.table_model import KindRole
from desk_billing.gui.tabs.activity import ActivityTab
from desk_billing.gui.tabs.customers import CustomersTab
from desk_billing.gui.tabs.invoices import InvoicesTab
from desk_billing.gui.tabs.payments import PaymentsTab
from desk_billing.gui.tabs.subscriptions import SubscriptionsTab
from tests.gui.seed import client_for


def cache_ids(window: MainWindow, table: str, where: str = "") -> set[str]:
    conn = sqlite3.connect(window.session.cache_path)
    try:
        sql = f"SELECT id FROM {table} WHERE deleted = 0 {where}"
        return {row[0] for row in conn.execute(sql)}
    finally:
        conn.close()


def cache_rows(window: MainWindow, sql: str) -> list[tuple]:
    conn = sqlite3.connect(window.session.cache_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def shown_ids(tab) -> set[str]:
    return {tab.model.id_at(row) for row in range(tab.model.rowCount())}


def search(qtbot, tab, text: str) -> None:
    tab.search.clear()
    qtbot.keyClicks(tab.search, text)  # debounced: the query runs once typing pauses
    qtbot.waitUntil(lambda: tab.model.query.search == text and not tab.runner.busy, timeout=3000)


def test_lists_show_what_the_cache_holds(window, qtbot):
    for cls, table in [
        (CustomersTab, "customers"),
        (InvoicesTab, "invoices"),
        (SubscriptionsTab, "subscriptions"),
        (PaymentsTab, "payment_intents"),
    ]:
        tab = window.tab(cls)
        window.tabs.setCurrentWidget(tab)
        expected = cache_ids(window, table)
        assert expected, f"the sync brought no {table}"
        qtbot.waitUntil(lambda t=tab, e=expected: shown_ids(t) == e, timeout=3000)
        assert tab.total_label.text() == f"{len(expected)} rows"
    invoices = window.tab(InvoicesTab)
    texts = {
        invoices.model.index(r, invoices.spec.index_of("total")).data()
        for r in range(invoices.model.rowCount())
    }
    assert "¥15,000" in texts  # JPY has no decimals
    assert "€120.00" in texts
    status = invoices.model.index(0, invoices.spec.index_of("status"))
    assert status.data(KindRole) == "status"  # drawn as a coloured label


def test_search_narrows_the_list(window, qtbot, seeded):
    customers = window.tab(CustomersTab)
    search(qtbot, customers, "ada")
    assert shown_ids(customers) == {seeded.customers["Ada Lovelace"]}
    search(qtbot, customers, "nobody-has-this-name")
    assert shown_ids(customers) == set()
    assert customers.total_label.text() == "0 rows"
    customers.search.clear()
    customers.apply_query()
    qtbot.waitUntil(lambda: len(shown_ids(customers)) == len(seeded.customers), timeout=3000)

    invoices = window.tab(InvoicesTab)
    window.tabs.setCurrentWidget(invoices)
    invoices.status_box.setCurrentIndex(invoices.status_box.findData("paid"))
    qtbot.waitUntil(
        lambda: shown_ids(invoices) == cache_ids(window, "invoices", "AND status = 'paid'"),
        timeout=3000,
    )


def test_filters_offer_what_the_cache_holds_and_narrow_the_list(window, qtbot, seeded):
    invoices = window.tab(InvoicesTab)
    window.tabs.setCurrentWidget(invoices)
    box = invoices.currency_box
    currencies = {row[0] for row in cache_rows(window, "SELECT DISTINCT currency FROM invoices")}
    qtbot.waitUntil(lambda: {box.itemData(i) for i in range(1, box.count())} == currencies)
    box.setCurrentIndex(box.findData("jpy"))
    qtbot.waitUntil(
        lambda: shown_ids(invoices) == cache_ids(window, "invoices", "AND currency = 'jpy'"),
        timeout=3000,
    )
    assert shown_ids(invoices)
    invoices.period_box.setCurrentText("Custom range")  # days before anything was made
    invoices.date_from.setDate(invoices.date_from.date().addYears(-3))
    invoices.date_to.setDate(invoices.date_from.date().addDays(1))
    qtbot.waitUntil(lambda: shown_ids(invoices) == set(), timeout=3000)
    invoices.period_box.setCurrentText("Today")
    qtbot.waitUntil(lambda: bool(shown_ids(invoices)), timeout=3000)

    payments = window.tab(PaymentsTab)
    window.tabs.setCurrentWidget(payments)
    payments.kind_box.setCurrentText("Refunds")
    (refund_id,) = seeded.refunds
    (charge,) = cache_rows(window, f"SELECT charge FROM refunds WHERE id = '{refund_id}'")
    (customer,) = cache_rows(window, f"SELECT customer FROM charges WHERE id = '{charge[0]}'")
    payments.customer_edit.setText(customer[0])  # a refund reaches it through its charge
    payments.apply_query()
    qtbot.waitUntil(lambda: shown_ids(payments) == {refund_id}, timeout=3000)
    payments.customer_edit.setText("cus_nobody")
    payments.apply_query()
    qtbot.waitUntil(lambda: shown_ids(payments) == set(), timeout=3000)

    activity = window.tab(ActivityTab)
    window.tabs.setCurrentWidget(activity)
    activity.category_box.setCurrentText("Refunds")
    expected = cache_ids(window, "events", "AND (type LIKE 'refund.%' OR type = 'charge.refunded')")
    qtbot.waitUntil(lambda: shown_ids(activity) == expected and bool(expected), timeout=3000)


def test_metadata_values_are_searchable(window, qtbot, seeded):
    customers = window.tab(CustomersTab)
    search(qtbot, customers, "crm-1002")
    assert shown_ids(customers) == {seeded.customers["Kenji Sato"]}


def test_table_model_passes_qt_model_tester(window, qtbot, qtmodeltester):
    window.tabs.setCurrentWidget(window.tab(InvoicesTab))
    model = window.tab(InvoicesTab).model
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    qtmodeltester.check(model)


def test_pages_come_in_order_until_the_end(window, qtbot):
    from desk_billing.core.cache.lists import INVOICES
    from desk_billing.gui.table_model import CacheTableModel

    model = CacheTableModel(INVOICES, window.runner, window.session.cache_path, page_size=2)
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    while model.canFetchMore() or not model.fully_loaded:
        model.fetchMore()
        qtbot.wait(10)
    conn = sqlite3.connect(window.session.cache_path)
    expected = [r[0] for r in conn.execute("SELECT id FROM invoices WHERE deleted = 0")]
    created = dict(conn.execute("SELECT id, created FROM invoices"))
    conn.close()
    shown = [model.id_at(r) for r in range(model.rowCount())]
    assert sorted(shown) == sorted(expected)  # every row once, across pages of two
    assert [created[i] for i in shown] == sorted((created[i] for i in shown), reverse=True)


def test_sync_from_the_gui_updates_rows_and_keeps_the_selection(window, qtbot, sandbox, seeded):
    tab = window.tab(InvoicesTab)
    window.tabs.setCurrentWidget(tab)
    open_ids = cache_ids(window, "invoices", "AND status = 'open'")
    target = next(iter(open_ids))
    qtbot.waitUntil(lambda: tab.model.row_of(target) is not None)
    assert tab.select_id(target)
    status_column = tab.spec.index_of("status")

    client = client_for(sandbox.url)
    client.v1.invoices.pay(target)  # changes the selected row
    newcomer = client.v1.customers.create({"name": "Newcomer", "email": "new@example.com"})
    fresh = client.v1.invoices.create({"customer": newcomer.id, "currency": "usd"})  # a row above

    with qtbot.waitSignal(tab.model.refreshed, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert tab.selected_id() == target
    row = tab.model.row_of(target)
    assert tab.model.index(row, status_column).data() == "paid"
    assert tab.model.row_of(fresh.id) is not None
    assert tab.view.selectionModel().isRowSelected(row)


def test_revoked_key_reaches_the_user_as_one_sentence(
    seeded, open_window, sandbox, restricted_key, qtbot
):
    window = open_window(restricted_key)
    window.tabs.setCurrentWidget(window.tab(CustomersTab))  # Overview is the first tab
    qtbot.waitUntil(lambda: window.tab(CustomersTab).model.rowCount() > 0)
    with sandbox.state.lock:
        del sandbox.state.restricted_keys[restricted_key]  # revoked in the Dashboard
    with qtbot.waitSignal(window.sync.failed, timeout=10000):
        window.sync_now()
    text = window.banner.label.text()
    assert window.banner.isVisible()
    assert text.startswith("Stripe did not accept the API key")
    assert "\n" not in text and "Traceback" not in text and restricted_key not in text
    assert window.status.connection.text() == "● Key rejected"
    assert window.tab(CustomersTab).model.rowCount() > 0  # the cache still reads


def test_offline_opens_on_the_cache_with_a_banner(seeded, open_window, sandbox, qtbot):
    first = open_window()
    first.tabs.setCurrentWidget(first.tab(CustomersTab))  # Overview is the first tab
    qtbot.waitUntil(lambda: first.tab(CustomersTab).model.rowCount() > 0)
    count = first.tab(CustomersTab).model.rowCount()
    first.close()
    sandbox.stop()
    window = open_window(wait_sync=False)
    window.tabs.setCurrentWidget(window.tab(CustomersTab))
    qtbot.waitUntil(lambda: window.banner.kind == "offline", timeout=15000)
    assert window.banner.label.text().startswith("Offline:")
    assert window.status.connection.text() == "● Offline"
    qtbot.waitUntil(lambda: window.tab(CustomersTab).model.rowCount() == count)


def test_keyboard_switches_tabs_and_focuses_search(window, qtbot):
    # Ctrl+1 is the Overview, first since issue 15; the lists follow it.
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_tab(), ActivityTab)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_tab(), InvoicesTab)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.current_tab().search.hasFocus(), timeout=2000)


def test_detail_pane_and_csv_export(window, qtbot, tmp_path, seeded):
    customers = window.tab(CustomersTab)
    window.tabs.setCurrentWidget(customers)
    ada = seeded.customers["Ada Lovelace"]
    qtbot.waitUntil(lambda: customers.model.row_of(ada) is not None)
    customers.select_id(ada)
    qtbot.waitUntil(lambda: "Ada Lovelace" in customers.detail.toPlainText(), timeout=3000)
    text = customers.detail.toPlainText()
    assert "Subscriptions (1)" in text and "Invoices (" in text and "Payments (" in text
    assert customers.dashboard_url() == f"https://dashboard.stripe.com/test/customers/{ada}"

    invoices = window.tab(InvoicesTab)
    window.tabs.setCurrentWidget(invoices)
    invoices.status_box.setCurrentIndex(invoices.status_box.findData("paid"))
    qtbot.waitUntil(
        lambda: all(
            invoices.model.raw(r, "status") == "paid" for r in range(invoices.model.rowCount())
        )
    )
    out = tmp_path / "paid.csv"
    with qtbot.waitSignal(invoices.message, timeout=5000):
        invoices.export_to(out)
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["id", "Number", "Customer"]
    assert {r[0] for r in rows[1:]} == cache_ids(window, "invoices", "AND status = 'paid'")


def test_window_state_and_last_tab_are_restored(window, open_window, qtbot):
    window.tabs.setCurrentIndex(3)
    window.tab(InvoicesTab).view.horizontalHeader().resizeSection(0, 321)
    window.close()
    again = open_window(wait_sync=False)
    assert again.tabs.currentIndex() == 3
    assert again.tab(InvoicesTab).view.horizontalHeader().sectionSize(0) == 321
