"""`desk-billing journal list|resume|export`: the local audit log of every mutation."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession, iso_utc
from desk_billing.core.errors import ValidationError

if TYPE_CHECKING:
    from desk_billing.core.journal import Journal, ResumeReport


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "journal", help="the operation journal: list it, resume unfinished operations, export CSV"
    )
    parser.add_argument("action", choices=["list", "resume", "export"], help="what to do")
    parser.add_argument("--csv", metavar="FILE", help="where 'export' writes")
    parser.add_argument("--limit", type=int, default=50, help="rows 'list' shows (default 50)")
    parser.set_defaults(handler=journal_command)


def resume(journal: Journal) -> ResumeReport:
    """Unfinished operations of an earlier run are sent again (same key); each outcome on stderr."""
    report = journal.resume_unfinished()
    for entry in report.succeeded:
        print(f"resumed: {entry.kind} {entry.target or ''} -> {entry.result_id}", file=sys.stderr)
    for entry in report.failed:
        print(f"resumed: {entry.kind} {entry.target or ''} failed: {entry.error}", file=sys.stderr)
    for entry in report.still_pending:
        print(
            f"still unconfirmed: {entry.kind} {entry.target or ''} ({entry.error})", file=sys.stderr
        )
    return report


def journal_command(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.journal import entries, export_csv  # see the package's docstring

    if args.action == "resume":
        with session.journal() as opened:
            resume(opened)
        return EXIT_OK
    if args.action == "export" and not args.csv:
        raise ValidationError("Name the file to write with --csv FILE.")
    with session.cache() as cache:
        if args.action == "export":
            count = export_csv(cache, args.csv)
            print(f"{count} operations written to {args.csv}")
        else:
            for e in entries(cache, limit=args.limit):
                fields = [iso_utc(e.created) or "", e.kind, e.target or "", e.amount_text, e.status]
                print("\t".join([*fields, e.result_id or "", e.error or ""]))
    return EXIT_OK
