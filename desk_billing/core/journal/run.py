"""Running an operation through the journal: the row committed before the first attempt, every
attempt with the row's key and parameters, the row closed and the result cached together.

Test hook (documented, off in production): with `DESK_BILLING_TEST_KILL_AFTER_REQUEST=1` in the
environment, a new test-mode (`sk_test_`/`rk_test_`) operation SIGKILLs its own process right
after Stripe answered and before the journal row is updated, which is the crash this design
survives (replays by `resume` are not killed). A live-mode key ignores the variable.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from desk_billing.core.cache import table_for_object
from desk_billing.core.errors import DeskBillingError
from desk_billing.core.journal import rows
from desk_billing.core.journal.kinds import call_of
from desk_billing.core.journal.owners import current_owner, os_user, sending
from desk_billing.core.journal.results import (
    Changes,
    OperationRequest,
    OperationResult,
    api_json,
    changes_of,
)
from desk_billing.core.journal.resume import ResumeReport, resume_unfinished
from desk_billing.core.journal.retry import OutcomeUnknown, RetryPolicy, definitive, retryable
from desk_billing.core.journal.rows import JournalEntry

if TYPE_CHECKING:
    from desk_billing.core.cache import Cache
    from desk_billing.core.gateway import Gateway

log = logging.getLogger(__name__)

TEST_KILL_ENV = "DESK_BILLING_TEST_KILL_AFTER_REQUEST"
METADATA_KEY = "desk_billing_operation"
JOURNAL_TABLE = "operations"  # how the journal's own rows appear in `changed`


def _was_replayed(obj: Any) -> bool:
    response = getattr(obj, "last_response", None)
    headers = getattr(response, "headers", None) or {}
    return any(k.lower() == "idempotent-replayed" and v == "true" for k, v in headers.items())


class Journal:
    """Runs operations through the journal of one cache (one thread, like the cache itself),
    and remembers every row it writes, for the results' `changed`."""

    def __init__(
        self,
        cache: Cache,
        gateway: Gateway,
        profile: str,
        *,
        retry: RetryPolicy | None = None,
        env: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cache = cache
        self.gateway = gateway
        self.profile = profile
        self.retry = retry or RetryPolicy()
        self._env = os.environ if env is None else env
        self._sleep = sleep
        self._written: list[tuple[str, str]] = []

    # -- what it wrote -------------------------------------------------------------------------
    def mark(self) -> int:
        """A point to ask `changes_since` about."""
        return len(self._written)

    def changes_since(self, mark: int) -> Changes:
        """{table: ids} of every row this journal wrote after `mark`."""
        return changes_of(self._written[mark:])

    def _wrote(self, table: str, object_id: str) -> None:
        self._written.append((table, object_id))

    # -- running -----------------------------------------------------------------------------
    def run(self, request: OperationRequest) -> OperationResult:
        """Journal the request (committed), send it, close the row, upsert the result into the cache."""
        call_of(request.kind)  # an unknown kind is refused before a row exists
        key = str(uuid.uuid4())
        params = dict(request.params)
        if request.tag:
            # Lets an operation be found on Stripe after its key has expired (see resume).
            params["metadata"] = {**(params.get("metadata") or {}), METADATA_KEY: key}
        with sending(key):  # before the row exists, so no resume in this process takes it
            entry_id = rows.insert_pending(
                self.cache,
                idempotency_key=key,
                kind=request.kind,
                params=rows.params_text(params),
                os_user=os_user(),
                profile=self.profile,
                mode=self.gateway.mode,
                object_id=request.target,
                amount=request.amount,
                currency=request.currency,
                owner=current_owner(),
            )
            self._wrote(JOURNAL_TABLE, str(entry_id))
            return self._attempts(self.entry(entry_id), new=True)

    def send(self, entry: JournalEntry) -> OperationResult:
        """Send a row written earlier again, with its own key (resume)."""
        with sending(entry.idempotency_key):
            return self._attempts(entry)

    def _attempts(self, entry: JournalEntry, new: bool = False) -> OperationResult:
        mark = self.mark()
        call = call_of(entry.kind)
        earlier = entry.attempts  # > 0: an earlier run may already have acted under this key
        attempt = 0
        while True:
            attempt += 1
            self.update_row(entry.id, attempts=earlier + attempt, owner=current_owner())
            # The parameters are the row's, read back: byte for byte what every attempt sends.
            params = self.entry(entry.id).params
            try:
                with self.gateway.errors():
                    obj = call(
                        self.gateway.client.v1,
                        entry.target,
                        params,
                        {"idempotency_key": entry.idempotency_key},
                    )
            except DeskBillingError as error:
                if not retryable(error):
                    if definitive(error, earlier + attempt):
                        self.close_row(entry.id, "failed", error=error.message)
                        raise
                    self.update_row(entry.id, error=error.message)
                    raise OutcomeUnknown(
                        f"{error.message} Whether Stripe already acted is not known; the operation "
                        "stays pending and is checked again with the same key."
                    ) from error
                self.update_row(entry.id, error=error.message)
                if attempt >= self.retry.attempts:
                    raise OutcomeUnknown(
                        f"{error.message} The operation stays pending and is sent again with the "
                        "same idempotency key on the next start, so it cannot happen twice."
                    ) from error
                delay = self.retry.delay(attempt)
                log.info(
                    "Operation %s: %s; attempt %d in %.1f s", entry.kind, error, attempt + 1, delay
                )
                self._sleep(delay)
                continue
            if new:
                self._crash_hook()
            data = api_json(obj)
            closed = self.finish(entry.id, data)
            return OperationResult(closed, data, _was_replayed(obj), self.changes_since(mark))

    def _crash_hook(self) -> None:
        if self._env.get(TEST_KILL_ENV) == "1" and self.gateway.mode == "test":
            os.kill(os.getpid(), signal.SIGKILL)

    def finish(self, entry_id: int, data: dict[str, Any]) -> JournalEntry:
        """Row succeeded and the returned object in the cache, in one transaction."""
        with self.cache.transaction():
            self._upsert(data)
            self.close_row(entry_id, "succeeded", result_id=data.get("id"), error=None)
        return self.entry(entry_id)

    def _upsert(self, data: Mapping[str, Any]) -> None:
        try:
            table = table_for_object(str(data.get("object")))
        except KeyError:
            return  # not a cached type (e.g. a deleted stub of something uncached)
        self.cache.upsert(table, [data])
        self._wrote(table, str(data["id"]))

    def refresh(self, table: str, obj: Any) -> dict[str, Any]:
        """Upsert an object fetched after an operation (e.g. the refunded charge); returns it as
        the API sent it."""
        data = api_json(obj)
        self.cache.upsert(table, [data])
        self._wrote(table, str(data["id"]))
        return data

    # -- the rows ----------------------------------------------------------------------------
    def update_row(self, entry_id: int, **values: Any) -> None:
        rows.update(self.cache, entry_id, **values)
        self._wrote(JOURNAL_TABLE, str(entry_id))

    def close_row(self, entry_id: int, status: str, **values: Any) -> None:
        rows.close(self.cache, entry_id, status, **values)
        self._wrote(JOURNAL_TABLE, str(entry_id))

    def entry(self, entry_id: int) -> JournalEntry:
        return rows.read(self.cache, entry_id)

    def resume_unfinished(self) -> ResumeReport:
        """Send every pending row again; see `resume.resume_unfinished`."""
        return resume_unfinished(self)
