"""Invoice PDFs for the sandbox's `invoice_pdf` URLs, rendered with fpdf2.

Text is Unicode where a Unicode TrueType font is found on the machine (DejaVu Sans on most Linux
systems, also bundled by matplotlib; Arial / Segoe UI on Windows; Arial Unicode on macOS), with
CJK fallback fonts used when present (Noto Sans CJK, Droid Sans Fallback, MS Gothic, ...).
Nothing guarantees such fonts on a fresh machine, so every character no loaded font can draw is
degraded instead of failing: accents are stripped (Zoë -> Zoe) and what remains (e.g. kanji with
no CJK font) becomes "?". Without any TrueType font the PDF uses the built-in Helvetica (Latin-1).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from .common import THREE_DECIMAL, ZERO_DECIMAL

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩", "cny": "¥"}

_REGULAR = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    r"C:\Windows\Fonts\arial.ttf",
    r"C:\Windows\Fonts\segoeui.ttf",
)
_BOLD = {
    "DejaVuSans.ttf": "DejaVuSans-Bold.ttf",
    "arial.ttf": "arialbd.ttf",
    "segoeui.ttf": "segoeuib.ttf",
}
_FALLBACKS = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansJP-Regular.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttf",
    r"C:\Windows\Fonts\msgothic.ttf",
    r"C:\Windows\Fonts\YuGothR.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)


def _matplotlib_font() -> str | None:
    spec = importlib.util.find_spec("matplotlib")
    if not spec or not spec.submodule_search_locations:
        return None
    path = (
        Path(next(iter(spec.submodule_search_locations)))
        / "mpl-data"
        / "fonts"
        / "ttf"
        / "DejaVuSans.ttf"
    )
    return str(path) if path.exists() else None


@functools.cache
def _fonts() -> tuple[str | None, str | None, tuple[str, ...]]:
    """(regular, bold, fallbacks) TrueType files found on this machine; SANDBOX_PDF_FONT overrides."""
    candidates = [os.environ.get("SANDBOX_PDF_FONT") or "", *_REGULAR, _matplotlib_font() or ""]
    regular = next((c for c in candidates if c and os.path.isfile(c)), None)
    bold = None
    if regular:
        name = _BOLD.get(os.path.basename(regular))
        if name and os.path.isfile(os.path.join(os.path.dirname(regular), name)):
            bold = os.path.join(os.path.dirname(regular), name)
    fallbacks = tuple(f for f in _FALLBACKS if os.path.isfile(f) and f != regular)
    return regular, bold, fallbacks


_CP1252 = frozenset(ord(c) for c in bytes(range(32, 256)).decode("cp1252", errors="ignore"))


def _core_ok(text: str) -> bool:
    """Whether the built-in Helvetica (Windows-1252) can draw all of `text`: the fast path."""
    return all(ord(c) in _CP1252 or c == "\n" for c in text)


@functools.cache
def _coverage() -> frozenset[int]:
    """Code points some loaded TrueType font can draw (Windows-1252 without any such font)."""
    regular, _bold, fallbacks = _fonts()
    if regular is None:
        return _CP1252
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for path in (regular, *fallbacks):
        try:
            font = TTFont(path, lazy=True, fontNumber=0)
            points.update(font.getBestCmap() or {})
            font.close()
        except Exception:  # noqa: BLE001 - an unreadable font is simply not used for coverage
            continue
    return frozenset(points)


def safe_text(text: Any, covered: frozenset[int] | None = None) -> str:
    """`text` with every character the PDF fonts cannot draw degraded (accents stripped, else "?")."""
    if text is None:
        return ""
    text = str(text)
    covered = covered if covered is not None else _coverage()
    if all(ord(c) in covered or c in "\n" for c in text):
        return text
    out = []
    for char in text:
        if ord(char) in covered or char == "\n":
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(ord(c) in covered for c in base) else "?")
    return "".join(out)


def format_amount(
    amount: int | float | None, currency: str, covered: frozenset[int] | None = None
) -> str:
    """Minor units as the currency writes them: $1,234.50, ¥1,200, KWD 1.250."""
    currency = (currency or "").lower()
    digits = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    symbol = SYMBOLS.get(currency)
    covered = covered if covered is not None else _coverage()
    if symbol is None or any(ord(c) not in covered for c in symbol):
        symbol = currency.upper() + " "
    value = float(amount or 0) / 10**digits
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{digits}f}"


def _date(ts: int | None) -> str:
    if not ts:
        return ""
    dt = datetime.fromtimestamp(int(ts), UTC)
    return f"{dt.strftime('%B')} {dt.day}, {dt.year}"


def pdf_filename(invoice: dict[str, Any]) -> str:
    return f"Invoice-{invoice.get('number') or invoice['id']}.pdf"


def _address_lines(address: dict[str, Any] | None) -> list[str]:
    if not address:
        return []
    city = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    region = ", ".join(p for p in (city, address.get("state")) if p)
    return [
        p for p in (address.get("line1"), address.get("line2"), region, address.get("country")) if p
    ]


def _texts(invoice: dict[str, Any], customer: dict[str, Any]) -> str:
    parts = [
        invoice.get("account_name"), invoice.get("customer_name"), customer.get("name"),
        invoice.get("customer_email"), customer.get("email"), invoice.get("customer_phone"),
        invoice.get("description"), invoice.get("footer"), invoice.get("number"),
        SYMBOLS.get((invoice.get("currency") or "").lower()),
        *_address_lines(invoice.get("customer_address") or customer.get("address")),
        *(line.get("description") for line in (invoice.get("lines") or {}).get("data", [])),
    ]  # fmt: skip
    return "".join(str(p) for p in parts if p)


def render_invoice_pdf(invoice: dict[str, Any], customer: dict[str, Any] | None = None) -> bytes:
    """A one-or-more-page A4 PDF of a finalized invoice: who, what, how much, paid or due.

    All-Windows-1252 invoices (most) use the built-in Helvetica: a few milliseconds each. Others
    embed a Unicode TrueType font (tens of milliseconds), or degrade characters (see module doc).
    """
    customer = customer or {}
    regular, _bold, fallbacks = _fonts()
    core = regular is None or _core_ok(_texts(invoice, customer))
    covered = _CP1252 if core else _coverage()
    pdf = FPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_compression(True)
    pdf.set_title(safe_text(f"Invoice {invoice.get('number') or invoice['id']}", covered))
    pdf.set_author(safe_text(invoice.get("account_name") or "Sandbox", covered))
    pdf.set_creator("desk-billing sandbox")
    if not core:
        pdf.add_font("Body", "", regular)
        names = []
        for i, path in enumerate(fallbacks):
            try:
                pdf.add_font(f"Fallback{i}", "", path)
                names.append(f"Fallback{i}")
            except Exception:  # noqa: BLE001 - skip fonts fpdf2 cannot embed
                continue
        if names:
            pdf.set_fallback_fonts(names, exact_match=False)
        family = "Body"
    else:
        family = "Helvetica"
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    currency = invoice.get("currency") or "usd"

    def t(text: Any) -> str:
        return safe_text(text, covered)

    def money(value: Any) -> str:
        return format_amount(value, currency, covered)

    def font(size: float, style: str = "") -> None:
        pdf.set_font(
            family, style if core else "", size
        )  # one embedded font keeps Unicode PDFs fast

    # Header: seller and title
    font(18, "B")
    pdf.cell(120, 10, t(invoice.get("account_name") or "Sandbox account"))
    font(18)
    pdf.cell(0, 10, "Invoice", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # Invoice facts
    font(10)
    status = invoice.get("status") or ""
    transitions = invoice.get("status_transitions") or {}
    facts = [
        ("Invoice number", invoice.get("number") or ""),
        ("Date of issue", _date(transitions.get("finalized_at") or invoice.get("created"))),
    ]
    if invoice.get("due_date"):
        facts.append(("Date due", _date(invoice.get("due_date"))))
    if transitions.get("paid_at"):
        facts.append(("Date paid", _date(transitions["paid_at"])))
    facts.append(("Status", status.upper()))
    for label, value in facts:
        font(10, "B")
        pdf.cell(40, 6, label)
        font(10)
        pdf.cell(0, 6, t(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # Bill to
    font(10, "B")
    pdf.cell(0, 6, "Bill to", new_x="LMARGIN", new_y="NEXT")
    font(10)
    name = invoice.get("customer_name") or customer.get("name")
    email = invoice.get("customer_email") or customer.get("email")
    address = invoice.get("customer_address") or customer.get("address")
    for line in [name, *_address_lines(address), email, invoice.get("customer_phone")]:
        if line:
            pdf.cell(0, 5, t(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    headline = money(
        invoice.get("amount_remaining") if status != "paid" else invoice.get("amount_paid")
    )
    font(13, "B")
    if status == "paid":
        pdf.cell(
            0,
            8,
            t(f"{headline} paid on {_date(transitions.get('paid_at'))}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    elif status in ("open", "uncollectible"):
        due = f" due {_date(invoice['due_date'])}" if invoice.get("due_date") else " due"
        pdf.cell(0, 8, t(f"{headline}{due}"), new_x="LMARGIN", new_y="NEXT")
    elif status == "void":
        pdf.cell(0, 8, "This invoice has been voided", new_x="LMARGIN", new_y="NEXT")
    if invoice.get("description"):
        font(10)
        pdf.multi_cell(0, 5, t(invoice["description"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # Lines
    widths = (100, 18, 32, 32)
    font(9, "B")
    for width, label, align in zip(
        widths, ("Description", "Qty", "Unit price", "Amount"), "LRRR", strict=True
    ):
        pdf.cell(width, 7, label, border="B", align=align)
    pdf.ln()
    font(9)
    for line in (invoice.get("lines") or {}).get("data", []):
        unit = (line.get("pricing") or {}).get("unit_amount_decimal")
        unit_text = money(float(unit)) if unit not in (None, "") else ""
        period = line.get("period") or {}
        description = t(line.get("description") or "")
        if period.get("start") and period.get("end") and period["start"] != period["end"]:
            description += f"\n{_date(period['start'])} - {_date(period['end'])}"
        y = pdf.get_y()
        pdf.multi_cell(widths[0], 5, description, new_x="RIGHT", new_y="TOP", max_line_height=5)
        height = max(pdf.get_y() - y, 5)
        pdf.set_xy(pdf.l_margin + widths[0], y)
        pdf.cell(widths[1], 5, str(line.get("quantity") or ""), align="R")
        pdf.cell(widths[2], 5, t(unit_text), align="R")
        pdf.cell(widths[3], 5, t(money(line.get("amount"))), align="R")
        lines_used = description.count("\n") + 1
        pdf.set_xy(pdf.l_margin, y + max(height, 5 * lines_used) + 1)
    pdf.ln(2)

    # Totals
    tax = sum(x.get("amount", 0) for x in invoice.get("total_taxes") or [])
    totals = [
        ("Subtotal", invoice.get("subtotal")),
        ("Tax", tax),
        ("Total", invoice.get("total")),
        ("Amount paid", invoice.get("amount_paid")),
        ("Amount due", invoice.get("amount_remaining")),
    ]
    for label, value in totals:
        font(10, "B" if label in ("Total", "Amount due") else "")
        pdf.cell(widths[0] + widths[1], 6, "")
        pdf.cell(widths[2], 6, label, align="R")
        pdf.cell(widths[3], 6, t(money(value)), align="R", new_x="LMARGIN", new_y="NEXT")

    if invoice.get("footer"):
        pdf.ln(6)
        font(8)
        pdf.multi_cell(0, 4, t(invoice["footer"]))
    return bytes(pdf.output())
