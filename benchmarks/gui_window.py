"""The main window over a 1,000,000-object cache: first paint, search per keystroke, GUI stalls
during a full sync from a sandbox, peak memory. Prints figures and the machine; not a test.

    QT_QPA_PLATFORM=offscreen python3 benchmarks/gui_window.py [--objects 1000000] [--keep DIR]

Goals (issue 5): first painted rows <= 1 s from process start, search per keystroke <= 30 ms
median, longest GUI-thread stall during a sync <= 50 ms, peak RSS <= 400 MB.

The sandbox runs in a child process, so the peak RSS printed is the window process's alone.
A stall is also split into the time the GUI thread waited for a CPU (the kernel's run-queue
delay: other processes on the machine) and the rest (our own threads, the GIL).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

KEY = "sk_test_benchmark0000000000000000"
FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Zoë",
    "Kenji",
    "Amara",
    "Lucía",
    "Nadia",
    "Omar",
    "Priya",
    "Sven",
    "Tomás",
    "Yuki",
    "Chen",
    "Olu",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Müller",
    "Sato",
    "Okafor",
    "Fernández",
    "Haddad",
    "Silva",
    "Rao",
    "Berg",
    "Costa",
]
CURRENCIES = ("eur", "usd", "gbp", "jpy", "chf")
STATUSES = ("paid",) * 6 + ("open", "open", "draft", "void", "uncollectible")


def build_cache(path: Path, total: int) -> None:
    """A fifth customers, the rest invoices, shaped like Stripe's own fixtures."""
    from desk_billing.core.cache import Cache
    from tests.cache_load import load_as_backfill

    fixtures = json.loads((ROOT / "tests/data/stripe_fixtures3.json").read_text())["resources"]
    customer_t, invoice_t = fixtures["customer"], fixtures["invoice"]
    customers = total // 5
    now = int(time.time())
    started = time.perf_counter()
    with Cache.open(path) as cache:

        def people():
            for i in range(customers):
                c = copy.copy(customer_t)
                first, last = FIRST_NAMES[i % 15], LAST_NAMES[(i // 15) % 12]
                c.update(
                    id=f"cus_B{i:014d}",
                    name=f"{first} {last} {i}",
                    email=f"{first.lower()}.{last.lower()}{i}@example.com",
                    created=now - i * 30,
                    currency=CURRENCIES[i % 5],
                    metadata={"crm_id": f"crm-{i}"},
                )
                yield c

        load_as_backfill(cache, "customers", people())

        def invoices():
            for i in range(total - customers):
                inv = copy.copy(invoice_t)
                k = i % customers
                first, last = FIRST_NAMES[k % 15], LAST_NAMES[(k // 15) % 12]
                currency = CURRENCIES[k % 5]
                amount = (1000 + (i * 37) % 90000) * (1 if currency != "jpy" else 10)
                status = STATUSES[i % len(STATUSES)]
                inv.update(
                    id=f"in_B{i:014d}",
                    customer=f"cus_B{k:014d}",
                    customer_name=f"{first} {last} {k}",
                    customer_email=f"{first.lower()}.{last.lower()}{k}@example.com",
                    number=f"B{k:06d}-{i % 1000:04d}",
                    status=status,
                    currency=currency,
                    total=amount,
                    amount_due=amount,
                    amount_paid=amount if status == "paid" else 0,
                    amount_remaining=0 if status == "paid" else amount,
                    created=now - i * 7,
                )
                yield inv

        load_as_backfill(cache, "invoices", invoices())
    print(
        f"built a {total:,}-object cache in {time.perf_counter() - started:.0f} s ({path.stat().st_size / 1e6:.0f} MB)"
    )


def session_for(home: Path, cache: Path, api_base: str | None):
    from desk_billing.core.account import AccountSession
    from desk_billing.core.profiles import AppPaths, Profile

    os.environ["DESK_BILLING_HOME"] = str(home)
    paths = AppPaths.from_env()
    profile = Profile(
        "bench", "test", account_id="acct_bench", account_name="Benchmark", api_base=api_base
    )
    target = paths.cache_path(profile, "test")
    target.parent.mkdir(parents=True, exist_ok=True)
    if api_base is not None or not target.exists():
        # A fresh copy for each sync run: the full sync sweeps the benchmark's rows (the
        # sandbox does not know them), so a kept copy would search a cache of deleted rows.
        for old in target.parent.glob(target.name + "*"):
            old.unlink()
        shutil.copyfile(cache, target)
        os.sync()  # the copy's writeback is set-up, not the window's work: not during a measure
    return AccountSession(paths, profile, key=KEY, api_base=api_base)


def child_first_paint(home: Path, cache: Path) -> None:
    """Runs in a fresh process: prints the wall-clock time the first rows were painted."""
    from PySide6.QtCore import QEvent, QObject

    from desk_billing.gui.app import application
    from desk_billing.gui.main_window import MainWindow

    app = application()
    session = session_for(home, cache, None)
    window = MainWindow(session, sync_on_start=False)
    window.tabs.setCurrentIndex(1)  # Invoices: 800k rows
    view = window.current_tab().view

    class Painted(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and view.model().rowCount() > 0:
                print(f"painted {time.time():.6f} rows={view.model().rowCount()}", flush=True)
                app.quit()
            return False

    watcher = Painted()
    view.viewport().installEventFilter(watcher)
    window.show()
    app.exec()
    window.close()
    print(f"rss_mb {peak_rss_mb():.0f}", flush=True)


def measure_first_paint(home: Path, cache: Path, runs: int = 3) -> tuple[float, float]:
    times, rss = [], 0.0
    for _ in range(runs):
        started = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(home), str(cache)],
            capture_output=True, text=True, check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        ).stdout  # fmt: skip
        painted = float(
            next(line.split()[1] for line in out.splitlines() if line.startswith("painted"))
        )
        rss = max(
            rss,
            float(next(line.split()[1] for line in out.splitlines() if line.startswith("rss_mb"))),
        )
        times.append(painted - started)
    return statistics.median(times), rss


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not getrusage: on Linux its maxrss survives exec,
    so a child would report the parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_sandbox(each: int) -> None:
    """Runs in a child process: the seeded sandbox, its URL on stdout, until stdin closes."""
    from desk_billing.sandbox import Sandbox

    with Sandbox() as sandbox:
        sandbox.seed("bulk", each=each)
        print(sandbox.url, flush=True)
        sys.stdin.read()


def run_queue_delay_ms(native_id: int) -> float:
    """How long a thread has waited, runnable, for a CPU (Linux schedstat; 0 elsewhere)."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat", encoding="ascii") as stat:
            return int(stat.read().split()[1]) / 1e6
    except OSError:
        return 0.0


def painted_after(app, view, started: float, timeout: float = 60.0) -> float:
    """Wait for the view's next paint; the time from `started` to the end of that paint."""
    from PySide6.QtCore import QEvent, QObject

    done: list[float] = []

    class Painted(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                done.append(time.perf_counter())
            return False

    watcher = Painted()
    view.viewport().installEventFilter(watcher)
    view.viewport().update()
    try:
        wait(app, lambda: bool(done), timeout)
    finally:
        view.viewport().removeEventFilter(watcher)
    return (done[0] - started) * 1000


def wait(app, condition, timeout: float = 600.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument(
        "--sync-objects", type=int, default=600, help="bulk seed `each` of the sandbox"
    )
    parser.add_argument("--verbose", action="store_true", help="print every keystroke's time")
    parser.add_argument("--keep", type=Path, help="directory to keep (and reuse) the big cache in")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--sandbox", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.sandbox is not None:
        child_sandbox(args.sandbox)
        return 0
    if args.build:
        build_cache(Path(args.build[0]), int(args.build[1]))
        return 0
    if args.child:
        child_first_paint(Path(args.child[0]), Path(args.child[1]))
        return 0

    from _machine import describe

    print(describe())
    work = args.keep or Path(tempfile.mkdtemp(prefix="desk-billing-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = work / f"cache-{args.objects}.sqlite3"
    if not cache.exists():  # in a child process, so its memory is not counted as the window's
        subprocess.run(
            [sys.executable, __file__, "--build", str(cache), str(args.objects)], check=True
        )

    # A run before this one left gigabytes of copied cache to write back; a start-up measured
    # during that writeback measures the disk (up to ~200 ms more), not the window.
    os.sync()
    first_paint, child_rss = measure_first_paint(work / "home-paint", cache)
    print(
        f"start -> first painted rows (new process, {args.objects:,} objects): {first_paint * 1000:.0f} ms median of 3 (goal <= 1000 ms)"
    )

    from PySide6.QtCore import QTimer

    from desk_billing.gui.app import application
    from desk_billing.gui.main_window import MainWindow
    from desk_billing.gui.tabs.customers import CustomersTab
    from desk_billing.gui.tabs.invoices import InvoicesTab

    app = application()
    home = work / "home-run"
    # The sandbox stands in for Stripe, whose servers do not share the user's CPU: at the lowest
    # priority it only takes cores the window and its sync threads leave idle.
    with subprocess.Popen(
        [sys.executable, __file__, "--sandbox", str(args.sync_objects)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=lambda: os.nice(19),
    ) as sandbox:  # fmt: skip
        assert sandbox.stdout is not None and sandbox.stdin is not None
        sandbox_url = sandbox.stdout.readline().strip()
        session = session_for(home, cache, sandbox_url)
        window = MainWindow(session, sync_on_start=False)
        window.resize(1280, 800)
        window.show()
        invoices = window.tab(InvoicesTab)
        wait(app, lambda: invoices.model.rowCount() > 0 and not window.runner.busy)

        # Search per keystroke: from the moment the debounce timer fires (`apply_query`; the
        # debounce interval itself is not counted) to the end of the paint that shows the rows.
        # Each keystroke waits for the one before it; names and words first, then an id typed
        # character by character, reported apart (see below).
        def typed(series) -> list[float]:
            samples = []
            for tab, text in series:
                window.tabs.setCurrentWidget(tab)
                wait(app, lambda t=tab: not t.model.querying and not window.runner.busy)
                # The switched-to tab's own paint comes first, so the first keystroke's time
                # is that keystroke's alone.
                painted_after(app, tab.view, time.perf_counter())
                for n in range(1, len(text) + 1):
                    tab.search.setText(text[:n])
                    started = time.perf_counter()
                    tab.apply_query()
                    wait(app, lambda t=tab: not t.model.querying)
                    samples.append(painted_after(app, tab.view, started))
                    if args.verbose:
                        print(f"  {tab.model.spec.table} {text[:n]!r}: {samples[-1]:.1f} ms "
                              f"(query {tab.model.last_page_ms:.1f} ms)")  # fmt: skip
                tab.search.clear()
                tab.apply_query()
            wait(app, lambda: not window.runner.busy)
            return samples

        def summary(samples: list[float]) -> str:
            return (
                f"median {statistics.median(samples):.1f} ms, "
                f"p90 {sorted(samples)[int(len(samples) * 0.9)]:.1f} ms, max {max(samples):.1f} ms "
                f"over {len(samples)} keystrokes"
            )

        customers = window.tab(CustomersTab)
        words = typed(
            [(customers, "grace.hopper12"), (invoices, "ada lovelace 4"), (customers, "ada"),
             (invoices, "example")]
        )  # fmt: skip
        print(f"search per keystroke (names, words): {summary(words)} (goal <= 30 ms median)")
        # The benchmark's ids share one long prefix ("in_B0000000…"): each keystroke's last
        # word is the prefix of 800,000 distinct words, the worst case for FTS5 prefix queries.
        ids = typed([(invoices, "in_B00000000000042")])
        print(f"search per keystroke (an invoice id, 800k ids share its prefix): {summary(ids)}")

        # GUI-thread stalls during a full sync, seen by a 5 ms heartbeat; each gap with the
        # time the GUI thread spent runnable but without a CPU.
        gaps: list[float] = []
        waits: list[float] = []
        gui_thread = threading.get_native_id()
        last = [time.perf_counter(), run_queue_delay_ms(gui_thread)]

        def beat() -> None:
            now, delay = time.perf_counter(), run_queue_delay_ms(gui_thread)
            gaps.append((now - last[0]) * 1000)
            waits.append(delay - last[1])
            last[0], last[1] = now, delay

        heartbeat = QTimer(interval=5)
        heartbeat.timeout.connect(beat)
        window.tabs.setCurrentWidget(invoices)
        heartbeat.start()
        started = time.perf_counter()
        window.sync.sync_now(full=True)
        wait(app, lambda: window.sync.running)
        wait(app, lambda: not window.sync.running and not window.runner.busy)
        took = time.perf_counter() - started
        heartbeat.stop()
        report = window.sync.last_report
        synced = sum((report.objects or {}).values()) if report else 0
        worst = max(range(len(gaps)), key=gaps.__getitem__)
        stall = gaps[worst] - 5
        own = max(g - w for g, w in zip(gaps, waits, strict=True)) - 5
        print(
            f"longest GUI-thread stall during a full sync of {synced:,} objects from the sandbox "
            f"into the {args.objects:,}-object cache ({took:.1f} s): {stall:.0f} ms, of which "
            f"{waits[worst]:.0f} ms waiting for a CPU; longest stall less CPU waits {own:.0f} ms "
            f"(heartbeat 5 ms; p99 gap {sorted(gaps)[int(len(gaps) * 0.99)]:.0f} ms; goal <= 50 ms)"
        )
        window.close()
        sandbox.stdin.close()
    rss = peak_rss_mb()
    print(f"peak RSS, window process alone (sandbox in a child process): {child_rss:.0f} MB at first "
          f"paint; {rss:.0f} MB after search and sync (goal <= 400 MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
