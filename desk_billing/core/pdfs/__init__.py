"""Invoice PDFs for accountants: single downloads and previews, bulk export with `index.csv`.

`fetch` downloads one PDF safely (plain HTTP, own rate limit, retries, atomic rename), `names`
makes portable file names, `archive` keeps the folder's manifest and index, `export` selects a
period's invoices and runs the downloads with bounded concurrency, `single` saves or previews one.
"""

from __future__ import annotations

from desk_billing.core.pdfs.archive import INDEX_COLUMNS, INDEX_NAME, MANIFEST_NAME, read_index
from desk_billing.core.pdfs.export import (
    DEFAULT_WORKERS,
    STATUSES,
    DraftHasNoPdf,
    ExportProgress,
    ExportReport,
    ExportRequest,
    InvoiceExport,
    export_invoices,
    list_invoices,
)
from desk_billing.core.pdfs.fetch import (
    FILE_RATE_RPS,
    DownloadCancelled,
    FolderError,
    PdfError,
    PdfFetcher,
    is_pdf,
)
from desk_billing.core.pdfs.names import pdf_filename, safe_filename
from desk_billing.core.pdfs.single import SavedPdf, copy_pdf, fetch_preview, save_invoice_pdfs

__all__ = [
    "DEFAULT_WORKERS",
    "FILE_RATE_RPS",
    "INDEX_COLUMNS",
    "INDEX_NAME",
    "MANIFEST_NAME",
    "STATUSES",
    "DownloadCancelled",
    "DraftHasNoPdf",
    "ExportProgress",
    "ExportReport",
    "ExportRequest",
    "FolderError",
    "InvoiceExport",
    "PdfError",
    "PdfFetcher",
    "SavedPdf",
    "copy_pdf",
    "export_invoices",
    "fetch_preview",
    "is_pdf",
    "list_invoices",
    "pdf_filename",
    "read_index",
    "safe_filename",
    "save_invoice_pdfs",
]
