"""One invoice's PDF at a time: save into a folder (CLI `invoices pdf`, "Save as") or preview.

Each invoice is retrieved right before its download, for a fresh link (Stripe's links expire).
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desk_billing.core.errors import NotFound
from desk_billing.core.pdfs.export import DraftHasNoPdf, fetch_invoice_pdf
from desk_billing.core.pdfs.fetch import FolderError, PdfFetcher, folder_error, prepare_folder
from desk_billing.core.pdfs.names import pdf_filename
from desk_billing.core.profiles import AppPaths

PREVIEW_KEEP_S = 24 * 3600


@dataclass(frozen=True)
class SavedPdf:
    """One requested invoice: where its PDF is now, or why there is none (`message`)."""

    invoice_id: str
    path: Path | None
    message: str
    number: str | None = None


def save_invoice_pdfs(
    gateway: Any,
    invoice_ids: Iterable[str],
    folder: Path,
    *,
    fetcher: PdfFetcher | None = None,
    progress: Callable[[SavedPdf], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[SavedPdf]:
    """Each invoice's PDF into `folder` as `<date>_<number>_<customer>.pdf`; a draft or an unknown
    id gives a SavedPdf with a message and no path. A folder that cannot be written raises
    FolderError (files already saved stay complete)."""
    folder = prepare_folder(Path(folder))
    own = fetcher is None
    fetcher = fetcher or PdfFetcher()
    results = []
    try:
        for invoice_id in invoice_ids:
            if cancel is not None and cancel.is_set():
                break
            result = _save_one(gateway, fetcher, invoice_id, folder, cancel)
            results.append(result)
            if progress is not None:
                progress(result)
    finally:
        if own:
            fetcher.close()
    return results


def _save_one(
    gateway: Any, fetcher: PdfFetcher, invoice_id: str, folder: Path, cancel: Any
) -> SavedPdf:
    try:
        invoice = _retrieve(gateway, invoice_id)
        target = folder / pdf_filename(invoice)
        stored, invoice = fetch_invoice_pdf(gateway, fetcher, invoice, target, cancel)
    except (DraftHasNoPdf, NotFound) as error:
        return SavedPdf(invoice_id, None, str(error))
    verb = "saved" if stored.replaced else "already there, identical"
    return SavedPdf(invoice_id, stored.path, f"{stored.path.name} ({verb})", invoice.get("number"))


def _retrieve(gateway: Any, invoice_id: str) -> dict[str, Any]:
    with gateway.errors():
        return gateway.client.raw_request("get", f"/v1/invoices/{invoice_id}").data


def preview_folder(paths: AppPaths) -> Path:
    """Where previews are downloaded (under the app's data, as everything the app writes)."""
    return paths.data / "pdf-previews"


def fetch_preview(gateway: Any, invoice_id: str, paths: AppPaths, cancel: Any = None) -> SavedPdf:
    """The invoice's PDF in the preview folder; previews older than a day are removed first."""
    folder = preview_folder(paths)
    _prune(folder)
    results = save_invoice_pdfs(gateway, [invoice_id], folder, cancel=cancel)
    if not results:
        return SavedPdf(invoice_id, None, "Cancelled.")
    return results[0]


def _prune(folder: Path) -> None:
    if not folder.is_dir():
        return
    old = time.time() - PREVIEW_KEEP_S
    for path in folder.glob("*.pdf"):
        try:
            if path.stat().st_mtime < old:
                path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise FolderError(
                f"Could not tidy the preview folder {folder} ({error.strerror})."
            ) from error


def copy_pdf(source: Path, target: Path) -> Path:
    """ "Save as": copy a downloaded PDF to `target` through a temporary file and a rename."""
    target = Path(target)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, target)
    except OSError as error:
        raise folder_error(error, target.parent) from error
    finally:
        if temp.exists():
            temp.unlink()
    return target
