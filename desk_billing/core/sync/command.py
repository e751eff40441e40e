"""What `desk-billing sync` (and the GUI) do around the engine: bind the profile to its account,
print a summary, keep polling with `--watch`."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from desk_billing.core.cache import Cache
from desk_billing.core.errors import PermissionDenied, ValidationError
from desk_billing.core.profiles import AppPaths, Profile, ProfileStore
from desk_billing.core.sync.engine import SyncEngine, SyncReport

log = logging.getLogger(__name__)


def bind_account(paths: AppPaths, profile: Profile, gateway: Any) -> Profile:
    """The profile, knowing its Stripe account; call BEFORE opening the cache, whose file is per
    (account id, mode). A key of another account than the profile's is refused, so one account's
    data never lands in another's cache."""
    try:
        account = gateway.account()
    except PermissionDenied:
        log.info("The key may not read the account; the cache stays per profile")
        return profile
    account_id = account.get("id")
    if not isinstance(account_id, str):
        return profile
    if profile.account_id and profile.account_id != account_id:
        raise ValidationError(
            f"This key belongs to account {account_id}, but profile '{profile.name}' is for "
            f"{profile.account_id}; use another profile for it."
        )
    if profile.account_id is None:
        settings = account.get("settings") or {}
        name = (settings.get("dashboard") or {}).get("display_name") or (
            account.get("business_profile") or {}
        ).get("name")
        profile = profile.with_account(account_id, name)
        ProfileStore(paths).save(profile)
    return profile


def format_report(report: SyncReport, cache: Cache) -> str:
    """The summary `desk-billing sync` prints: objects per resource, events applied, duration."""
    kind = "full backfill" if report.full_backfill else "incremental"
    lines = [
        f"Synced in {report.duration:.1f} s ({kind}); {report.events_applied} events applied.",
    ]
    counts = cache.counts()
    for table, rows in counts.items():
        if table == "events":
            continue
        written = report.objects.get(table, 0)
        lines.append(f"  {table:<16} {rows:>8} in cache  {written:>8} written")
    return "\n".join(lines)


def watch(
    engine: SyncEngine,
    interval: float,
    *,
    out: Callable[[str], None],
    stop: threading.Event,
    webhooks: queue.Queue[dict[str, Any]] | None = None,
) -> None:
    """Poll every `interval` seconds until `stop` is set; reconcile when due; apply webhook
    events as they arrive (on this thread, the cache's owner)."""
    next_poll = time.monotonic() + interval
    while not stop.is_set():
        timeout = max(0.0, next_poll - time.monotonic())
        if webhooks is not None:
            try:
                event = webhooks.get(timeout=min(timeout, 0.5))
            except queue.Empty:
                pass
            else:
                if engine.apply_event(event):
                    out(f"webhook {event.get('type')} {event.get('id')} applied")
                continue
        elif stop.wait(min(timeout, 0.5)):
            return
        if time.monotonic() < next_poll:
            continue
        report = engine.run() if engine.reconcile_due() else engine.poll()
        if report.events_applied or report.changed or report.full_backfill:
            changed = sum(len(ids) for ids in report.changed.values())
            out(
                f"{time.strftime('%H:%M:%S')} {report.events_applied} events, {changed} objects changed"
            )
        next_poll = time.monotonic() + interval
