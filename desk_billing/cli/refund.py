"""`desk-billing refund PI_OR_CHARGE_ID`: a refund through the journal (the sequence is
`core.operations.refunds.refund`; here: arguments, the live-mode prompt, the printed result)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from desk_billing.cli.common import EXIT_OK
from desk_billing.cli.journal import resume
from desk_billing.core.account import AccountSession
from desk_billing.core.errors import DeskBillingError, ValidationError
from desk_billing.core.money import format_amount

if TYPE_CHECKING:
    from desk_billing.core.operations.refunds import RefundPlan

FOLLOW_S = 120.0


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "refund", help="refund a payment (pi_...) or charge (ch_...) through the operation journal"
    )
    parser.add_argument("id", metavar="PI_OR_CHARGE_ID", help="payment intent or charge to refund")
    parser.add_argument(
        "--amount", metavar="A", help="amount to refund, e.g. 12.50 (default: all that is left)"
    )
    parser.add_argument(
        "--reason", metavar="R", help="duplicate, fraudulent or requested_by_customer"
    )
    parser.add_argument(
        "--yes", action="store_true", help="do not ask for the live-mode confirmation"
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="wait until a pending refund is final (up to 2 minutes)",
    )
    parser.set_defaults(handler=refund_payment)


def _typed_confirmation(plan: RefundPlan) -> None:
    """Live mode: the person types the amount (or the id) before money moves."""
    confirmation = plan.confirmation()
    if not sys.stdin.isatty():
        raise ValidationError(
            "Live mode needs a typed confirmation; run this in a terminal or add --yes."
        )
    typed = input(f"{plan.describe()}.\n{confirmation.prompt()}: ")
    if not confirmation.matches(typed):
        raise ValidationError("The confirmation did not match; nothing was refunded.")


def refund_payment(session: AccountSession, args: argparse.Namespace) -> int:
    # See the package's docstring for why these are imported here.
    from desk_billing.core.operations.confirm import needs_confirmation
    from desk_billing.core.operations.refunds import check_reason, refund

    check_reason(args.reason)  # before even a key is needed
    with session.journal() as journal:
        resume(journal)  # an earlier run's unfinished refund counts before this one is checked
        ask = needs_confirmation(journal.gateway.mode) and not args.yes
        result = refund(
            journal,
            args.id,
            args.amount,
            args.reason,
            confirm=_typed_confirmation if ask else None,
            follow_s=FOLLOW_S if args.follow else None,
        )
    made = result.object
    print(f"{made['id']} {made['status']} {format_amount(made['amount'], made['currency'])}")
    if made["status"] == "failed":
        raise DeskBillingError(f"Refund {made['id']} failed ({made.get('failure_reason')}).")
    return EXIT_OK
