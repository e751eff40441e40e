"""`desk-billing invoices pdf|export`: invoice PDFs by id, or a period's PDFs with index.csv."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from desk_billing.cli.common import EXIT_OK, add_global_options
from desk_billing.core.account import AccountSession
from desk_billing.core.errors import DeskBillingError, ValidationError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "invoices", help="invoice PDFs: download some, or export a period"
    )
    actions = parser.add_subparsers(dest="invoices_action", metavar="ACTION", required=True)
    pdf = actions.add_parser("pdf", help="download the PDFs of invoices by id")
    add_global_options(pdf, in_sub_command=True)
    pdf.add_argument("ids", nargs="+", metavar="ID", help="invoice ids (in_...)")
    pdf.add_argument("--dir", required=True, metavar="DIR", help="folder to write into")
    pdf.set_defaults(handler=save_pdfs)
    export = actions.add_parser(
        "export",
        help="the PDFs of a period's invoices and index.csv",
        description="Exports the PDFs of invoices issued (finalized) from --from to --to "
        "inclusive, UTC dates, named <date>_<number>_<customer>.pdf, with index.csv. "
        "Files already there and unchanged are not downloaded again.",
    )
    add_global_options(export, in_sub_command=True)
    export.add_argument(
        "--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first day"
    )
    export.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day")
    export.add_argument(
        "--status", default="paid", help="paid (default), open, uncollectible, void or all"
    )
    export.add_argument("--currency", metavar="C", help="only this currency, e.g. eur")
    export.add_argument("--customer", metavar="ID", help="only this customer (cus_...)")
    export.add_argument("--dir", required=True, metavar="DIR", help="folder to write into")
    export.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    export.set_defaults(handler=export_period)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValidationError(f"{option} takes a date as YYYY-MM-DD, not '{text}'.") from error


def save_pdfs(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.pdfs import save_invoice_pdfs  # imports the SDK

    def show(result: Any) -> None:
        stream = sys.stdout if result.path else sys.stderr
        print(f"{result.invoice_id}: {result.message}", file=stream, flush=True)

    results = save_invoice_pdfs(session.gateway(), args.ids, args.dir, progress=show)
    missing = [r for r in results if r.path is None]
    if missing:
        raise DeskBillingError(
            f"{len(missing)} of {len(results)} invoices have no PDF (see above)."
        )
    return EXIT_OK


def export_period(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.pdfs import (  # imports the SDK
        DEFAULT_WORKERS,
        ExportRequest,
        export_invoices,
    )

    request = ExportRequest(
        folder=args.dir,
        start=_day(args.start, "--from"),
        end=_day(args.end, "--to"),
        status=args.status,
        currency=args.currency,
        customer=args.customer,
    )

    def show(progress: Any) -> None:
        print(f"[{progress.done}/{progress.total}] {progress.current}", file=sys.stderr, flush=True)

    report = export_invoices(
        session.gateway(), request, progress=show, workers=args.workers or DEFAULT_WORKERS
    )
    print(
        f"{report.selected} invoices: {report.downloaded} downloaded, {report.skipped} already "
        f"there; index.csv lists {report.files_in_index} files in {report.folder}"
    )
    if report.failed:
        first = next(iter(report.failed.values()))
        raise DeskBillingError(
            f"{len(report.failed)} PDFs could not be downloaded (first: {first}); run it again to retry."
        )
    return EXIT_OK
