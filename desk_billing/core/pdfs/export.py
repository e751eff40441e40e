"""Bulk export: the PDFs of a period's invoices into a folder, with `index.csv`; and single PDFs.

Selection is fresh from Stripe (the gateway, `limit=100` pages), not from the cache: the PDF
links in a list answer are minutes old at most (a freshly issued link lasts at least 10 days),
and the cache may not be synced. The period is about the invoice's date of issue
(`status_transitions.finalized_at`, the date printed on the PDF and used in the file name), in
UTC unless a time zone is given. Stripe can only filter lists on `created`, and an invoice is
finalized after it is created, so the list asks for `created` in [start - lookback, end] and the
date of issue is filtered here; a draft kept longer than the lookback (a year by default) before
being finalized would be missed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from desk_billing.core.errors import DeskBillingError, ValidationError
from desk_billing.core.pdfs.archive import (
    Entry,
    Manifest,
    document_version,
    index_row,
    write_index,
)
from desk_billing.core.pdfs.fetch import (
    DownloadCancelled,
    FolderError,
    LinkExpired,
    PdfError,
    PdfFetcher,
    file_sha256,
    folder_error,
    prepare_folder,
)
from desk_billing.core.pdfs.names import issue_date, pdf_filename, with_id

log = logging.getLogger(__name__)

STATUSES = ("all", "open", "paid", "uncollectible", "void")
DEFAULT_WORKERS = 6  # 6 x (~100 ms a request) saturates Stripe's 20 files/s
PAGE_SIZE = 100


@dataclass(frozen=True)
class ExportRequest:
    """What to export: the period is inclusive, about the date of issue."""

    folder: Path
    start: date
    end: date
    status: str = "paid"
    currency: str | None = None
    customer: str | None = None
    tz: tzinfo = UTC
    lookback_days: int = 366

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            if self.status == "draft":
                raise ValidationError(
                    "Drafts have no PDF until they are finalized; pick another status."
                )
            raise ValidationError(
                f"Status must be one of {', '.join(STATUSES)}, not '{self.status}'."
            )
        if self.end < self.start:
            raise ValidationError("The period ends before it starts.")

    def bounds(self) -> tuple[int, int]:
        """[start, end) as epoch seconds: from the first second of `start` to after `end`."""
        first = datetime.combine(self.start, time.min, self.tz)
        after = datetime.combine(self.end + timedelta(days=1), time.min, self.tz)
        return int(first.timestamp()), int(after.timestamp())


@dataclass(frozen=True)
class ExportProgress:
    done: int
    total: int
    current: str  # the file just finished (or skipped)
    downloaded: int
    skipped: int


@dataclass(frozen=True)
class ExportReport:
    folder: Path
    selected: int
    downloaded: int
    skipped: int
    failed: dict[str, str] = field(default_factory=dict)  # invoice id -> sentence
    cancelled: bool = False
    files_in_index: int = 0
    pdf_requests: int = 0


def _label(invoice: Mapping[str, Any]) -> str:
    return f"invoice {invoice.get('number') or invoice['id']}"


def _get(gateway: Any, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    with gateway.errors():
        return gateway.client.raw_request("get", path, **dict(params or {})).data


def list_invoices(gateway: Any, request: ExportRequest) -> Iterator[dict[str, Any]]:
    """The request's invoices, as plain dicts, newest first (drafts never)."""
    start, after = request.bounds()
    params: dict[str, Any] = {
        "limit": PAGE_SIZE,
        "created": {"gte": start - request.lookback_days * 86400, "lt": after},
    }
    if request.status != "all":
        params["status"] = request.status
    if request.customer:
        params["customer"] = request.customer
    currency = request.currency.lower() if request.currency else None
    while True:
        page = _get(gateway, "/v1/invoices", params)
        data = page.get("data") or []
        for invoice in data:
            if invoice.get("status") == "draft":
                continue
            issued = issue_date(invoice) or 0
            if not start <= issued < after:
                continue
            if currency and (invoice.get("currency") or "").lower() != currency:
                continue
            yield invoice
        if not page.get("has_more") or not data:
            return
        params["starting_after"] = data[-1]["id"]


def retrieve_invoice(gateway: Any, invoice_id: str) -> dict[str, Any]:
    return _get(gateway, f"/v1/invoices/{invoice_id}")


class _Stop:
    """Set by the caller's cancel event or by a fatal error in any worker."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self._cancel = cancel
        self._fatal = threading.Event()

    def set(self) -> None:
        self._fatal.set()

    def is_set(self) -> bool:
        return self._fatal.is_set() or (self._cancel is not None and self._cancel.is_set())

    @property
    def cancelled(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()


class InvoiceExport:
    """One export run; `run()` returns an `ExportReport`, or raises a FolderError (files written
    so far stay complete and indexed)."""

    def __init__(
        self,
        gateway: Any,
        request: ExportRequest,
        *,
        fetcher: PdfFetcher | None = None,
        workers: int = DEFAULT_WORKERS,
        progress: Callable[[ExportProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.gateway = gateway
        self.request = request
        self.fetcher = fetcher or PdfFetcher()
        self.workers = max(1, workers)
        self.progress = progress
        self.stop = _Stop(cancel)
        self.folder = Path(request.folder)

    def plan(
        self, manifest: Manifest, invoices: list[dict[str, Any]]
    ) -> tuple[list[tuple[dict[str, Any], str]], list[str]]:
        """(to download with their file names, file names skipped as identical)."""
        tz = self.request.tz
        selected = {i["id"] for i in invoices}
        used = {e.file.casefold() for e in manifest.entries.values() if e.id not in selected}
        download, skipped = [], []
        for invoice in sorted(invoices, key=lambda i: (issue_date(i) or 0, i.get("number") or "")):
            name = pdf_filename(invoice, tz)
            if name.casefold() in used:  # case-insensitive: Windows and macOS folders
                name = with_id(name, invoice["id"])
            used.add(name.casefold())
            entry = manifest.entries.get(invoice["id"])
            if entry is not None and self._unchanged(entry, name, invoice):
                manifest.update_row(invoice["id"], index_row(invoice, name, tz))
                skipped.append(name)
            else:
                download.append((invoice, name))
        return download, skipped

    def _unchanged(self, entry: Entry, name: str, invoice: Mapping[str, Any]) -> bool:
        path = self.folder / name
        if entry.file != name or entry.version != document_version(invoice):
            return False
        try:
            return path.stat().st_size == entry.size and file_sha256(path) == entry.sha256
        except FileNotFoundError:
            return False

    def run(self) -> ExportReport:
        prepare_folder(self.folder)
        manifest = Manifest.load(self.folder)
        invoices = list(list_invoices(self.gateway, self.request))
        download, skipped = self.plan(manifest, invoices)
        total = len(invoices)
        counts = {"done": len(skipped), "downloaded": 0}
        failed: dict[str, str] = {}
        fatal: FolderError | None = None
        if skipped:
            self._report(counts, total, f"{len(skipped)} files already there, unchanged")
        try:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="pdf-export") as pool:
                pending: set[Future] = set()
                queue = iter(download)
                while True:
                    # Only `workers` jobs are queued at a time, so a cancel stops promptly.
                    while len(pending) < self.workers and not self.stop.is_set():
                        job = next(queue, None)
                        if job is None:
                            break
                        pending.add(pool.submit(self._one, manifest, *job))
                    if not pending:
                        break
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        try:
                            name = future.result()
                        except DownloadCancelled:
                            continue
                        except FolderError as error:
                            fatal = fatal or error
                            self.stop.set()
                            continue
                        except _InvoiceFailed as failure:
                            failed[failure.invoice_id] = failure.message
                            counts["done"] += 1
                            self._report(counts, total, failure.message)
                            continue
                        counts["done"] += 1
                        counts["downloaded"] += 1
                        self._report(counts, total, name)
        finally:
            present = self._finish(manifest, fatal is not None)
        if fatal is not None:
            raise fatal
        return ExportReport(
            self.folder,
            total,
            counts["downloaded"],
            len(skipped),
            failed,
            self.stop.cancelled,
            len(present),
            self.fetcher.requests_sent,
        )

    def _finish(self, manifest: Manifest, after_folder_error: bool) -> list[Entry]:
        """Compact the manifest and write the index of what is there, even after a cancel or
        an error; when the disk is what failed, the old index stays rather than a new one."""
        try:
            present = manifest.compact()
            write_index(self.folder, present)
            return present
        except OSError as error:
            if after_folder_error:
                log.warning("Index not rewritten after a folder error: %s", error)
                return manifest.present()
            raise folder_error(error, self.folder) from error

    def _report(self, counts: dict[str, int], total: int, current: str) -> None:
        if self.progress is not None:
            skipped = counts["done"] - counts["downloaded"]
            self.progress(
                ExportProgress(counts["done"], total, current, counts["downloaded"], skipped)
            )

    def _one(self, manifest: Manifest, invoice: dict[str, Any], name: str) -> str:
        """Download one invoice's PDF under `name` and record it; returns the name."""
        try:
            stored, invoice = fetch_invoice_pdf(
                self.gateway, self.fetcher, invoice, self.folder / name, self.stop
            )
        except (FolderError, DownloadCancelled):
            raise
        except DeskBillingError as error:  # this invoice only (network after retries, refused link)
            raise _InvoiceFailed(invoice["id"], str(error)) from error
        previous = manifest.entries.get(invoice["id"])
        try:
            manifest.record(
                Entry(
                    invoice["id"],
                    name,
                    stored.size,
                    stored.sha256,
                    document_version(invoice),
                    index_row(invoice, name, self.request.tz),
                )
            )
            if previous is not None and previous.file != name:
                _remove_ours(self.folder / previous.file, previous.sha256)
        except OSError as error:
            raise folder_error(error, self.folder) from error
        return name


class _InvoiceFailed(Exception):
    def __init__(self, invoice_id: str, message: str) -> None:
        super().__init__(message)
        self.invoice_id = invoice_id
        self.message = message


def _remove_ours(path: Path, sha256: str) -> None:
    """An invoice's PDF under an old name (its customer was renamed): removed if untouched."""
    if path.is_file() and file_sha256(path) == sha256:
        path.unlink()


def fetch_invoice_pdf(
    gateway: Any,
    fetcher: PdfFetcher,
    invoice: dict[str, Any],
    target: Path,
    cancel: Any = None,
    fresh: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """Fetch one invoice's PDF to `target`; (Stored, the invoice as last seen).

    The link of a listed invoice is used at once; when the PDF host refuses it (expired), or
    when `fresh`, the invoice is retrieved right before downloading for a new link.
    """
    if fresh or not invoice.get("invoice_pdf"):
        invoice = retrieve_invoice(gateway, invoice["id"])
        fresh = True
    _require_document(invoice)
    try:
        return fetcher.fetch(invoice["invoice_pdf"], target, _label(invoice), cancel), invoice
    except LinkExpired:
        if fresh:
            raise
    invoice = retrieve_invoice(gateway, invoice["id"])
    _require_document(invoice)
    return fetcher.fetch(invoice["invoice_pdf"], target, _label(invoice), cancel), invoice


class DraftHasNoPdf(PdfError):
    """Drafts have no PDF until they are finalized."""


def _require_document(invoice: Mapping[str, Any]) -> None:
    if invoice.get("status") == "draft":
        raise DraftHasNoPdf(
            f"Invoice {invoice['id']} is a draft; drafts have no PDF until they are finalized."
        )
    if not invoice.get("invoice_pdf"):
        raise PdfError(f"Stripe has no PDF for {_label(invoice)}.")


def export_invoices(gateway: Any, request: ExportRequest, **options: Any) -> ExportReport:
    """Export a period's PDFs into `request.folder` with `index.csv`; see `InvoiceExport`."""
    export = InvoiceExport(gateway, request, **options)
    try:
        return export.run()
    finally:
        export.fetcher.close()
