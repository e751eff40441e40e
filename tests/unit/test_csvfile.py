"""Files people open: no cell of any export runs as a formula in a spreadsheet, numbers and
ordinary names read as before, every export starts with a BOM and lists the id once."""

from __future__ import annotations

import csv

import pytest

from desk_billing.core.cache import Cache
from desk_billing.core.cache.export import export_csv as export_list
from desk_billing.core.cache.lists import CUSTOMERS, ListQuery
from desk_billing.core.csvfile import read_csv, safe_cell
from desk_billing.core.journal import export_csv as export_journal
from desk_billing.core.journal.rows import insert_pending
from desk_billing.core.pdfs.archive import Entry, read_index, write_index

HOSTILE = [
    '=HYPERLINK("http://x","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]
ORDINARY = ["Ada Lovelace", "Zoë Ørsted", "-12.50", "+3", "0.5", "1200", "", "O'Brien & Co"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_a_spreadsheet_would_evaluate_starts_with_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ORDINARY)
def test_numbers_and_ordinary_names_are_unchanged(text):
    assert safe_cell(text) == text


def _starts_like_a_formula(cell: str) -> bool:
    return cell[:1] in ("=", "+", "@", "\t", "\r") or (
        cell.startswith("-") and not cell.replace(".", "").lstrip("-").isdigit()
    )


def _all_cells(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_the_customers_list_export_neutralises_names_and_keeps_negative_balances(tmp_path):
    cache_path = tmp_path / "cache.sqlite3"
    with Cache.open(cache_path) as cache:
        cache.upsert(
            "customers",
            [
                {"id": f"cus_{i}", "object": "customer", "name": name, "email": "a@example.com",
                 "currency": "eur", "balance": -250, "created": 1_750_000_000 + i}
                for i, name in enumerate([*HOSTILE, "Ada Lovelace"])
            ],
        )  # fmt: skip
    out = tmp_path / "customers.csv"
    assert export_list(cache_path, CUSTOMERS, ListQuery(), out) == 7
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = _all_cells(out)
    header, body = rows[0], rows[1:]
    assert [h.lower() for h in header].count("id") == 1  # the list's own Id column, once
    names = {row[header.index("Name")] for row in body}
    assert names == {"'" + text for text in HOSTILE} | {"Ada Lovelace"}
    assert {row[header.index("Balance")] for row in body} == {"-2.50"}  # still a number
    assert not any(_starts_like_a_formula(cell) for row in body for cell in row)


def test_index_csv_of_a_pdf_export_neutralises_customer_names(tmp_path):
    entries = [
        Entry(f"in_{i}", f"2026-01-0{i + 1}_A-{i}.pdf", 10, "0" * 64, "v1",
              {"id": f"in_{i}", "name": name, "total": "-5.00", "file_name": f"f{i}.pdf"})
        for i, name in enumerate(HOSTILE)
    ]  # fmt: skip
    path = write_index(tmp_path, entries)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_index(path)
    assert [r["name"] for r in rows] == ["'" + text for text in HOSTILE]
    assert {r["total"] for r in rows} == {"-5.00"}


def test_the_journal_export_neutralises_cells_and_has_a_bom(tmp_path):
    with Cache.open(tmp_path / "cache.sqlite3") as cache:
        insert_pending(
            cache, idempotency_key="k1", kind="customer.update", object_id="@SUM(A1)",
            params="{}", os_user="=cmd|' /C calc'!A0", profile="default", mode="test",
        )  # fmt: skip
        path = tmp_path / "journal.csv"
        assert export_journal(cache, path) == 1
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    (row,) = read_csv(path)
    assert row["target"] == "'@SUM(A1)"
    assert row["os_user"] == "'=cmd|' /C calc'!A0"
    assert row["kind"] == "customer.update"


def test_a_cancelled_or_failed_write_leaves_no_partial_file(tmp_path):
    from desk_billing.core.csvfile import CsvFile

    target = tmp_path / "x.csv"
    with pytest.raises(RuntimeError), CsvFile(target, ["a"]) as out:
        out.row(["1"])
        raise RuntimeError("disk gone")
    assert list(tmp_path.iterdir()) == []
