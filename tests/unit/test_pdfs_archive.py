"""The export folder's manifest and index: a kill mid-line loses nothing else, rows follow files."""

from __future__ import annotations

from desk_billing.core.pdfs.archive import (
    INDEX_COLUMNS,
    Entry,
    Manifest,
    document_version,
    read_index,
    write_index,
)


def entry(invoice_id: str, name: str) -> Entry:
    return Entry(
        invoice_id,
        name,
        10,
        "0" * 64,
        "v1",
        {"id": invoice_id, "file_name": name, "date": name[:10]},
    )


def test_a_line_cut_by_a_kill_is_ignored(tmp_path):
    manifest = Manifest.load(tmp_path)
    manifest.record(entry("in_1", "2026-01-01_A.pdf"))
    manifest.record(entry("in_2", "2026-01-02_B.pdf"))
    with open(manifest.path, "a", encoding="utf-8") as handle:
        handle.write('{"id": "in_3", "file": "2026-01-0')  # the process died here
    assert set(Manifest.load(tmp_path).entries) == {"in_1", "in_2"}


def test_compact_keeps_only_files_present_and_the_index_lists_them(tmp_path):
    manifest = Manifest.load(tmp_path)
    for invoice_id, name in [
        ("in_2", "2026-01-02_B.pdf"),
        ("in_1", "2026-01-01_A.pdf"),
        ("in_3", "2026-01-03_C.pdf"),
    ]:
        manifest.record(entry(invoice_id, name))
        (tmp_path / name).write_bytes(b"%PDF-")
    (tmp_path / "2026-01-03_C.pdf").unlink()  # the user deleted one
    present = manifest.compact()
    write_index(tmp_path, present)
    rows = read_index(tmp_path / "index.csv")
    assert [r["file_name"] for r in rows] == ["2026-01-01_A.pdf", "2026-01-02_B.pdf"]
    assert list(rows[0]) == list(INDEX_COLUMNS)
    assert (tmp_path / "index.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    assert set(Manifest.load(tmp_path).entries) == {"in_1", "in_2"}


def test_a_payment_changes_the_document_version():
    open_ = {
        "number": "A-1",
        "status": "open",
        "amount_paid": 0,
        "status_transitions": {"finalized_at": 1},
    }
    paid = {
        **open_,
        "status": "paid",
        "amount_paid": 100,
        "status_transitions": {"finalized_at": 1, "paid_at": 2},
    }
    assert document_version(open_) != document_version(paid)
    assert document_version(paid) == document_version(dict(paid))
