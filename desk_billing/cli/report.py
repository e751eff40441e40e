"""`desk-billing report mrr`: the overview's numbers from the local cache (run `sync` first)."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession
from desk_billing.core.money import format_amount
from desk_billing.core.reports.mrr import mrr_now


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="reports from the local cache (no Stripe calls): mrr"
    )
    parser.add_argument("which", choices=["mrr"], help="which report")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.set_defaults(handler=report_command)


def report_command(session: AccountSession, args: argparse.Namespace) -> int:
    with session.cache() as cache:
        result = mrr_now(cache.conn)
    if args.json:
        print(orjson.dumps(result.as_json(), option=orjson.OPT_SORT_KEYS).decode())
    else:
        for currency, amount in result.mrr.items():
            count = result.subscriptions.get(currency, 0)
            print(f"{currency.upper()}\t{format_amount(amount, currency)}\t{count} subscriptions")
    return EXIT_OK
