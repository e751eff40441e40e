"""Keeps the local cache true to Stripe: backfill, event polling, reconciliation. See `SyncEngine`."""

from desk_billing.core.sync.command import format_report, watch
from desk_billing.core.sync.engine import (
    DEFAULT_RECONCILE_EVERY_S,
    SyncCancelled,
    SyncEngine,
    SyncProgress,
    SyncReport,
)
from desk_billing.core.sync.resources import RESOURCES, Resource

__all__ = [
    "DEFAULT_RECONCILE_EVERY_S",
    "RESOURCES",
    "Resource",
    "SyncCancelled",
    "SyncEngine",
    "SyncProgress",
    "SyncReport",
    "format_report",
    "watch",
]
