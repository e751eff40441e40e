"""Everything the Overview tab shows, computed in one call over one connection (off the GUI thread)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from .mrr import MRR, mrr_now
from .periods import last_months, month_of
from .revenue import (
    FailedPayments,
    RefundsByReason,
    RevenueMonth,
    TopCustomer,
    failed_payments,
    refunds_by_reason,
    revenue,
    top_customers,
)
from .trend import Movement, TrendPoint, movements, mrr_trend, subscription_counts


@dataclass(frozen=True)
class Overview:
    as_of: int
    mrr: MRR
    trend: list[TrendPoint]
    movements: dict[str, Movement]
    revenue: list[RevenueMonth]
    refunds: list[RefundsByReason]
    failed: list[FailedPayments]
    counts: dict[str, int]
    top_customers: list[TopCustomer]
    timings_ms: dict[str, float]  # query -> milliseconds, for the benchmark and the log


def overview(conn: sqlite3.Connection, as_of: int | None = None) -> Overview:
    """The overview over the last 12 months (top customers: the last 12 months too)."""
    as_of = int(time.time()) if as_of is None else as_of
    months = last_months(as_of, 12)
    start, end = months[0].start, months[-1].end
    timings: dict[str, float] = {}

    def timed(name, fn, *args):
        began = time.perf_counter()
        result = fn(*args)
        timings[name] = (time.perf_counter() - began) * 1000
        return result

    return Overview(
        as_of=as_of,
        mrr=timed("mrr", mrr_now, conn, as_of),
        trend=timed("trend", mrr_trend, conn, as_of),
        movements=timed("movements", movements, conn, as_of),
        revenue=timed("revenue", revenue, conn, start, end),
        refunds=timed("refunds", refunds_by_reason, conn, start, end),
        failed=timed("failed", failed_payments, conn, month_of(as_of)),
        counts=timed("counts", subscription_counts, conn),
        top_customers=timed("top_customers", top_customers, conn, start, end),
        timings_ms=timings,
    )
