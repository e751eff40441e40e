"""Which actions a Stripe object's status allows: shared by core's operations and the GUI's buttons.

Kept apart from core/operations (which load the Stripe SDK) so the GUI thread can import it at
no cost, and so there is one list, not a copy per layer.
"""

from __future__ import annotations

# invoice action (the API's verb) -> the invoice statuses Stripe accepts it in
INVOICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "finalize_invoice": ("draft",),
    "send_invoice": ("open",),
    "pay": ("open",),
    "void_invoice": ("open",),
    "mark_uncollectible": ("open",),
}

# payment intent statuses from which Stripe lets a payment be canceled
PAYMENT_CANCELABLE: tuple[str, ...] = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
)

# subscription statuses after which nothing can be changed any more
SUBSCRIPTION_ENDED: tuple[str, ...] = ("canceled", "incomplete_expired")
