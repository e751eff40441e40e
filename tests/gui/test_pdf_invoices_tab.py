"""The Invoices tab's PDF buttons open the preview and export dialogs on the synced account."""

from __future__ import annotations

from desk_billing.gui.dialogs.pdf_export import PdfExportDialog
from desk_billing.gui.pdf_preview import PdfPreviewDialog
from desk_billing.gui.tabs.invoices import InvoicesTab
from tests.gui.seed import client_for


def test_invoices_tab_previews_the_selected_invoice(qtbot, window, seeded, sandbox):
    client = client_for(sandbox.url)
    finalized = [i for i in seeded.invoices if client.v1.invoices.retrieve(i).status != "draft"]
    tab = window.tabs_by_class[InvoicesTab]
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.select_id(finalized[0]), timeout=10000)

    tab.pdf_preview_button.click()
    dialog = tab.findChild(PdfPreviewDialog, "pdf-preview")
    assert dialog is not None and dialog.invoice_id == finalized[0]
    qtbot.waitUntil(lambda: dialog.path is not None, timeout=15000)
    assert dialog.document.pageCount() >= 1
    dialog.close()

    tab.pdf_export_button.click()
    export = tab.findChild(PdfExportDialog, "pdf-export")
    assert export is not None and export.status_box.currentData() == "paid"
    export.close()
