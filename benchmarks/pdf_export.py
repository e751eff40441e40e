"""Bulk export of invoice PDFs from the sandbox at 100 ms latency: bounded concurrency vs one at a time.

Run: python benchmarks/pdf_export.py [--invoices 1000] [--latency-ms 100] [--workers 6]
                                      [--runs 3] [--sequential-runs 1]
Each run exports every finalized invoice of a bulk-seeded sandbox into an empty folder through
`core.pdfs.export_invoices` (list through the gateway, then one GET per PDF with Stripe's file
rate limit of 20/s), and prints the median wall time. The sandbox's own time per PDF beyond the
latency (rendering, about 20-40 ms, outside its state lock) is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._machine import describe  # noqa: E402
from desk_billing.core.gateway import Gateway  # noqa: E402
from desk_billing.core.pdfs import ExportRequest, PdfFetcher, export_invoices  # noqa: E402
from desk_billing.core.profiles import Profile  # noqa: E402
from desk_billing.sandbox import Sandbox  # noqa: E402

KEY = "sk_test_benchmark000000000000"


class ServerClock:
    """Counts PDF requests at the sandbox and the time it spends answering them."""

    def __init__(self, sb: Sandbox, latency_s: float) -> None:
        self.inner = sb.app.handle
        self.latency_s = latency_s
        self.lock = threading.Lock()
        self.requests = 0
        self.busy_s = 0.0
        sb.app.handle = self.handle

    def handle(self, verb, target, headers, body):
        started = time.perf_counter()
        response = self.inner(verb, target, headers, body)
        if target.endswith("/pdf"):
            with self.lock:
                self.requests += 1
                self.busy_s += time.perf_counter() - started - self.latency_s
        return response

    def reset(self) -> None:
        with self.lock:
            self.requests, self.busy_s = 0, 0.0


def _finalized(sb: Sandbox) -> list[int]:
    return sorted(
        (i.get("status_transitions") or {}).get("finalized_at") or 0
        for i in sb.state.collection("invoices").by_id.values()
        if (i.get("status_transitions") or {}).get("finalized_at")
    )


def seed(sb: Sandbox, invoices: int) -> tuple[date, date, int]:
    """A bulk account with at least `invoices` finalized invoices; the period (whole UTC days,
    newest first) that holds about `invoices` of them, and how many it holds."""
    probe = Sandbox()
    probe.start()
    probe.seed("bulk", each=100)
    per_each = len(_finalized(probe)) / 100
    probe.stop()
    sb.seed("bulk", each=int(invoices / per_each) + 20)
    times = _finalized(sb)
    first = datetime.fromtimestamp(times[-invoices], UTC).date()
    last = datetime.fromtimestamp(times[-1], UTC).date()
    lo = datetime.combine(first, datetime.min.time(), UTC).timestamp()
    return first, last, sum(1 for t in times if t >= lo)


def run_once(sb: Sandbox, workers: int, first: date, last: date) -> tuple[float, int]:
    gateway = Gateway.from_profile(Profile("bench"), KEY, api_base=sb.url, env={})
    with tempfile.TemporaryDirectory() as folder:
        request = ExportRequest(Path(folder), first, last, status="all")
        started = time.perf_counter()
        report = export_invoices(gateway, request, fetcher=PdfFetcher(), workers=workers)
        elapsed = time.perf_counter() - started
    if report.failed:
        raise SystemExit(
            f"{len(report.failed)} downloads failed: {next(iter(report.failed.values()))}"
        )
    return elapsed, report.downloaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sequential-runs", type=int, default=1)
    args = parser.parse_args()

    print(describe())
    sb = Sandbox()
    sb.start()
    first, last, count = seed(sb, args.invoices)
    sb.set_switches(latency_ms=args.latency_ms)
    clock = ServerClock(sb, args.latency_ms / 1000)
    print(
        f"{count} finalized invoices issued {first} to {last}, sandbox latency {args.latency_ms} ms per request "
        f"(API and PDF), PDF rate limit 20/s, gateway limit 20/s"
    )
    rows = []
    for label, workers, runs in (
        (f"{args.workers} workers", args.workers, args.runs),
        ("one at a time", 1, args.sequential_runs),
    ):
        times = []
        for _ in range(runs):
            clock.reset()
            elapsed, downloaded = run_once(sb, workers, first, last)
            times.append(elapsed)
            print(
                f"  {label}: {elapsed:7.1f} s for {downloaded} PDFs ({downloaded / elapsed:5.1f}/s); "
                f"sandbox handler time beyond latency {clock.busy_s:5.1f} s (rendering)",
                flush=True,
            )
        rows.append((label, statistics.median(times), downloaded, len(times)))
    sb.stop()
    print()
    for label, median, downloaded, runs in rows:
        print(
            f"{label:>15}: median {median:7.1f} s of {runs} run(s), {downloaded / median:5.1f} PDFs/s"
        )
    print(f"speed-up: {rows[1][1] / rows[0][1]:.1f}x")


if __name__ == "__main__":
    main()
