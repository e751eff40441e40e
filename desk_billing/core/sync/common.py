"""What the sync engine's parts share: sync-state keys, limits, progress and report types."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from desk_billing.core.errors import DeskBillingError

log = logging.getLogger(__name__)

# {"id": the newest event applied (None: none existed), "created": its time}
STATE_CURSOR = "sync.cursor"
STATE_FLOOR = "sync.floor"  # `created` of the newest event when the last full backfill began
STATE_RECONCILED = "sync.reconciled_at"
# + table: {"done", "windows": [{key, lo, hi, after, done}], "objects", "since", "fts_deferred",
# "deferred_indexes"} (the last two: see bulk_load)
BACKFILL_PREFIX = "sync.backfill."

EVENT_RETENTION_S = 30 * 24 * 3600
# A cursor is treated as expired an hour early: our clock and Stripe's differ, and a silent gap
# costs more than a backfill.
EXPIRY_MARGIN_S = 3600
DEFAULT_RECONCILE_EVERY_S = 24 * 3600
# Above this many rows that a reconcile's list did not return, they are marked deleted without
# asking for each one (a drift that large means a gap, not a missed event).
VERIFY_AT_MOST = 100
HISTORY_EVENT_PAGES = 10  # a full backfill also keeps the 1,000 newest events, for Activity
# Past this many ids in one table, a report names the table instead of its rows (ALL_ROWS): the
# GUI re-reads the rows it shows either way, and a sweep's million ids cost it seconds of
# hashing and garbage collection with the GIL held (issue 5: stalls during a full sync).
CHANGED_IDS_AT_MOST = 10_000
ALL_ROWS = "*"


class SyncCancelled(DeskBillingError):
    """The caller's cancel event was set; what was committed stays, the next sync continues."""

    def __init__(self) -> None:
        super().__init__("Sync cancelled.")


def check_cancel(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise SyncCancelled()


@dataclass(frozen=True)
class SyncProgress:
    resource: str  # cache table, or "events"
    objects: int  # objects written so far in this phase for this resource
    rate: float  # objects per second
    phase: str  # 'backfill' | 'events' | 'reconcile'


class Progress:
    """Tells the caller how a phase is going, through its callback (None: nobody listens)."""

    def __init__(self, callback: Callable[[SyncProgress], None] | None) -> None:
        self._callback = callback

    def report(self, resource: str, objects: int, since: float, phase: str) -> None:
        """`objects` written for `resource` in `phase` since `since` (time.monotonic)."""
        if self._callback is not None:
            elapsed = max(time.monotonic() - since, 1e-6)
            self._callback(SyncProgress(resource, objects, objects / elapsed, phase))


@dataclass(frozen=True)
class SyncReport:
    objects: Mapping[str, int]  # cache table -> objects written in this call
    events_applied: int
    duration: float
    changed: Mapping[str, frozenset[str]]  # cache table -> ids written or deleted, or {ALL_ROWS}
    full_backfill: bool


@dataclass
class Tally:
    started: float = field(default_factory=time.monotonic)
    objects: dict[str, int] = field(default_factory=dict)
    changed: dict[str, set[str]] = field(default_factory=dict)
    events_applied: int = 0
    full_backfill: bool = False

    def wrote(self, table: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        self.objects[table] = self.objects.get(table, 0) + len(ids)
        self._changed(table, ids)

    def deleted(self, table: str, ids: Iterable[str]) -> None:
        self._changed(table, list(ids))

    def _changed(self, table: str, ids: list[str]) -> None:
        known = self.changed.setdefault(table, set())
        if ALL_ROWS in known:
            return
        if len(known) + len(ids) > CHANGED_IDS_AT_MOST:
            known.clear()
            known.add(ALL_ROWS)
        else:
            known.update(ids)

    def report(self) -> SyncReport:
        return SyncReport(
            objects=dict(self.objects),
            events_applied=self.events_applied,
            duration=time.monotonic() - self.started,
            changed={t: frozenset(ids) for t, ids in self.changed.items() if ids},
            full_backfill=self.full_backfill,
        )


class CursorGone(Exception):
    """Stripe no longer knows the event cursor: events were lost, a backfill is needed."""
