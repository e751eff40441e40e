"""The operation journal: every mutation is written down (key, parameters, who, status `pending`)
and committed before it is sent, sent with that one idempotency key however often it is retried
(now, or after a crash on the next start), and closed with Stripe's answer.

Why a mutation never happens twice: Stripe stores the result of a request under its
Idempotency-Key for 24 hours and answers any later request with that key and the same parameters
with the stored result instead of acting again. The key is made once, in the journal row, before
the first attempt; every attempt (the SDK's network retries, the retries here, and `resume`
after a crash) sends the row's key with the row's parameters, read back from the row itself.

Modules: `rows` (the table), `run` (the attempts), `retry` (when to try again), `resume` (after
a crash), `export` (CSV), `kinds` (how each operation kind is sent), `results` (request, result, changes).
"""

from desk_billing.core.journal.export import export_csv
from desk_billing.core.journal.kinds import operation
from desk_billing.core.journal.results import (
    Changes,
    OperationRequest,
    OperationResult,
    api_json,
    merge_changes,
    reports_changes,
)
from desk_billing.core.journal.resume import ResumeReport
from desk_billing.core.journal.retry import OutcomeUnknown, RetryPolicy
from desk_billing.core.journal.rows import JournalEntry, entries, pending_entries
from desk_billing.core.journal.run import JOURNAL_TABLE, METADATA_KEY, TEST_KILL_ENV, Journal

__all__ = [
    "JOURNAL_TABLE",
    "METADATA_KEY",
    "TEST_KILL_ENV",
    "Changes",
    "Journal",
    "JournalEntry",
    "OperationRequest",
    "OperationResult",
    "OutcomeUnknown",
    "ResumeReport",
    "RetryPolicy",
    "api_json",
    "entries",
    "export_csv",
    "merge_changes",
    "operation",
    "pending_entries",
    "reports_changes",
]
