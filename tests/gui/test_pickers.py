"""The pickers over a cache file: typing part of a name lists matches (name, email, currency),
Down/Enter choose without submitting anything, a pasted id names its customer, prices come with
a quantity beside each and archived ones are never offered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QVBoxLayout

from desk_billing.core.cache import Cache
from desk_billing.gui.pickers import CustomerPicker, PricePicker
from desk_billing.gui.tasks import TaskRunner


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def cache_path(tmp_path):
    path = tmp_path / "cache.sqlite3"
    with Cache.open(path) as cache:
        cache.upsert("customers", [
            {"id": "cus_A1", "object": "customer", "name": "株式会社サンプル",
             "email": "keiri@sample.example.jp", "currency": "jpy", "created": 3},
            {"id": "cus_B2", "object": "customer", "name": "Acme Widgets Ltd",
             "email": "billing@acme.example", "currency": "gbp", "created": 2},
            {"id": "cus_C3", "object": "customer", "name": "Acme Holdings",
             "email": "holdings@example.com", "currency": "eur", "created": 1},
        ])  # fmt: skip
        cache.upsert(
            "products", [{"id": "prod_1", "object": "product", "name": "Pro plan", "active": True}]
        )
        price = {"object": "price", "type": "recurring", "product": "prod_1"}
        cache.upsert("prices", [
            {**price, "id": "price_m", "active": True, "nickname": "Monthly", "unit_amount": 4900,
             "currency": "eur", "recurring": {"interval": "month", "interval_count": 1}},
            {**price, "id": "price_y", "active": True, "nickname": "Yearly", "unit_amount": 49000,
             "currency": "eur", "recurring": {"interval": "year", "interval_count": 1}},
            {**price, "id": "price_gone", "active": False, "nickname": "Legacy", "unit_amount": 100,
             "currency": "eur", "recurring": {"interval": "month", "interval_count": 1}},
        ])  # fmt: skip
    return path


def _in_dialog(qtbot, picker):
    dialog = QDialog()
    QVBoxLayout(dialog).addWidget(picker)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    picker.setFocus()
    qtbot.waitUntil(picker.edit.hasFocus, timeout=5000)  # where a person types
    return dialog


def _type(qtbot, picker, text):
    with qtbot.waitSignal(picker.searched, timeout=5000):
        qtbot.keyClicks(picker.edit, text)
    qtbot.waitUntil(lambda: not picker._runner.busy, timeout=5000)


def test_customer_picker_chooses_by_part_of_a_name_with_the_keyboard(qtbot, runner, cache_path):
    picker = CustomerPicker(runner, cache_path)
    dialog = _in_dialog(qtbot, picker)
    chosen = []
    picker.chosen.connect(chosen.append)
    _type(qtbot, picker, "acm")
    shown = [picker.matches.item(i).text() for i in range(picker.matches.count())]
    assert shown == [
        "Acme Widgets Ltd · billing@acme.example · GBP",
        "Acme Holdings · holdings@example.com · EUR",
    ]
    assert picker.matches.isVisible()
    qtbot.keyClick(picker.edit, Qt.Key.Key_Down)
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    assert dialog.isVisible()  # Enter chose a match; it did not submit the dialog
    assert picker.customer_id() == "cus_C3" and picker.edit.text() == "Acme Holdings"
    assert chosen[-1].currency == "eur" and not picker.matches.isVisible()
    assert picker.summary.text() == "Acme Holdings · holdings@example.com · EUR"
    qtbot.keyClick(picker.edit, Qt.Key.Key_Backspace)  # editing forgets the choice
    assert picker.choice is None and chosen[-1] is None


def test_a_pasted_customer_id_names_its_customer(qtbot, runner, cache_path):
    picker = CustomerPicker(runner, cache_path, customer="cus_A1")
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: picker.choice is not None, timeout=5000)
    assert picker.summary.text() == "株式会社サンプル · keiri@sample.example.jp · JPY"
    assert picker.customer_id() == "cus_A1"


def test_price_picker_lists_active_prices_with_a_quantity_beside_each(qtbot, runner, cache_path):
    picker = PricePicker(runner, cache_path)
    dialog = _in_dialog(qtbot, picker)  # noqa: F841 - kept alive while the test runs
    with qtbot.waitSignal(picker.searched, timeout=5000):
        qtbot.keyClick(picker.edit, Qt.Key.Key_Down)  # Down with nothing typed lists the catalogue
    shown = [picker.matches.item(i).text() for i in range(picker.matches.count())]
    assert shown == [
        "Pro plan — Monthly · €49.00 / month · EUR",
        "Pro plan — Yearly · €490.00 / year · EUR",
    ]  # the archived "Legacy" price is not offered
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    (price, quantity, _widgets) = picker.rows[0]
    assert price.id == "price_m" and quantity.hasFocus()
    qtbot.keyClicks(quantity, "3")  # the 1 is selected: typing replaces it
    assert picker.items() == [("price_m", 3)]
    picker.edit.setFocus()
    _type(qtbot, picker, "year")
    assert [picker.matches.item(i).text() for i in range(picker.matches.count())] == [
        "Pro plan — Yearly · €490.00 / year · EUR"
    ]
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    assert picker.items() == [("price_m", 3), ("price_y", 1)]
