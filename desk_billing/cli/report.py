"""`desk-billing report mrr|revenue|collections`: the overview's numbers from the local cache
(run `sync` first; no Stripe calls)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import orjson

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession
from desk_billing.core.money import format_amount
from desk_billing.core.reports.collections import collections_queue
from desk_billing.core.reports.mrr import mrr_now
from desk_billing.core.reports.periods import parse_day
from desk_billing.core.reports.revenue import revenue
from desk_billing.core.reports.tables import queue_table, revenue_table, write_csv

DAY = 86400


def _day(text: str) -> int:
    try:
        return parse_day(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="reports from the local cache (no Stripe calls): mrr, revenue, collections",
    )
    parser.add_argument("which", choices=["mrr", "revenue", "collections"], help="which report")
    parser.add_argument("--from", dest="start", type=_day, metavar="YYYY-MM-DD",
                        help="revenue: first day (UTC); default a year before --to")  # fmt: skip
    parser.add_argument("--to", dest="end", type=_day, metavar="YYYY-MM-DD",
                        help="revenue: last day, included (UTC); default today")  # fmt: skip
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON document on stdout")
    output.add_argument("--csv", action="store_true", help="CSV on stdout (revenue, collections)")
    parser.set_defaults(handler=report_command)


def report_command(session: AccountSession, args: argparse.Namespace) -> int:
    with session.cache() as cache:
        if args.which == "mrr":
            _mrr(cache.conn, args)
        elif args.which == "revenue":
            _revenue(cache.conn, args)
        else:
            _collections(cache.conn, args)
    return EXIT_OK


def _print_json(value: object) -> None:
    print(orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode())


def _mrr(conn: Any, args: argparse.Namespace) -> None:
    result = mrr_now(conn)
    if args.json:
        _print_json(result.as_json())
        return
    for currency, amount in result.mrr.items():
        count = result.subscriptions.get(currency, 0)
        print(f"{currency.upper()}\t{format_amount(amount, currency)}\t{count} subscriptions")


def _revenue(conn: Any, args: argparse.Namespace) -> None:
    today = parse_day(time.strftime("%Y-%m-%d", time.gmtime()))
    end = (args.end if args.end is not None else today) + DAY  # --to is included
    start = args.start if args.start is not None else end - 365 * DAY
    rows = revenue(conn, start, end)
    if args.json:
        _print_json([r.as_json() for r in rows])
    elif args.csv:
        write_csv(revenue_table(rows), sys.stdout)
    else:
        for r in rows:
            print(f"{r.month}\t{r.currency.upper()}\t{format_amount(r.net, r.currency)}")


def _collections(conn: Any, args: argparse.Namespace) -> None:
    queue = collections_queue(conn)
    if args.json:
        print(orjson.dumps([q.as_json() for q in queue]).decode())
    elif args.csv:
        write_csv(queue_table(queue), sys.stdout)
    else:
        for q in queue:
            amount = format_amount(q.amount_remaining, q.currency)
            print(f"{q.days_overdue}d\t{q.kind}\t{q.id}\t{amount}\t{q.reason}")
