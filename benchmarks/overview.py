"""The Overview's and the collections queue's queries on a large cache, and the GUI's stall
while they run off the GUI thread.

Run: python benchmarks/overview.py [--objects 1000000] [--runs 3] [--cache FILE]
Builds (once, kept at --cache if given) a cache of about --objects objects the way a backfill
writes them: 12% customers, 8% subscriptions, 30% invoices, 25% charges, 12% payment intents,
3% refunds, 10% events. Reports the median time of each query and the total (target: at most
300 ms at 1,000,000 objects), then the longest gap of a 5 ms GUI timer while the same work runs
on the TaskRunner's "db" lane (target: at most 50 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._machine import describe  # noqa: E402
from desk_billing.core.cache import Cache  # noqa: E402
from desk_billing.core.reports.collections import collections_queue  # noqa: E402
from desk_billing.core.reports.overview import overview  # noqa: E402
from tests.cache_load import load_as_backfill  # noqa: E402

NOW = 1_796_300_000
SPAN = 400 * 86400  # objects spread over the last 400 days
SHARES = {"customers": 0.12, "subscriptions": 0.08, "invoices": 0.30, "charges": 0.25,
          "payment_intents": 0.12, "refunds": 0.03, "events": 0.10}  # fmt: skip
CURRENCIES = ("eur", "usd", "gbp", "jpy", "kwd")
INTERVALS = (("month", 1), ("year", 1), ("week", 1), ("month", 3))


def _created(n: int, total: int) -> int:
    return NOW - SPAN + (n * SPAN) // max(total, 1)


def customer(n: int, total: int) -> dict:
    return {"id": f"cus_{n:014d}", "object": "customer", "created": _created(n, total),
            "livemode": False, "email": f"p{n}@example.com", "name": f"Person {n}",
            "currency": CURRENCIES[n % 5], "metadata": {}}  # fmt: skip


def subscription(n: int, total: int, customers: int) -> dict:
    created = _created(n, total)
    status = ("active",) * 6 + ("canceled", "past_due", "trialing", "unpaid")
    status = status[n % 10]
    interval, count = INTERVALS[n % 4]
    currency = CURRENCIES[n % 5]
    return {
        "id": f"sub_{n:014d}", "object": "subscription", "created": created, "livemode": False,
        "customer": f"cus_{n % customers:014d}", "status": status, "currency": currency,
        "start_date": created, "trial_end": created + 14 * 86400 if n % 7 == 0 else None,
        "ended_at": created + 90 * 86400 if status == "canceled" else None,
        "canceled_at": created + 90 * 86400 if status == "canceled" else None,
        "pause_collection": None, "latest_invoice": f"in_{n:014d}", "metadata": {},
        "discounts": [],
        "items": {"object": "list", "data": [
            {"id": f"si_{n}", "object": "subscription_item", "quantity": 1 + n % 3,
             "current_period_end": NOW + 86400,
             "price": {"id": f"price_{n % 40}", "object": "price", "currency": currency,
                       "unit_amount": 1000 + (n % 40) * 100,
                       "recurring": {"interval": interval, "interval_count": count}}}]},
    }  # fmt: skip


def invoice(n: int, total: int, customers: int) -> dict:
    created = _created(n, total)
    status = "open" if n % 20 == 0 else "paid"
    return {
        "id": f"in_{n:014d}", "object": "invoice", "created": created, "livemode": False,
        "customer": f"cus_{n % customers:014d}", "status": status, "currency": CURRENCIES[n % 5],
        "number": f"N{n:08d}", "total": 2000, "subtotal": 2000, "amount_due": 2000,
        "amount_paid": 0 if status == "open" else 2000,
        "amount_remaining": 2000 if status == "open" else 0,
        "due_date": created + 30 * 86400 if n % 40 == 0 else None,
        "collection_method": "send_invoice" if n % 40 == 0 else "charge_automatically",
        "status_transitions": {"finalized_at": created, "paid_at": created}, "metadata": {},
    }  # fmt: skip


def charge(n: int, total: int, customers: int) -> dict:
    return {"id": f"ch_{n:014d}", "object": "charge", "created": _created(n, total),
            "livemode": False, "customer": f"cus_{n % customers:014d}",
            "status": "failed" if n % 25 == 0 else "succeeded", "amount": 2000,
            "amount_captured": 0 if n % 25 == 0 else 2000, "amount_refunded": 0,
            "currency": CURRENCIES[n % 5], "payment_intent": f"pi_{n:014d}",
            "payment_method_details": {"type": "sepa_debit" if n % 9 == 0 else "card"},
            "metadata": {}}  # fmt: skip


def payment_intent(n: int, total: int, customers: int) -> dict:
    failed = n % 30 == 0
    status = "requires_payment_method" if failed else "processing" if n % 97 == 0 else "succeeded"
    return {"id": f"pi_{n:014d}", "object": "payment_intent", "created": _created(n, total),
            "livemode": False, "customer": f"cus_{n % customers:014d}", "status": status,
            "amount": 2000 + n % 7, "amount_received": 0 if failed else 2000,
            "currency": CURRENCIES[n % 5], "latest_charge": f"ch_{n:014d}",
            "last_payment_error": {"message": "Your card was declined."} if failed else None,
            "metadata": {}}  # fmt: skip


def refund(n: int, total: int, charges: int) -> dict:
    return {"id": f"re_{n:014d}", "object": "refund", "created": _created(n, total),
            "charge": f"ch_{(n * 7) % charges:014d}", "status": "succeeded", "amount": 500,
            "currency": CURRENCIES[(n * 7) % charges % 5],
            "reason": ("requested_by_customer", "duplicate", None)[n % 3], "metadata": {}}  # fmt: skip


def event(n: int, total: int, subs: int) -> dict:
    sub = subscription(n % subs, subs, 1)
    return {"id": f"evt_{n:014d}", "object": "event", "created": _created(n, total),
            "livemode": False, "type": "customer.subscription.updated", "api_version": "x",
            "data": {"object": sub}}  # fmt: skip


def build(path: Path, objects: int) -> None:
    sizes = {t: max(1, int(objects * s)) for t, s in SHARES.items()}
    cus, subs, chs = sizes["customers"], sizes["subscriptions"], sizes["charges"]
    makers = {
        "customers": lambda n: customer(n, cus),
        "subscriptions": lambda n: subscription(n, subs, cus),
        "invoices": lambda n: invoice(n, sizes["invoices"], cus),
        "charges": lambda n: charge(n, chs, cus),
        "payment_intents": lambda n: payment_intent(n, sizes["payment_intents"], cus),
        "refunds": lambda n: refund(n, sizes["refunds"], chs),
        "events": lambda n: event(n, sizes["events"], subs),
    }
    with Cache.open(path) as cache:
        for table, make in makers.items():
            began = time.perf_counter()
            load_as_backfill(cache, table, (make(n) for n in range(sizes[table])))
            print(f"  built {table:16} {sizes[table]:>9,} in {time.perf_counter() - began:.1f} s")


def queries(conn) -> dict[str, float]:
    result = overview(conn, as_of=NOW)
    timings = dict(result.timings_ms)
    began = time.perf_counter()
    collections_queue(conn, now=NOW)
    timings["collections"] = (time.perf_counter() - began) * 1000
    return timings


def gui_stall(path: Path) -> tuple[float, float]:
    """Longest gap of a 5 ms timer on the GUI thread while the overview runs on the db lane."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from desk_billing.core.cache.reading import connect
    from desk_billing.gui.tasks import TaskRunner

    app = QApplication.instance() or QApplication([])
    runner = TaskRunner()
    clock, gaps, done = QElapsedTimer(), [], {}
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    def work(control):
        conn = connect(path)
        try:
            began = time.perf_counter()
            queries(conn)
            return (time.perf_counter() - began) * 1000
        finally:
            conn.close()

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    runner.run(work, success=lambda ms: done.update(ms=ms) or app.quit(), lane="db")
    app.exec()
    timer.stop()
    runner.shutdown()
    return max(gaps or [0]), done.get("ms", float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="keep (and reuse) the built cache here")
    args = parser.parse_args()
    print(describe())
    with tempfile.TemporaryDirectory() as folder:
        path = args.cache or Path(folder) / "overview.sqlite3"
        if not path.exists():
            print(f"building a cache of ~{args.objects:,} objects")
            build(path, args.objects)
        with Cache.open(path) as cache:
            runs = [queries(cache.conn) for _ in range(args.runs)]
        print(f"queries on {path.name}, median of {args.runs} runs:")
        for name in runs[0]:
            print(f"  {name:14} {statistics.median(r[name] for r in runs):8.1f} ms")
        total = statistics.median(sum(r.values()) for r in runs)
        print(f"  {'total':14} {total:8.1f} ms  (target <= 300 ms at 1M objects)")
        stall, ms = gui_stall(path)
        print(f"GUI thread: longest timer gap {stall:.0f} ms while the queries took {ms:.0f} ms"
              " off it (target <= 50 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
