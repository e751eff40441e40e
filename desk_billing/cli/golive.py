"""`desk-billing golive [--json]`: the go-live checklist of the profile's live account."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession

MARKS = {"pass": "ok  ", "attention": "TODO", "manual": "?   "}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "golive",
        help="is the live account ready? (key, account, webhooks, currencies, manual items)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.set_defaults(handler=golive_command)


def golive_command(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.golive import run_checklist  # the SDK, on first use

    items = run_checklist(session)
    if args.json:
        data = {"items": [item.as_json() for item in items]}
        print(orjson.dumps(data).decode())
        return EXIT_OK
    for item in items:
        print(f"[{MARKS[item.status]}] {item.title}: {item.detail}")
    return EXIT_OK
