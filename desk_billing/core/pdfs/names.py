"""File names for invoice PDFs that are valid, and readable, on Windows, macOS and Linux.

`<YYYY-MM-DD>_<invoice number>_<customer name>.pdf`, where the date is the invoice's date of issue
(`status_transitions.finalized_at`, else `created`) — the date printed on the PDF — so a folder
sorts by invoice date. Non-ASCII names stay as they are (NFC), only what a file system refuses
is replaced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

# Windows refuses these base names whatever the extension ("CON.pdf", "com1.txt"); the
# superscript digits are reserved too since Windows 10 (COM¹ ...).
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{p}{d}" for p in ("COM", "LPT") for d in "0123456789¹²³"]
)
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')
_SPACES = re.compile(r"\s+")
# 255 is the limit everywhere (bytes on Linux, UTF-16 units on Windows, UTF-8 chars on APFS);
# 180 UTF-8 bytes leave room for the folder in Windows' 260-character paths in most cases,
# and for duplicates' id suffix.
MAX_NAME_BYTES = 180


def issue_date(invoice: Mapping[str, Any]) -> int | None:
    """When the invoice was finalized (its date of issue), else when it was created; epoch seconds."""
    transitions = invoice.get("status_transitions") or {}
    return transitions.get("finalized_at") or invoice.get("created")


def day(epoch: int | None, tz: tzinfo = UTC) -> str:
    """`YYYY-MM-DD` of an epoch time in `tz` (UTC unless the caller says otherwise)."""
    if epoch is None:
        return "0000-00-00"
    return datetime.fromtimestamp(int(epoch), tz).strftime("%Y-%m-%d")


def customer_label(invoice: Mapping[str, Any]) -> str:
    """The customer's name as the invoice snapshots it, else the e-mail, else the customer id."""
    customer = invoice.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    return invoice.get("customer_name") or invoice.get("customer_email") or customer or "unknown"


def clean_part(text: str) -> str:
    """One component of a file name: NFC, no forbidden, control or format characters, single
    spaces. Format characters (Unicode category Cf: the right-to-left override that makes
    `…gpj.exe.pdf` display as `…fdp.exe.jpg`, zero-width spaces, BOMs) are dropped, as
    nothing a person reads depends on them in a file name."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = _FORBIDDEN.sub("_", text)
    text = _SPACES.sub(" ", text).strip()
    return text


def _cut(text: str, max_bytes: int) -> str:
    """At most `max_bytes` UTF-8 bytes, cut between characters (never inside one)."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def safe_filename(stem: str, suffix: str = ".pdf", max_bytes: int = MAX_NAME_BYTES) -> str:
    """`stem + suffix` made safe: cleaned, shortened, no trailing dots/spaces, no reserved name."""
    stem = clean_part(stem)
    stem = _cut(stem, max_bytes - len(suffix.encode("utf-8")))
    stem = stem.rstrip(" .")
    if not stem:
        stem = "_"
    if stem.split(".")[0].strip().upper() in _RESERVED:
        stem = "_" + stem
    if stem.startswith("."):  # a leading dot hides the file on macOS and Linux
        stem = "_" + stem[1:]
    return stem + suffix


def pdf_filename(invoice: Mapping[str, Any], tz: tzinfo = UTC) -> str:
    """`2025-03-01_ACME-0042_Zoë Müller.pdf` for a finalized invoice."""
    number = clean_part(str(invoice.get("number") or invoice.get("id") or "invoice"))
    return safe_filename(f"{day(issue_date(invoice), tz)}_{number}_{customer_label(invoice)}")


def with_id(filename: str, invoice_id: str) -> str:
    """The name made unique by the invoice id, for the rare case two invoices share a name."""
    stem = filename.removesuffix(".pdf")
    suffix = f"_{invoice_id}.pdf"
    return safe_filename(_cut(stem, MAX_NAME_BYTES - len(suffix.encode())), suffix)
