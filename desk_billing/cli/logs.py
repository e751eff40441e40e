"""`desk-billing log [--tail N]`: the structured log (one JSON object a line), oldest first."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession
from desk_billing.core.errors import ValidationError
from desk_billing.core.logging import log_lines


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "log", help="print the log: one JSON line per Stripe request, warning and error"
    )
    parser.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    parser.set_defaults(handler=show_log)


def show_log(session: AccountSession, args: argparse.Namespace) -> int:
    if args.tail is not None and args.tail < 0:
        raise ValidationError("--tail takes a number of lines, 0 or more.")
    path = session.paths.log_file
    lines = log_lines(path, args.tail)
    if not lines:
        print(f"The log is empty ({path}).", file=sys.stderr)
    for line in lines:
        print(line)
    return EXIT_OK
