"""File names and index rows of invoice PDFs: portable names, readable non-ASCII, exact amounts."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from desk_billing.core.pdfs.archive import index_row
from desk_billing.core.pdfs.names import pdf_filename, safe_filename, with_id

FORBIDDEN = set('<>:"/\\|?*')


def invoice(**fields):
    base = {
        "id": "in_1",
        "number": "ACME-0001",
        "customer": "cus_1",
        "customer_name": "Zoë Müller",
        "customer_email": "zoe@example.de",
        "created": int(datetime(2026, 1, 31, 23, 0, tzinfo=UTC).timestamp()),
        "status_transitions": {
            "finalized_at": int(datetime(2026, 2, 1, 9, 0, tzinfo=UTC).timestamp())
        },
        "currency": "eur",
        "subtotal": 1000,
        "total": 1190,
        "total_taxes": [{"amount": 190}],
        "amount_paid": 1190,
        "status": "paid",
    }
    return {**base, **fields}


def test_name_is_date_of_issue_number_customer():
    assert pdf_filename(invoice()) == "2026-02-01_ACME-0001_Zoë Müller.pdf"


@pytest.mark.parametrize(
    "name", ["株式会社テスト", "Ελένη Παπαδοπούλου", "Иван Петров", "Zoë Müller"]
)
def test_non_ascii_names_stay_readable(name):
    assert name in pdf_filename(invoice(customer_name=name))


def test_decomposed_unicode_is_stored_composed():
    decomposed = unicodedata.normalize("NFD", "Zoë")
    assert "Zoë" in pdf_filename(invoice(customer_name=decomposed))


@pytest.mark.parametrize(
    "raw",
    [
        'A/B <Corp>: "x"',
        "back\\slash|pipe?star*",
        "tab\there\nnewline\x00nul",
        "dots...",
        "  spaces  ",
    ],
)
def test_forbidden_characters_and_trailing_dots_go(raw):
    name = pdf_filename(invoice(customer_name=raw))
    assert not FORBIDDEN & set(name)
    assert all(ord(c) >= 32 for c in name)
    assert not name.removesuffix(".pdf").endswith((".", " "))


@pytest.mark.parametrize("stem", ["CON", "prn", "Aux", "NUL", "COM1", "lpt9", "con.tar"])
def test_windows_reserved_names_are_avoided(stem):
    name = safe_filename(stem)
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}


def test_long_names_are_cut_between_characters():
    name = pdf_filename(invoice(customer_name="株" * 300))
    assert len(name.encode("utf-8")) <= 180
    assert name.endswith(".pdf")
    name.encode("utf-8").decode("utf-8")  # no half character
    assert len(with_id(name, "in_1234567890").encode()) <= 180


def test_index_amounts_follow_the_currency_exponent():
    assert index_row(invoice(), "f.pdf", UTC)["total"] == "11.90"
    assert index_row(invoice(), "f.pdf", UTC)["tax"] == "1.90"
    yen = index_row(invoice(currency="jpy", total=1200, total_taxes=[]), "f.pdf", UTC)
    assert (yen["total"], yen["tax"], yen["currency"]) == ("1200", "0", "JPY")
    dinar = index_row(invoice(currency="kwd", total=1500), "f.pdf", UTC)
    assert dinar["total"] == "1.500"


def test_index_row_names_the_file_and_the_date():
    row = index_row(invoice(), "2026-02-01_ACME-0001_Zoë Müller.pdf", UTC)
    assert row["date"] == "2026-02-01" and row["file_name"].startswith("2026-02-01")
    assert (row["id"], row["customer_id"], row["email"]) == ("in_1", "cus_1", "zoe@example.de")


@pytest.mark.parametrize(
    "raw",
    [
        "Evil\u202egpj.exe",  # right-to-left override: shows as "Evilexe.jpg"
        "Zero\u200bwidth\u200c\u200djoin",
        "\ufeffBOM \u2066isolate\u2069 \u061cmark \u00adsoft",
        "Tag\U000e0041s",
    ],
)
def test_format_characters_never_reach_a_file_name(raw):
    import unicodedata

    name = pdf_filename(invoice(customer_name=raw))
    assert not [c for c in name if unicodedata.category(c) in ("Cf", "Cc")]
    assert name.endswith(".pdf")
    assert "gpj.exe" in pdf_filename(invoice(customer_name="Evil\u202egpj.exe"))
