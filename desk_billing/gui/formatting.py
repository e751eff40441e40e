"""How cached values read on screen: amounts per currency, local dates, status colours."""

from __future__ import annotations

import time
from typing import Any

from desk_billing.core.money import format_amount

# Status -> (background, text) colours of its label; grouped by what the user should feel.
_GOOD = ("#d7f5dd", "#0b6b2a")
_INFO = ("#dbe9ff", "#1d4ed8")
_NEUTRAL = ("#e8eaed", "#3c4043")
_WARN = ("#fff0c2", "#8a5a00")
_BAD = ("#fde0df", "#b42318")

STATUS_COLOURS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("paid", "succeeded", "active", "available"), _GOOD),
    **dict.fromkeys(("open", "trialing", "processing", "pending", "requires_capture"), _INFO),
    **dict.fromkeys(("draft", "canceled", "void", "incomplete_expired", "paused"), _NEUTRAL),
    **dict.fromkeys(
        ("requires_action", "requires_confirmation", "incomplete", "requires_payment_method"),
        _WARN,
    ),
    **dict.fromkeys(("past_due", "unpaid", "uncollectible", "failed"), _BAD),
}


def status_colours(status: str | None) -> tuple[str, str]:
    """Background and text colour of a status label; unknown statuses are neutral."""
    if status and ("fail" in status or "dispute" in status):
        return _BAD
    return STATUS_COLOURS.get(status or "", _NEUTRAL)


def status_text(status: str | None) -> str:
    return (status or "").replace("_", " ")


def amount_text(minor: Any, currency: str | None) -> str:
    if minor is None:
        return ""
    if not currency:
        # A customer who was never billed has no currency yet (Stripe sets it with the first
        # invoice item, invoice or subscription): its zero balance is in no currency at all.
        return "" if int(minor) == 0 else f"{int(minor)} (minor units, no currency)"
    return format_amount(int(minor), currency)


def date_text(epoch: Any, with_time: bool = True) -> str:
    """Local time, as people read it on their own desk."""
    if epoch is None:
        return ""
    fmt = "%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d"
    return time.strftime(fmt, time.localtime(int(epoch)))


def ago_text(epoch: float | None, now: float | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", or a date."""
    if epoch is None:
        return "never"
    seconds = max(0, int((now or time.time()) - epoch))
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return date_text(epoch)


def dashboard_url(mode: str, table: str, object_id: str) -> str:
    """The object in the Stripe Dashboard; test-mode pages live under /test/."""
    path = {
        "customers": "customers",
        "invoices": "invoices",
        "subscriptions": "subscriptions",
        "payment_intents": "payments",
        "charges": "payments",
        "refunds": "refunds",
        "events": "events",
        "products": "products",
        "credit_notes": "credit_notes",
    }.get(table, table)
    prefix = "" if mode == "live" else "test/"
    return f"https://dashboard.stripe.com/{prefix}{path}/{object_id}"


# Stripe's refund reasons (Refund.reason) as a person says them.
REFUND_REASONS = {
    "requested_by_customer": "Requested by customer",
    "duplicate": "Duplicate",
    "fraudulent": "Fraudulent",
    "expired_uncaptured_charge": "Uncaptured charge expired",
}


def reason_text(reason: str | None) -> str:
    if not reason:
        return ""
    return REFUND_REASONS.get(reason, reason.replace("_", " ").capitalize())
