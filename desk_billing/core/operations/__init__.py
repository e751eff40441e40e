"""Mutations (refunds, payments, invoices, subscriptions, customers, catalogue,
webhook endpoints) through the operation journal
(`desk_billing.core.journal`); each returns an `OperationResult` whose `changed` lists what it wrote.

Importing this package registers every operation kind, so `Journal.resume_unfinished` can send
any unfinished one again.
"""

from desk_billing.core.operations import (  # noqa: F401 - each registers its operation kinds
    catalog,
    customers,
    invoices,
    payments,
    refunds,
    subscriptions,
    webhooks,
)
