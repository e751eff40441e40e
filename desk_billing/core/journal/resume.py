"""After a crash: pending rows are sent again with their own keys and parameters, so Stripe
answers with the stored result when the first attempt got through and nothing happens twice.

Rows another live process is sending are left to it. Rows past Stripe's 24 h key window are
never replayed (a replay could act a second time): they are looked up by the metadata they
carry, or left pending for a person to check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from desk_billing.core.errors import DeskBillingError
from desk_billing.core.journal import rows
from desk_billing.core.journal.kinds import recover_of
from desk_billing.core.journal.owners import current_owner, in_flight, owner_alive
from desk_billing.core.journal.results import Changes, api_json
from desk_billing.core.journal.retry import OutcomeUnknown
from desk_billing.core.journal.rows import JournalEntry

if TYPE_CHECKING:
    from desk_billing.core.journal.run import Journal

# Stripe forgets idempotency keys after 24 h; past that a replay could act a second time.
REPLAY_WINDOW_S = 23 * 3600


@dataclass
class ResumeReport:
    """What `resume_unfinished` did, and every row it wrote (for the GUI's refresh)."""

    succeeded: list[JournalEntry] = field(default_factory=list)
    failed: list[JournalEntry] = field(default_factory=list)
    still_pending: list[JournalEntry] = field(default_factory=list)
    changed: Changes = field(default_factory=dict)


def resume_unfinished(journal: Journal) -> ResumeReport:
    """Send every pending row of the journal again, each with its own key and parameters."""
    mark = journal.mark()
    report = ResumeReport()
    cache = journal.cache
    for entry in rows.pending_entries(cache):
        busy = in_flight(entry.idempotency_key)
        owner = rows.owner_of(cache, entry.id)
        if busy or owner_alive(owner) or not rows.claim(cache, entry.id, owner, current_owner()):
            continue
        if entry.mode and entry.mode != journal.gateway.mode:
            continue  # written with the other mode's key; never replay across modes
        if time.time() - entry.created > REPLAY_WINDOW_S:
            _recover_expired(journal, entry, report)
            continue
        try:
            result = journal.send(entry)
        except OutcomeUnknown:
            report.still_pending.append(journal.entry(entry.id))
        except DeskBillingError:
            report.failed.append(journal.entry(entry.id))
        else:
            report.succeeded.append(result.entry)
    report.changed = journal.changes_since(mark)
    return report


def _recover_expired(journal: Journal, entry: JournalEntry, report: ResumeReport) -> None:
    recover = recover_of(entry.kind)
    if recover is None:
        journal.update_row(
            entry.id,
            error="Not confirmed within Stripe's 24-hour idempotency window; check this "
            "operation in the Stripe Dashboard.",
        )
        report.still_pending.append(journal.entry(entry.id))
        return
    gateway = journal.gateway
    try:
        with gateway.errors():
            found = recover(gateway.client.v1, entry)
    except DeskBillingError:
        report.still_pending.append(journal.entry(entry.id))
        return
    if found is None:
        journal.close_row(
            entry.id, "failed", error="Never reached Stripe (nothing carries its key)."
        )
        report.failed.append(journal.entry(entry.id))
    else:
        report.succeeded.append(journal.finish(entry.id, api_json(found)))
