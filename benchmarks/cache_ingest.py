"""Cache ingest speed: rows/s upserting customer-like and invoice-like objects, FTS included.

Run: python benchmarks/cache_ingest.py [--rows 100000] [--runs 3] [--page 100]
Measures, as medians of several runs on a fresh file each: `upsert` page by page (FTS kept by
triggers, as a sync writes), the same again over existing rows (a re-sync), and `backfill` (the
sync's bulk-load mode: search and random-order indexes built once at the end, pages of 100 per
transaction). Stripe itself cannot deliver more than ~10,000 objects/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._machine import describe  # noqa: E402
from desk_billing.core.cache import Cache  # noqa: E402
from tests.cache_load import load_as_backfill  # noqa: E402


def customer(n: int, version: int = 0) -> dict:
    return {
        "id": f"cus_{n:014d}", "object": "customer", "created": 1_700_000_000 + n, "livemode": False,
        "email": f"person{n}@example{n % 97}.com", "name": f"Person {n} Example{version}",
        "description": "wholesale account" if n % 3 else None, "phone": "+15555550100",
        "currency": "eur", "balance": 0, "delinquent": False, "address": {"city": "Berlin", "country": "DE",
        "line1": f"Street {n}", "postal_code": "10115"}, "invoice_prefix": f"A{n:07X}",
        "metadata": {"crm_id": f"CRM-{n}", "segment": "smb"}, "preferred_locales": ["de"],
        "tax_exempt": "none", "default_source": None, "invoice_settings": {"default_payment_method": None},
    }  # fmt: skip


def invoice(n: int, version: int = 0) -> dict:
    return {
        "id": f"in_{n:014d}", "object": "invoice", "created": 1_700_000_000 + n, "livemode": False,
        "customer": f"cus_{n // 4:014d}", "customer_email": f"person{n // 4}@example.com",
        "customer_name": f"Person {n // 4}", "number": f"A{n // 4:07X}-{n % 4 + 1:04d}",
        "status": "paid" if version or n % 5 else "open", "currency": "eur", "total": 1999 + n % 500,
        "subtotal": 1999, "amount_due": 1999, "amount_paid": 1999, "amount_remaining": 0,
        "due_date": None, "period_end": 1_700_000_000 + n, "collection_method": "charge_automatically",
        "description": None, "metadata": {"order": f"ORD-{n}"},
        "lines": {"object": "list", "data": [{"id": f"il_{n}", "amount": 1999, "description": "Plan"}],
                  "has_more": False, "total_count": 1},
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": f"sub_{n}"}},
    }  # fmt: skip


MAKERS = {"customers": customer, "invoices": invoice}


def run_once(table: str, rows: int, page: int, mode: str) -> float:
    make = MAKERS[table]
    with (
        tempfile.TemporaryDirectory() as folder,
        Cache.open(Path(folder) / "bench.sqlite3") as cache,
    ):
        if mode == "backfill":
            objects = [make(n) for n in range(rows)]
            started = time.perf_counter()
            load_as_backfill(cache, table, objects)
            return rows / (time.perf_counter() - started)
        if mode == "re-sync":
            for start in range(0, rows, page):
                cache.upsert(table, [make(n) for n in range(start, min(rows, start + page))])
        version = 1 if mode == "re-sync" else 0
        pages = [
            [make(n, version) for n in range(s, min(rows, s + page))] for s in range(0, rows, page)
        ]
        started = time.perf_counter()
        for objects in pages:  # one transaction per page, as sync writes
            cache.upsert(table, objects)
        elapsed = time.perf_counter() - started
        assert cache.count(table) == rows
        return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page", type=int, default=100)
    args = parser.parse_args()
    print(describe())
    print(f"{args.rows:,} rows, pages of {args.page}, median of {args.runs} runs, FTS5 on")
    for table in MAKERS:
        for mode in ("upsert", "re-sync", "backfill"):
            rates = [run_once(table, args.rows, args.page, mode) for _ in range(args.runs)]
            print(f"{table:10} {mode:9} {statistics.median(rates):>10,.0f} rows/s")


if __name__ == "__main__":
    main()
