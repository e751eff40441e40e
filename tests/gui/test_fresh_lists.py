"""Lists stay fresh: what a sync or an operation changed shows up without any user action."""

from __future__ import annotations

from desk_billing.gui.tabs.payments import PaymentsTab


def _count(window, table: str) -> int:
    import sqlite3

    conn = sqlite3.connect(window.session.cache_path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]
    finally:
        conn.close()


def _rows_text(n: int) -> str:
    return f"{n:,} {'row' if n == 1 else 'rows'}"


def test_the_row_count_is_the_count_of_the_list_shown(window, qtbot):
    tab = window.tab(PaymentsTab)
    window.tabs.setCurrentWidget(tab)
    payments, charges, refunds = (
        _count(window, t) for t in ("payment_intents", "charges", "refunds")
    )
    assert len({payments, charges, refunds}) == 3, "the seed should tell the lists apart"
    for kind, expected in (("Refunds", refunds), ("Charges", charges), ("Payments", payments)):
        tab.kind_box.setCurrentText(kind)
        qtbot.waitUntil(lambda e=expected: tab.total_label.text() == _rows_text(e), timeout=5000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    assert tab.total_label.text() == _rows_text(payments)  # no hidden list's count arrives late


def test_the_detail_pane_clears_when_nothing_is_selected(window, qtbot):
    tab = window.tab(PaymentsTab)
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0 and not window.runner.busy, timeout=5000)
    picked = tab.model.id_at(0)
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    qtbot.waitUntil(lambda: picked in tab.detail.toPlainText(), timeout=5000)

    tab.kind_box.setCurrentText("Charges")  # another list: that payment is not in it
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    assert picked not in tab.detail.toPlainText()
    assert "Select a row" in tab.detail.toPlainText()

    tab.kind_box.setCurrentText("Payments")
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0 and not window.runner.busy, timeout=5000)
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    qtbot.waitUntil(lambda: picked in tab.detail.toPlainText(), timeout=5000)
    qtbot.keyClicks(tab.search, "nomatchwhatsoever")  # the selected row leaves the list
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0 and not window.runner.busy, timeout=5000)
    qtbot.waitUntil(lambda: "Select a row" in tab.detail.toPlainText(), timeout=3000)


def test_the_view_menu_shows_the_ampersand_of_payments_and_refunds(window):
    view_menu = next(
        a.menu() for a in window.menuBar().actions() if a.text() == "&View" and a.menu()
    )
    shown = [a.iconText() for a in view_menu.actions()]  # the text with mnemonics resolved
    assert "Payments & Refunds" in shown


def test_refund_reasons_read_as_labels(window, qtbot):
    tab = window.tab(PaymentsTab)
    window.tabs.setCurrentWidget(tab)
    tab.kind_box.setCurrentText("Refunds")
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0 and not window.runner.busy, timeout=5000)
    column = tab.model.spec.index_of("reason")
    shown = {tab.model.index(r, column).data() for r in range(tab.model.rowCount())}
    assert "Requested by customer" in shown
    assert "requested_by_customer" not in shown
    row = next(r for r in range(tab.model.rowCount()) if tab.model.index(r, column).data())
    tab.view.setCurrentIndex(tab.model.index(row, 0))
    qtbot.waitUntil(lambda: "Requested by customer" in tab.detail.toPlainText(), timeout=5000)
