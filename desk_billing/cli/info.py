"""`desk-billing info`: profile, mode, account, cache path, last sync, row counts."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info", help="show profile, mode, account, cache path, last sync and row counts"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=show_info)


def show_info(session: AccountSession, args: argparse.Namespace) -> int:
    report = session.info()
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    for key, value in report.items():
        if key != "row_counts":
            print(f"{key}: {value}")
    print("rows: " + ", ".join(f"{t} {n}" for t, n in report["row_counts"].items()))
    return EXIT_OK
