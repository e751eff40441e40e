"""The PDF preview and export dialogs against a sandbox over HTTP (pytest-qt, offscreen)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from desk_billing.core.pdfs import INDEX_NAME, is_pdf, read_index
from desk_billing.gui.dialogs.pdf_export import PdfExportDialog
from desk_billing.gui.pdf_preview import PdfPreviewDialog
from desk_billing.gui.tasks import TaskRunner
from desk_billing.sandbox import Sandbox
from tests.integration.conftest import make_gateway, sdk_client

NAMES = ["Zoë Müller", "株式会社テスト", "Acme Corp", "Ελένη", "José Peña"]


@pytest.fixture(scope="module")
def account(module_sandbox: Sandbox):
    """A sandbox with 30 paid invoices and one draft."""
    sb = module_sandbox
    client = sdk_client(sb)
    paid = []
    for i in range(30):
        customer = client.v1.customers.create(
            {
                "name": NAMES[i % len(NAMES)],
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        invoice = client.v1.invoices.create({"customer": customer.id, "currency": "eur"})
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 1000 + i}
        )
        paid.append(client.v1.invoices.pay(invoice.id).id)
    draft = client.v1.invoices.create({"customer": customer.id}).id
    return sb, paid, draft


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def gateway_of(sb: Sandbox):
    return lambda: make_gateway(sb)


class UrlCatcher(QObject):
    """Stands in for the system's PDF viewer."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_preview_shows_saves_and_opens_the_pdf(qtbot, runner, account, tmp_path):
    sb, paid, _draft = account
    dialog = PdfPreviewDialog(runner, gateway_of(sb), paid[1])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=15000) as loaded:
        dialog.show()
    assert dialog.document.pageCount() >= 1
    assert "株式会社テスト" in Path(loaded.args[0]).name
    assert dialog.save_button.isEnabled() and dialog.open_button.isEnabled()

    target = tmp_path / "saved as.pdf"
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save_to(target)
    assert is_pdf(target) and target.read_bytes() == Path(loaded.args[0]).read_bytes()

    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        dialog.open_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in catcher.urls] == [loaded.args[0]]


def test_preview_of_a_draft_says_so(qtbot, runner, account):
    sb, _paid, draft = account
    dialog = PdfPreviewDialog(runner, gateway_of(sb), draft)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.failed, timeout=15000) as failed:
        dialog.show()
    assert "draft" in failed.args[0] and "draft" in dialog.message.text()
    assert not dialog.save_button.isEnabled()


def _fill(dialog: PdfExportDialog, folder: Path) -> None:
    dialog.folder_edit.setText(str(folder))
    dialog.date_from.setDate(date(2000, 1, 1))
    dialog.date_to.setDate(date(2100, 1, 1))


def test_export_dialog_exports_with_progress(qtbot, runner, account, tmp_path):
    sb, paid, _draft = account
    dialog = PdfExportDialog(runner, gateway_of(sb))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.status_box.currentData() == "paid"  # the default
    _fill(dialog, tmp_path)
    with qtbot.waitSignal(dialog.exported, timeout=30000) as exported:
        dialog.export_button.click()
    report = exported.args[0]
    assert report.downloaded == len(paid)
    assert dialog.progress.value() == dialog.progress.maximum() == len(paid)
    rows = read_index(tmp_path / INDEX_NAME)
    assert sorted(r["file_name"] for r in rows) == sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert f"{len(paid)} downloaded" in dialog.message.text()
    qtbot.waitUntil(lambda: not dialog.running, timeout=5000)

    with qtbot.waitSignal(dialog.exported, timeout=30000) as again:
        dialog.export_button.click()
    assert (again.args[0].downloaded, again.args[0].skipped) == (0, len(paid))


def test_export_dialog_cancel_keeps_only_whole_files(qtbot, runner, account, tmp_path):
    sb, paid, _draft = account
    dialog = PdfExportDialog(runner, gateway_of(sb))
    qtbot.addWidget(dialog)
    dialog.show()
    _fill(dialog, tmp_path)
    sb.set_switches(latency_ms=80)
    try:
        dialog.export_button.click()
        qtbot.waitUntil(lambda: dialog.progress.value() >= 3, timeout=20000)
        assert dialog.cancel_button.text() == "Cancel"
        dialog.cancel_button.click()
        qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
    finally:
        sb.set_switches(latency_ms=0)
    assert dialog.message.text().startswith("Cancelled.")
    assert dialog.cancel_button.text() == "Close"
    files = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert 3 <= len(files) < len(paid)
    assert all(is_pdf(tmp_path / f) for f in files)
    assert not list(tmp_path.glob(".desk-billing-*.part"))
    rows = read_index(tmp_path / INDEX_NAME)
    assert sorted(r["file_name"] for r in rows) == files


def test_export_dialog_refuses_a_bad_form_in_one_sentence(qtbot, runner, account, tmp_path):
    sb, _paid, _draft = account
    dialog = PdfExportDialog(runner, gateway_of(sb))
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path))
    dialog.date_from.setDate(date(2026, 2, 1))
    dialog.date_to.setDate(date(2026, 1, 1))
    with qtbot.waitSignal(dialog.failed, timeout=1000) as failed:
        dialog.export_button.click()
    assert failed.args[0] == "The period ends before it starts."
    assert not dialog.running
