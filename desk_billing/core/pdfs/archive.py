"""What an export folder holds: a manifest of the PDFs we wrote, and `index.csv` for people.

"Already present and identical" is decided without the network: the manifest records, per
invoice, the file name, size and SHA-256 of the bytes we wrote, and a `version` of the invoice
fields a PDF shows that can still change once it is finalized (status, amounts paid, dates of
payment or voiding). A file is skipped when it still hashes to what we recorded and the invoice's
version is unchanged; anything else is downloaded again. The manifest is a JSON-lines journal,
appended (and fsync'ed) after each file is renamed into place, so an export killed at any point
resumes knowing every finished file; it is compacted at the end of each run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desk_billing.core.csvfile import read_csv, write_csv
from desk_billing.core.money import to_decimal
from desk_billing.core.pdfs.names import customer_label, day, issue_date

log = logging.getLogger(__name__)

MANIFEST_NAME = ".desk-billing-export.jsonl"
INDEX_NAME = "index.csv"
INDEX_COLUMNS = (
    "number",
    "id",
    "customer_id",
    "name",
    "email",
    "date",
    "currency",
    "subtotal",
    "tax",
    "total",
    "amount_paid",
    "status",
    "file_name",
)


def document_version(invoice: Mapping[str, Any]) -> str:
    """A short hash of what a finalized invoice's PDF shows that can still change."""
    fields = {
        "number": invoice.get("number"),
        "status": invoice.get("status"),
        "total": invoice.get("total"),
        "amount_paid": invoice.get("amount_paid"),
        "amount_remaining": invoice.get("amount_remaining"),
        "transitions": invoice.get("status_transitions"),
        "customer_name": invoice.get("customer_name"),
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def _tax(invoice: Mapping[str, Any]) -> int:
    """Tax in minor units: `total_taxes` since API 2025-03-31, `tax` before it."""
    taxes = invoice.get("total_taxes")
    if isinstance(taxes, list):
        return sum(int(t.get("amount") or 0) for t in taxes if isinstance(t, Mapping))
    return int(invoice.get("tax") or 0)


def index_row(invoice: Mapping[str, Any], file_name: str, tz: Any) -> dict[str, str]:
    """The index columns of one invoice; amounts as decimals in the currency's exponent."""
    currency = (invoice.get("currency") or "").lower()

    def amount(minor: Any) -> str:
        return str(to_decimal(int(minor or 0), currency)) if currency else str(minor or 0)

    customer = invoice.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    return {
        "number": invoice.get("number") or "",
        "id": invoice["id"],
        "customer_id": customer or "",
        "name": invoice.get("customer_name") or customer_label(invoice),
        "email": invoice.get("customer_email") or "",
        "date": day(issue_date(invoice), tz),
        "currency": currency.upper(),
        "subtotal": amount(invoice.get("subtotal")),
        "tax": amount(_tax(invoice)),
        "total": amount(invoice.get("total")),
        "amount_paid": amount(invoice.get("amount_paid")),
        "status": invoice.get("status") or "",
        "file_name": file_name,
    }


@dataclass(frozen=True)
class Entry:
    """One PDF we wrote into the folder."""

    id: str
    file: str
    size: int
    sha256: str
    version: str
    row: dict[str, str]


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`; a crash leaves the old file or the new one, never half."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()


class Manifest:
    """The journal of PDFs in one folder; thread-safe appends."""

    def __init__(self, folder: Path, entries: dict[str, Entry]) -> None:
        self.folder = folder
        self.entries = entries
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST_NAME

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        entries: dict[str, Entry] = {}
        path = folder / MANIFEST_NAME
        if path.exists():
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    try:
                        entry = Entry(**json.loads(line))
                    except (ValueError, TypeError) as error:
                        # A line cut short by a kill; the file it described is checked again.
                        log.info("%s line %d ignored: %s", path, number, error)
                        continue
                    entries[entry.id] = entry
        return cls(folder, entries)

    def record(self, entry: Entry) -> None:
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self.entries[entry.id] = entry

    def update_row(self, invoice_id: str, row: dict[str, str]) -> None:
        """Newer index fields for a file that did not need downloading (kept in memory until
        `compact`)."""
        with self._lock:
            entry = self.entries[invoice_id]
            self.entries[invoice_id] = Entry(**{**asdict(entry), "row": row})

    def present(self) -> list[Entry]:
        """Entries whose file is still in the folder, by date then number."""
        with self._lock:
            entries = list(self.entries.values())
        kept = [e for e in entries if (self.folder / e.file).is_file()]
        return sorted(kept, key=lambda e: (e.row.get("date", ""), e.row.get("number", ""), e.id))

    def compact(self) -> list[Entry]:
        """Rewrite the journal with only the files present; returns them."""
        present = self.present()
        with self._lock:
            self.entries = {e.id: e for e in present}
            data = "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in present)
            write_atomically(self.path, data.encode("utf-8"))
        return present


def write_index(folder: Path, entries: Iterable[Entry]) -> Path:
    """`index.csv` (the one CSV writer: BOM, formulas neutralised), one row per PDF; atomic."""
    path = folder / INDEX_NAME
    rows = ([entry.row.get(column, "") for column in INDEX_COLUMNS] for entry in entries)
    write_csv(path, INDEX_COLUMNS, rows)
    return path


def read_index(path: Path) -> list[dict[str, str]]:
    """The rows of an `index.csv` written by `write_index`."""
    return read_csv(path)
