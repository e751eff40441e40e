"""Invoice PDF export against the sandbox's demo year: real SDK and HTTP, no mocks.

Requests to the PDF host are counted at the sandbox (its request handler), not by the client.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from desk_billing.core.pdfs import (
    INDEX_NAME,
    ExportRequest,
    FolderError,
    PdfFetcher,
    export_invoices,
    is_pdf,
    read_index,
    save_invoice_pdfs,
)
from desk_billing.sandbox import Sandbox
from desk_billing.sandbox.app import Response
from tests.integration.conftest import TEST_KEY, make_gateway, sdk_client

YEAR = (date(2000, 1, 1), date(2100, 1, 1))  # every invoice of the seeded year


class Counting:
    """Wraps the sandbox's request handler: counts PDF downloads, optionally answers some itself."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.inner = sb.app.handle
        self.pdf = collections.Counter()
        self.times: list[float] = []
        self.intercept = None  # (invoice_id, attempt) -> Response | None
        self.lock = threading.Lock()
        sb.app.handle = self.handle

    def handle(self, verb, target, headers, body):
        if target.endswith("/pdf"):
            invoice_id = target.rsplit("/", 2)[-2]
            with self.lock:
                self.pdf[invoice_id] += 1
                self.times.append(time.monotonic())
                attempt = self.pdf[invoice_id]
            if self.intercept is not None:
                answer = self.intercept(invoice_id, attempt)
                if answer is not None:
                    return answer
        return self.inner(verb, target, headers, body)

    @property
    def total(self) -> int:
        return sum(self.pdf.values())

    def reset(self) -> None:
        self.pdf.clear()
        self.times.clear()
        self.intercept = None


@pytest.fixture(scope="module")
def demo(module_sandbox: Sandbox) -> Sandbox:
    module_sandbox.seed("demo")  # after start: the seeded invoice_pdf links carry its address
    return module_sandbox


@pytest.fixture(scope="module")
def issue_days(demo) -> list[date]:
    """The date of issue of every finalized invoice of the demo, oldest first."""
    return sorted(
        datetime.fromtimestamp(i.status_transitions.finalized_at, UTC).date()
        for i in finalized_on_server(demo, *YEAR).values()
    )


def period(issue_days: list[date], about: int) -> tuple[date, date]:
    """Whole days in the middle of the demo year holding about `about` invoices (the demo is
    built backwards from today, so fixed dates would not do)."""
    middle = len(issue_days) // 2
    return issue_days[middle], issue_days[min(middle + about, len(issue_days) - 1)]


@pytest.fixture
def counting(demo):
    counter = Counting(demo)
    yield counter
    demo.app.handle = counter.inner


def fast_fetcher() -> PdfFetcher:
    # The 20/s limit is the benchmark's business; tests check behaviour quickly.
    return PdfFetcher(rate=1000, backoff_s=0.01)


def finalized_on_server(sb: Sandbox, start: date, end: date, status: str | None = None):
    """Invoices the server lists whose date of issue falls in [start, end], via the typed SDK."""
    client = sdk_client(sb)
    lo = datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()
    hi = datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp() + 86400
    found = {}
    for invoice in client.v1.invoices.list({"limit": 100}).auto_paging_iter():
        issued = invoice.status_transitions.finalized_at
        if issued and lo <= issued < hi and (status is None or invoice.status == status):
            found[invoice.id] = invoice
    return found


def pdf_files(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.iterdir() if p.suffix == ".pdf" and not p.name.startswith(".")
    )


def assert_index_equals_files(folder: Path) -> list[dict[str, str]]:
    rows = read_index(folder / INDEX_NAME)
    assert sorted(r["file_name"] for r in rows) == pdf_files(folder)
    assert all(is_pdf(folder / name) for name in pdf_files(folder))
    return rows


def test_a_year_exported_once_then_nothing_new(demo, counting, tmp_path):
    server = finalized_on_server(demo, *YEAR)
    assert len(server) > 250  # the demo year
    request = ExportRequest(tmp_path, *YEAR, status="all")
    report = export_invoices(make_gateway(demo), request, fetcher=fast_fetcher())

    assert report.downloaded == len(server) and not report.failed
    assert counting.total == len(server)
    rows = assert_index_equals_files(tmp_path)
    assert {r["id"] for r in rows} == set(server)
    by_id = {r["id"]: r for r in rows}
    jpy = next(r for r in rows if r["currency"] == "JPY")
    assert "." not in jpy["total"]  # no decimals in yen
    kwd = next(r for r in rows if r["currency"] == "KWD")
    assert len(kwd["total"].split(".")[1]) == 3
    some = next(iter(server.values()))
    assert by_id[some.id]["number"] == some.number
    assert by_id[some.id]["file_name"].startswith(
        datetime.fromtimestamp(some.status_transitions.finalized_at, UTC).strftime("%Y-%m-%d_")
    )
    assert any("株式会社サンプル" in name for name in pdf_files(tmp_path))  # readable, not escaped
    assert any("Zoë Müller" in name for name in pdf_files(tmp_path))

    counting.reset()
    again = export_invoices(make_gateway(demo), request, fetcher=fast_fetcher())
    assert counting.total == 0  # not one request to the PDF host
    assert (again.downloaded, again.skipped) == (0, len(server))
    assert_index_equals_files(tmp_path)

    # A file changed on disk is not "identical": it alone is fetched again.
    victim = tmp_path / rows[0]["file_name"]
    victim.write_bytes(b"%PDF-1.4 tampered %%EOF")
    counting.reset()
    third = export_invoices(make_gateway(demo), request, fetcher=fast_fetcher())
    assert (third.downloaded, counting.total) == (1, 1)
    assert victim.stat().st_size > 100


def test_default_is_paid_and_filters_apply(demo, counting, tmp_path, issue_days):
    start, end = period(issue_days, 60)
    paid = finalized_on_server(demo, start, end, status="paid")
    report = export_invoices(
        make_gateway(demo), ExportRequest(tmp_path / "paid", start, end), fetcher=fast_fetcher()
    )
    assert report.downloaded == len(paid) > 0
    rows = assert_index_equals_files(tmp_path / "paid")
    assert {r["status"] for r in rows} == {"paid"}

    eur = [i for i in paid.values() if i.currency == "eur"]
    customer = eur[0].customer
    report = export_invoices(
        make_gateway(demo),
        ExportRequest(tmp_path / "one", start, end, currency="EUR", customer=customer),
        fetcher=fast_fetcher(),
    )
    rows = assert_index_equals_files(tmp_path / "one")
    assert {r["customer_id"] for r in rows} == {customer}
    assert len(rows) == len([i for i in eur if i.customer == customer])


def test_transient_errors_are_retried_and_expired_links_refreshed(
    demo, counting, tmp_path, issue_days
):
    def flaky(invoice_id: str, attempt: int):
        kind = hash(invoice_id) % 4
        if attempt == 1 and kind == 0:
            return Response(503, b'{"error": {"message": "busy"}}')
        if attempt == 1 and kind == 1:
            return Response(429, b'{"error": {"message": "slow down"}}')
        if attempt == 1 and kind == 2:
            return Response(200, b"%PDF-1.4 cut short", drop=True)
        if attempt == 1:
            return Response(403, b'{"error": {"message": "link expired"}}')
        return None

    counting.intercept = flaky
    start, end = period(issue_days, 40)
    expected = finalized_on_server(demo, start, end, status="paid")
    report = export_invoices(
        make_gateway(demo), ExportRequest(tmp_path, start, end), fetcher=fast_fetcher()
    )
    assert not report.failed
    assert report.downloaded == len(expected)
    assert counting.total == 2 * len(expected)  # each failed once, then succeeded
    assert_index_equals_files(tmp_path)


def test_cancel_leaves_only_complete_files(demo, counting, tmp_path, issue_days):
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append(p)
        if p.done >= 20:
            cancel.set()

    report = export_invoices(
        make_gateway(demo),
        ExportRequest(tmp_path, *period(issue_days, 60), status="all"),
        fetcher=fast_fetcher(),
        progress=progress,
        cancel=cancel,
        workers=4,
    )
    assert report.cancelled
    assert 20 <= report.downloaded < report.selected
    assert not list(tmp_path.glob(".desk-billing-*.part"))
    rows = assert_index_equals_files(tmp_path)
    assert len(rows) == report.downloaded
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_drafts_have_a_sentence_not_a_failure(demo, tmp_path):
    client = sdk_client(demo)
    customer = client.v1.customers.create({"name": "Draft Owner"})
    draft = client.v1.invoices.create({"customer": customer.id})
    paid = next(iter(finalized_on_server(demo, *YEAR, status="paid")))
    results = save_invoice_pdfs(make_gateway(demo), [draft.id, paid], tmp_path)
    assert results[0].path is None and "draft" in results[0].message
    assert results[1].path is not None and is_pdf(results[1].path)
    again = save_invoice_pdfs(make_gateway(demo), [paid], tmp_path)
    assert "identical" in again[0].message


def test_unwritable_folder_is_one_sentence(demo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(FolderError, match="not a folder"):
        export_invoices(make_gateway(demo), ExportRequest(blocker / "out", *YEAR))

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.geteuid() == 0:
            # Root writes through chmod (as in CI); sysfs refuses new files even to root
            # (EACCES, or EROFS where it is mounted read-only), so the same sentence is checked.
            locked = Path("/sys")
        with pytest.raises(FolderError, match=f"^The folder {locked} is not writable"):
            export_invoices(make_gateway(demo), ExportRequest(locked, *YEAR))
    finally:
        (tmp_path / "locked").chmod(0o700)


def _cli_env(sb: Sandbox, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": sb.url,
        "DESK_BILLING_HOME": str(home),
    }


def test_killed_export_leaves_no_partial_file_and_resumes(demo, counting, tmp_path, issue_days):
    out = tmp_path / "out"
    start, end = period(issue_days, 70)
    args = [sys.executable, "-m", "desk_billing", "invoices", "export", "--from", str(start),
            "--to", str(end), "--status", "all", "--dir", str(out)]  # fmt: skip
    total = len(finalized_on_server(demo, start, end))
    demo.set_switches(latency_ms=30)
    try:
        process = subprocess.Popen(
            args, env=_cli_env(demo, tmp_path / "home"), stderr=subprocess.PIPE, text=True
        )
        for line in process.stderr:  # progress lines: kill in the middle of the run
            if line.startswith("[20/"):
                break
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        demo.set_switches(latency_ms=0)
    done = pdf_files(out)
    assert 20 <= len(done) < total
    assert all(is_pdf(out / name) for name in done)  # complete, every one

    counting.reset()
    result = subprocess.run(
        args, env=_cli_env(demo, tmp_path / "home"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert_index_equals_files(out)
    assert len(pdf_files(out)) == total
    # Only what was missing is fetched (plus at most the few renamed but not yet journaled).
    assert total - len(done) <= counting.total <= total - len(done) + 8
    assert not list(out.glob(".desk-billing-*.part"))


def test_full_disk_is_one_sentence_and_written_files_stay_valid(demo, tmp_path, issue_days):
    out = tmp_path / "out"
    start, end = period(issue_days, 70)
    # The export in a child process whose files may not grow past 24 KiB (RLIMIT_FSIZE): the
    # kernel refuses the write (EFBIG) as a full disk would (ENOSPC), and both get one sentence.
    code = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (24576, 24576)); "
        "from desk_billing.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    args = [sys.executable, "-c", code, "invoices", "export", "--from", str(start), "--to",
            str(end), "--status", "all", "--dir", str(out), "--workers", "1"]  # fmt: skip
    # The manifest passes 24 KiB after some forty files: the disk "fills up" mid-export.
    result = subprocess.run(
        args, env=_cli_env(demo, tmp_path / "home"), capture_output=True, text=True
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("desk-billing: There is not enough space to write into"), last
    written = pdf_files(out)
    assert written and all(is_pdf(out / name) for name in written)
    assert not list(out.glob(".desk-billing-*.part"))


def test_downloads_stay_within_stripes_file_rate(demo, counting, tmp_path, issue_days):
    start, end = period(issue_days, 45)
    report = export_invoices(make_gateway(demo), ExportRequest(tmp_path, start, end, status="all"))
    times = sorted(counting.times)
    assert report.downloaded == len(times) >= 40
    busiest = max(sum(1 for t in times if first <= t < first + 1.0) for first in times)
    assert busiest <= 25  # Stripe's ceiling; the client aims at 20/s
    assert times[-1] - times[0] >= (len(times) - 5) / 20 - 0.1
