"""The operation journal: every mutation is written down (key, parameters, who, status `pending`)
and committed before it is sent, sent with that one idempotency key however often it is retried
(now, or after a crash on the next start), and closed with Stripe's answer.

Why a mutation never happens twice: Stripe stores the result of a request under its
Idempotency-Key for 24 hours and answers any later request with that key and the same parameters
with the stored result instead of acting again. The key is made once, in the journal row, before
the first attempt; every attempt (the SDK's network retries, the retries here, and `resume`
after a crash) sends the row's key with the row's parameters, read back from the row itself.

Test hook (documented, off in production): with `DESK_BILLING_TEST_KILL_AFTER_REQUEST=1` in the
environment, a new test-mode (`sk_test_`/`rk_test_`) operation SIGKILLs its own process right
after Stripe answered and before the journal row is updated, which is the crash this design
survives (replays by `resume` are not killed). A live-mode key ignores the variable.
"""

from __future__ import annotations

import csv
import getpass
import logging
import os
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import stripe

from desk_billing.core.cache import Cache, table_for_object
from desk_billing.core.errors import (
    AuthenticationError,
    DeskBillingError,
    NetworkError,
    PermissionDenied,
    RateLimited,
    StripeAPIError,
)
from desk_billing.core.gateway import Gateway
from desk_billing.core.money import to_decimal

log = logging.getLogger(__name__)

TEST_KILL_ENV = "DESK_BILLING_TEST_KILL_AFTER_REQUEST"
# Stripe forgets idempotency keys after 24 h; past that a replay could act a second time.
REPLAY_WINDOW_S = 23 * 3600
METADATA_KEY = "desk_billing_operation"

Call = Callable[[Any, "str | None", dict[str, Any], dict[str, Any]], Any]
"""(client.v1, target id, params, request options) -> the SDK object Stripe returned."""
Recover = Callable[[Any, "JournalEntry"], "Mapping[str, Any] | None"]
"""Find what an expired pending operation created (by its metadata), or None if it never ran."""

_KINDS: dict[str, Call] = {}
_RECOVER: dict[str, Recover] = {}
_IN_FLIGHT: set[str] = set()  # idempotency keys being sent by this process right now
_IN_FLIGHT_LOCK = threading.Lock()


def operation(kind: str, recover: Recover | None = None) -> Callable[[Call], Call]:
    """Register how an operation kind is sent, so `resume` can send it again after a restart."""

    def register(call: Call) -> Call:
        _KINDS[kind] = call
        if recover is not None:
            _RECOVER[kind] = recover
        return call

    return register


class OutcomeUnknown(DeskBillingError):
    """Stripe could not be asked to the end; the row stays pending and is replayed later."""


@dataclass(frozen=True)
class OperationRequest:
    """A validated mutation, ready for the journal. `target` is the object in the URL path."""

    kind: str
    params: Mapping[str, Any]
    target: str | None = None
    amount: int | None = None
    currency: str | None = None
    tag: bool = False  # add metadata[desk_billing_operation] = key (creates that take metadata)


@dataclass(frozen=True)
class JournalEntry:
    """One row of the journal, as plain data."""

    id: int
    idempotency_key: str
    kind: str
    target: str | None
    params: dict[str, Any]
    os_user: str | None
    profile: str | None
    mode: str | None
    amount: int | None
    currency: str | None
    status: str
    result_id: str | None
    error: str | None
    attempts: int
    created: int
    updated: int
    finished: int | None

    @property
    def amount_text(self) -> str:
        if self.amount is None or not self.currency:
            return ""
        return f"{to_decimal(self.amount, self.currency)} {self.currency.upper()}"


@dataclass(frozen=True)
class OperationResult:
    """What an operation returned: the closed journal row and the object (plain dict)."""

    entry: JournalEntry
    object: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """Our own attempts on top of the SDK's network retries, all with the same key and params."""

    attempts: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s) * (
            0.5 + random.random() / 2
        )


@dataclass
class ResumeReport:
    """What `resume_unfinished` did."""

    succeeded: list[JournalEntry] = field(default_factory=list)
    failed: list[JournalEntry] = field(default_factory=list)
    still_pending: list[JournalEntry] = field(default_factory=list)


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return None


def _owner() -> str:
    """host:pid:thread of the sender; resume claims a row by swapping this in (compare-and-set)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _owner_alive(owner: str | None) -> bool:
    """Whether the process that wrote a pending row may still be sending it."""
    parts = (owner or "").split(":")
    if len(parts) != 3:
        return False
    host, pid_text, _thread = parts
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # ours: in flight only if listed in _IN_FLIGHT
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def api_json(obj: Any) -> dict[str, Any]:
    """The object as the API sent it: the response's own JSON when there is one. (`to_dict()`
    turns `*_decimal` fields into Decimal, which the cache cannot store as JSON.)"""
    data = getattr(getattr(obj, "last_response", None), "data", None)
    if isinstance(data, dict):
        return data
    if hasattr(obj, "to_dict"):
        return orjson.loads(orjson.dumps(obj.to_dict(), default=str))
    return dict(obj)


def _was_replayed(obj: Any) -> bool:
    response = getattr(obj, "last_response", None)
    headers = getattr(response, "headers", None) or {}
    return any(k.lower() == "idempotent-replayed" and v == "true" for k, v in headers.items())


_COLUMNS = (
    "id, idempotency_key, kind, object_id, params, os_user, profile, mode, amount, currency, "
    "status, result_id, error, attempts, created, updated, finished"
)


def _entry(row: tuple) -> JournalEntry:
    (id_, key, kind, target, params, user, profile, mode, amount, currency, status, result_id, error,
     attempts, created, updated, finished) = row  # fmt: skip
    return JournalEntry(
        id_, key, kind, target, orjson.loads(params), user, profile, mode, amount, currency,
        status, result_id, error, attempts or 0, created, updated, finished,
    )  # fmt: skip


class Journal:
    """Runs operations through the journal of one cache (one thread, like the cache itself)."""

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

    # -- running -----------------------------------------------------------------------------
    def run(self, request: OperationRequest) -> OperationResult:
        """Journal the request (committed), send it, close the row, upsert the result into the cache."""
        if request.kind not in _KINDS:
            raise ValueError(f"unknown operation kind {request.kind}")
        now = int(time.time())
        key = str(uuid.uuid4())
        params = dict(request.params)
        if request.tag:
            # Lets an operation be found on Stripe after its key has expired (see resume).
            params["metadata"] = {**(params.get("metadata") or {}), METADATA_KEY: key}
        with _IN_FLIGHT_LOCK:  # before the row exists, so no resume in this process takes it
            _IN_FLIGHT.add(key)
        try:
            with self.cache.transaction():
                cursor = self.cache.conn.execute(
                    "INSERT INTO operations (idempotency_key, kind, params, os_user, profile, mode, "
                    "object_id, amount, currency, status, created, updated, owner) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                    (
                        key,
                        request.kind,
                        orjson.dumps(params, option=orjson.OPT_SORT_KEYS).decode(),
                        _os_user(),
                        self.profile,
                        self.gateway.mode,
                        request.target,
                        request.amount,
                        request.currency,
                        now,
                        now,
                        _owner(),
                    ),
                )
            entry = self.entry(cursor.lastrowid)
            return self._attempts(entry, new=True)
        finally:
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT.discard(key)

    def _send(self, entry: JournalEntry) -> OperationResult:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.add(entry.idempotency_key)
        try:
            return self._attempts(entry)
        finally:
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT.discard(entry.idempotency_key)

    def _attempts(self, entry: JournalEntry, new: bool = False) -> OperationResult:
        call = _KINDS[entry.kind]
        earlier = entry.attempts  # > 0: an earlier run may already have acted under this key
        attempt = 0
        while True:
            attempt += 1
            self._update(entry.id, attempts=earlier + attempt, owner=_owner())
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
                if not self._retryable(error):
                    if self._definitive(error, earlier + attempt):
                        self._close(entry.id, "failed", error=error.message)
                        raise
                    self._update(entry.id, error=error.message)
                    raise OutcomeUnknown(
                        f"{error.message} Whether Stripe already acted is not known; the operation "
                        "stays pending and is checked again with the same key."
                    ) from error
                self._update(entry.id, error=error.message)
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
            return OperationResult(self._finish(entry.id, data), data, _was_replayed(obj))

    @staticmethod
    def _retryable(error: DeskBillingError) -> bool:
        if isinstance(error, (NetworkError, RateLimited)):
            return True
        if isinstance(error, StripeAPIError):
            if isinstance(error.__cause__, stripe.IdempotencyError):
                return False
            return error.http_status is None or error.http_status >= 500 or error.http_status == 409
        return False

    @staticmethod
    def _definitive(error: DeskBillingError, attempts: int) -> bool:
        """Whether a refusal proves nothing was done under the key.

        Errors of a request Stripe executed (400/402/404) are stored under the key, so after an
        earlier success Stripe would have replayed the success instead. A 401/403 or an
        idempotency mismatch is decided before execution: after an earlier attempt with an
        unknown outcome it proves nothing.
        """
        if isinstance(error, StripeAPIError) and isinstance(
            error.__cause__, stripe.IdempotencyError
        ):
            return False
        if isinstance(error, (AuthenticationError, PermissionDenied)):
            return attempts == 1
        return True

    def _crash_hook(self) -> None:
        if self._env.get(TEST_KILL_ENV) == "1" and self.gateway.mode == "test":
            os.kill(os.getpid(), signal.SIGKILL)

    def _finish(self, entry_id: int, data: dict[str, Any]) -> JournalEntry:
        """Row succeeded and the returned object in the cache, in one transaction."""
        with self.cache.transaction():
            self._upsert(data)
            self._close(entry_id, "succeeded", result_id=data.get("id"), error=None)
        return self.entry(entry_id)

    def _upsert(self, data: Mapping[str, Any]) -> None:
        try:
            table = table_for_object(str(data.get("object")))
        except KeyError:
            return  # not a cached type (e.g. a deleted stub of something uncached)
        self.cache.upsert(table, [data])

    def refresh(self, table: str, obj: Any) -> None:
        """Upsert an object fetched after an operation (e.g. the refunded charge)."""
        self.cache.upsert(table, [api_json(obj)])

    # -- the rows ----------------------------------------------------------------------------
    def _update(self, entry_id: int, **values: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in values)
        with self.cache.transaction():
            self.cache.conn.execute(
                f"UPDATE operations SET {sets}, updated = ? WHERE id = ?",
                (*values.values(), int(time.time()), entry_id),
            )

    def _close(self, entry_id: int, status: str, **values: Any) -> None:
        self._update(entry_id, status=status, finished=int(time.time()), owner=None, **values)

    def entry(self, entry_id: int) -> JournalEntry:
        row = self.cache.conn.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE id = ?", (entry_id,)
        ).fetchone()
        return _entry(row)

    # -- after a crash -----------------------------------------------------------------------
    def resume_unfinished(self) -> ResumeReport:
        """Send every pending row again with its own key and parameters (Stripe answers with the
        stored result when the first attempt got through); rows another live process is sending
        are left to it. Rows past Stripe's 24 h key window are never replayed: they are looked up
        by the metadata they carry, or left pending for a person to check."""
        report = ResumeReport()
        for entry in pending_entries(self.cache):
            with _IN_FLIGHT_LOCK:
                busy = entry.idempotency_key in _IN_FLIGHT
            owner = self._owner_of(entry.id)
            if busy or _owner_alive(owner) or not self._claim(entry.id, owner):
                continue
            if entry.mode and entry.mode != self.gateway.mode:
                continue  # written with the other mode's key; never replay across modes
            if time.time() - entry.created > REPLAY_WINDOW_S:
                self._recover_expired(entry, report)
                continue
            try:
                result = self._send(entry)
            except OutcomeUnknown:
                report.still_pending.append(self.entry(entry.id))
            except DeskBillingError:
                report.failed.append(self.entry(entry.id))
            else:
                report.succeeded.append(result.entry)
        return report

    def _claim(self, entry_id: int, owner: str | None) -> bool:
        """Take a pending row unless another resumer took it first."""
        with self.cache.transaction():
            cursor = self.cache.conn.execute(
                "UPDATE operations SET owner = ? WHERE id = ? AND status = 'pending' AND owner IS ?",
                (_owner(), entry_id, owner),
            )
        return cursor.rowcount == 1

    def _owner_of(self, entry_id: int) -> str | None:
        row = self.cache.conn.execute(
            "SELECT owner FROM operations WHERE id = ?", (entry_id,)
        ).fetchone()
        return row[0] if row else None

    def _recover_expired(self, entry: JournalEntry, report: ResumeReport) -> None:
        recover = _RECOVER.get(entry.kind)
        if recover is None:
            self._update(
                entry.id,
                error="Not confirmed within Stripe's 24-hour idempotency window; check this "
                "operation in the Stripe Dashboard.",
            )
            report.still_pending.append(self.entry(entry.id))
            return
        try:
            with self.gateway.errors():
                found = recover(self.gateway.client.v1, entry)
        except DeskBillingError:
            report.still_pending.append(self.entry(entry.id))
            return
        if found is None:
            self._close(entry.id, "failed", error="Never reached Stripe (nothing carries its key).")
            report.failed.append(self.entry(entry.id))
        else:
            report.succeeded.append(self._finish(entry.id, api_json(found)))


def pending_entries(cache: Cache) -> list[JournalEntry]:
    rows = cache.conn.execute(
        f"SELECT {_COLUMNS} FROM operations WHERE status = 'pending' ORDER BY id"
    ).fetchall()
    return [_entry(r) for r in rows]


def entries(
    cache: Cache, *, limit: int | None = None, target: str | None = None, status: str | None = None
) -> list[JournalEntry]:
    """Journal rows, newest first."""
    where, args = [], []
    if target is not None:
        where.append("object_id = ?")
        args.append(target)
    if status is not None:
        where.append("status = ?")
        args.append(status)
    sql = f"SELECT {_COLUMNS} FROM operations"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [_entry(r) for r in cache.conn.execute(sql, args)]


CSV_FIELDS = (
    "time_utc", "kind", "target", "amount", "currency", "status", "result_id", "error",
    "os_user", "profile", "mode", "attempts", "idempotency_key", "params",
)  # fmt: skip


def export_csv(cache: Cache, path: Path | str) -> int:
    """The whole journal as CSV (oldest first) for an auditor; returns the number of rows."""
    rows = list(reversed(entries(cache)))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_FIELDS)
        for e in rows:
            writer.writerow(
                [
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(e.created)),
                    e.kind,
                    e.target or "",
                    str(to_decimal(e.amount, e.currency))
                    if e.amount is not None and e.currency
                    else "",
                    (e.currency or "").upper(),
                    e.status,
                    e.result_id or "",
                    e.error or "",
                    e.os_user or "",
                    e.profile or "",
                    e.mode or "",
                    e.attempts,
                    e.idempotency_key,
                    orjson.dumps(e.params, option=orjson.OPT_SORT_KEYS).decode(),
                ]
            )
    return len(rows)
