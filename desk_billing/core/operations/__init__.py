"""Mutations (refunds, payments, invoices, subscriptions, customers) through the operation journal.

Importing this package registers every operation kind, so `Journal.resume_unfinished` can send
any unfinished one again.
"""

from desk_billing.core.operations import (  # noqa: F401 - each registers its operation kinds
    customers,
    invoices,
    payments,
    refunds,
    subscriptions,
)
from desk_billing.core.operations.journal import (
    Journal,
    JournalEntry,
    OperationRequest,
    OperationResult,
    OutcomeUnknown,
    RetryPolicy,
    entries,
    export_csv,
    pending_entries,
)

__all__ = [
    "Journal",
    "JournalEntry",
    "OperationRequest",
    "OperationResult",
    "OutcomeUnknown",
    "RetryPolicy",
    "entries",
    "export_csv",
    "pending_entries",
]
