"""Refunds: checked against the refundable remainder fetched fresh, sent through the journal,
followed until final. Nothing reaches Stripe's refund endpoint before every check has passed.

`refund` is the whole sequence the CLI and the refund dialog both run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from desk_billing.core.errors import DeskBillingError, ValidationError
from desk_billing.core.journal import (
    METADATA_KEY,
    Journal,
    JournalEntry,
    OperationRequest,
    OperationResult,
    entries,
    operation,
    reports_changes,
)
from desk_billing.core.money import format_amount, parse_amount
from desk_billing.core.operations.confirm import LiveConfirmation
from desk_billing.core.operations.validation import object_id

if TYPE_CHECKING:
    from desk_billing.core.cache import Cache
    from desk_billing.core.gateway import Gateway

log = logging.getLogger(__name__)

REASONS = ("duplicate", "fraudulent", "requested_by_customer")
ACTIVE_REFUND = ("pending", "succeeded", "requires_action")  # count against what is refundable
FINAL_REFUND = ("succeeded", "failed", "canceled")
REFUND_KIND = "refund.create"


def _find_by_key(v1: Any, entry: JournalEntry) -> Mapping[str, Any] | None:
    key = entry.params.get("metadata", {}).get(METADATA_KEY)
    for refund in v1.refunds.list(
        {"charge": entry.params["charge"], "limit": 100}
    ).auto_paging_iter():
        if (refund.metadata or {}).get(METADATA_KEY) == key:
            return refund
    return None


@operation(REFUND_KIND, recover=_find_by_key)
def _create(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.refunds.create(params, options)


@dataclass(frozen=True)
class Refundable:
    """What a payment can still give back, from Stripe's current data (minor units)."""

    charge: str
    payment_intent: str | None
    currency: str
    captured: int
    refunded: int  # pending refunds included
    customer: str | None

    @property
    def remaining(self) -> int:
        return max(0, self.captured - self.refunded)


@dataclass(frozen=True)
class RefundPlan:
    """A refund that passed every check, ready to send."""

    target: str
    refundable: Refundable
    amount: int
    reason: str | None

    @property
    def currency(self) -> str:
        return self.refundable.currency

    @property
    def full(self) -> bool:
        return self.amount == self.refundable.remaining

    def describe(self) -> str:
        what = "Full refund" if self.full else "Partial refund"
        return f"{what} of {format_amount(self.amount, self.currency)} on {self.target}"

    def confirmation(self) -> LiveConfirmation:
        """What a person types in live mode before this refund is sent."""
        return LiveConfirmation(self.target, self.amount, self.currency)

    def request(self) -> OperationRequest:
        params: dict[str, Any] = {"charge": self.refundable.charge, "amount": self.amount}
        if self.reason:
            params["reason"] = self.reason
        return OperationRequest(
            REFUND_KIND,
            params,
            target=self.refundable.charge,
            amount=self.amount,
            currency=self.currency,
            tag=True,
        )


def check_reason(reason: str | None) -> str | None:
    """None or one of Stripe's three reasons; anything else is refused."""
    if reason is None or reason == "":
        return None
    if reason not in REASONS:
        raise ValidationError(
            f"'{reason}' is not a refund reason; use one of {', '.join(REASONS)}."
        )
    return reason


def fetch_refundable(gateway: Gateway, target: str) -> Refundable:
    """Fetch the payment (pi_…) or charge (ch_…/py_…) fresh and work out what remains refundable."""
    target = target.strip()
    v1 = gateway.client.v1
    with gateway.errors():
        if target.startswith("pi_"):
            pi = v1.payment_intents.retrieve(target)
            if pi.status == "processing":
                raise ValidationError(
                    f"Payment {target} is still processing; refund it once it has succeeded."
                )
            if pi.status != "succeeded" or not pi.latest_charge:
                raise ValidationError(
                    f"Payment {target} has no successful charge to refund (status {pi.status})."
                )
            charge = v1.charges.retrieve(object_id(pi.latest_charge))
        elif target.startswith(("ch_", "py_")):
            charge = v1.charges.retrieve(target)
        else:
            raise ValidationError(f"'{target}' is not a payment (pi_…) or charge (ch_…/py_…) id.")
        if charge.status != "succeeded" or not charge.captured:
            raise ValidationError(
                f"Charge {charge.id} has not succeeded and been captured (status {charge.status}); there is nothing to refund."
            )
        active = sum(
            r.amount
            for r in v1.refunds.list({"charge": charge.id, "limit": 100}).auto_paging_iter()
            if r.status in ACTIVE_REFUND
        )
    return Refundable(
        charge=charge.id,
        payment_intent=object_id(charge.payment_intent),
        currency=charge.currency,
        captured=charge.amount_captured,
        # Stripe counts pending refunds in amount_refunded; the list is asked too, in case.
        refunded=max(charge.amount_refunded or 0, active),
        customer=object_id(charge.customer),
    )


def plan_refund(
    gateway: Gateway,
    target: str,
    amount_text: str | None = None,
    reason: str | None = None,
    cache: Cache | None = None,
) -> RefundPlan:
    """Every check a refund must pass, with one clear sentence for the first that fails.

    Only reads are sent to Stripe here. `cache` (with its journal) refuses a refund while an
    earlier one of the same charge is still unconfirmed: its amount is not known to be counted.
    """
    reason = check_reason(reason)
    if not target or not target.strip():
        raise ValidationError("Name the payment (pi_…) or charge (ch_…) to refund.")
    if amount_text is not None and not str(amount_text).strip():
        raise ValidationError(
            "The refund amount is blank; give an amount, or leave it out to refund all that is left."
        )
    info = fetch_refundable(gateway, target)
    if cache is not None and entries(cache, target=info.charge, status="pending"):
        raise ValidationError(
            f"An earlier refund of {info.charge} is not confirmed yet; run 'desk-billing journal resume' "
            "when Stripe is reachable, then try again."
        )
    if info.remaining <= 0:
        raise ValidationError(f"Charge {info.charge} has already been fully refunded.")
    if amount_text is None:  # only an absent amount means "all that is left"
        amount = info.remaining
    else:
        amount = parse_amount(str(amount_text), info.currency)
        if amount <= 0:
            raise ValidationError("The refund amount must be more than zero.")
        if amount > info.remaining:
            raise ValidationError(
                f"The refund of {format_amount(amount, info.currency)} is more than the "
                f"{format_amount(info.remaining, info.currency)} left to refund on {info.charge}."
            )
    return RefundPlan(target.strip(), info, amount, reason)


@reports_changes
def refund(
    journal: Journal,
    target: str,
    amount_text: str | None = None,
    reason: str | None = None,
    *,
    expect: int | None = None,
    confirm: Callable[[RefundPlan], None] | None = None,
    follow_s: float | None = None,
) -> OperationResult:
    """Refund a payment: plan it against Stripe's current data, send it, refresh the cache.

    `expect` is the amount (minor units) the person saw and agreed to: if the fresh plan would
    refund another amount (another refund happened meanwhile), nothing is sent. `confirm(plan)`
    runs after every check and before anything is sent, and raises to stop (the CLI's typed
    live-mode confirmation). `follow_s`: wait up to that long for a pending refund to be final.
    The result's `changed` lists the refund, its charge and its payment intent.
    """
    plan = plan_refund(journal.gateway, target, amount_text, reason, cache=journal.cache)
    if expect is not None and plan.amount != expect:
        raise ValidationError("What is left to refund changed meanwhile; check the amount again.")
    if confirm is not None:
        confirm(plan)
    result = execute_refund(journal, plan)
    if follow_s is not None and result.object["status"] not in FINAL_REFUND:
        result = replace(
            result, object=follow_refund(journal, result.object["id"], timeout_s=follow_s)
        )
    return result


def execute_refund(journal: Journal, plan: RefundPlan) -> OperationResult:
    """Send the planned refund through the journal; the charge and payment are refreshed in the cache."""
    result = journal.run(plan.request())
    refresh_payment(journal, plan.refundable.charge, plan.refundable.payment_intent)
    return result


def refresh_payment(journal: Journal, charge: str, payment_intent: str | None) -> None:
    """Put the charge and payment as they are now into the cache (lists show the new refunded sum)."""
    v1 = journal.gateway.client.v1
    try:
        with journal.gateway.errors():
            journal.refresh("charges", v1.charges.retrieve(charge))
            if payment_intent:
                journal.refresh("payment_intents", v1.payment_intents.retrieve(payment_intent))
    except DeskBillingError as error:  # the refund itself is done and journaled; sync catches up
        log.warning("Could not refresh %s after a refund: %s", charge, error)


def follow_refund(
    journal: Journal,
    refund_id: str,
    *,
    timeout_s: float = 60.0,
    poll_s: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    on_status: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Poll a pending refund until it is final (or the timeout); each state goes into the cache."""
    deadline = time.monotonic() + timeout_s
    while True:
        with journal.gateway.errors():
            data = journal.refresh("refunds", journal.gateway.client.v1.refunds.retrieve(refund_id))
        if on_status is not None:
            on_status(data["status"])
        if data["status"] in FINAL_REFUND or time.monotonic() >= deadline:
            return data
        sleep(poll_s)
