"""The journal's rows (the `operations` table) as plain data, and the statements that write them.

A row is inserted `pending` and committed before the first attempt, updated on every attempt,
and closed `succeeded` or `failed` with Stripe's answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from desk_billing.core.money import to_decimal

if TYPE_CHECKING:
    from desk_billing.core.cache import Cache

_COLUMNS = (
    "id, idempotency_key, kind, object_id, params, os_user, profile, mode, amount, currency, "
    "status, result_id, error, attempts, created, updated, finished"
)


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


def _entry(row: tuple) -> JournalEntry:
    (id_, key, kind, target, params, user, profile, mode, amount, currency, status, result_id, error,
     attempts, created, updated, finished) = row  # fmt: skip
    return JournalEntry(
        id_, key, kind, target, orjson.loads(params), user, profile, mode, amount, currency,
        status, result_id, error, attempts or 0, created, updated, finished,
    )  # fmt: skip


def params_text(params: Mapping[str, Any]) -> str:
    """The parameters as stored (and sent on every attempt): JSON with sorted keys."""
    return orjson.dumps(dict(params), option=orjson.OPT_SORT_KEYS).decode()


def insert_pending(cache: Cache, **values: Any) -> int:
    """A new `pending` row, committed; returns its id."""
    now = int(time.time())
    values = {**values, "status": "pending", "created": now, "updated": now}
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    with cache.transaction():
        cursor = cache.conn.execute(
            f"INSERT INTO operations ({columns}) VALUES ({marks})", tuple(values.values())
        )
    return int(cursor.lastrowid or 0)


def update(cache: Cache, entry_id: int, **values: Any) -> None:
    sets = ", ".join(f"{name} = ?" for name in values)
    with cache.transaction():
        cache.conn.execute(
            f"UPDATE operations SET {sets}, updated = ? WHERE id = ?",
            (*values.values(), int(time.time()), entry_id),
        )


def close(cache: Cache, entry_id: int, status: str, **values: Any) -> None:
    update(cache, entry_id, status=status, finished=int(time.time()), owner=None, **values)


def read(cache: Cache, entry_id: int) -> JournalEntry:
    row = cache.conn.execute(
        f"SELECT {_COLUMNS} FROM operations WHERE id = ?", (entry_id,)
    ).fetchone()
    return _entry(row)


def claim(cache: Cache, entry_id: int, owner_before: str | None, owner: str) -> bool:
    """Take a pending row unless another resumer took it first (compare-and-set on its owner)."""
    with cache.transaction():
        cursor = cache.conn.execute(
            "UPDATE operations SET owner = ? WHERE id = ? AND status = 'pending' AND owner IS ?",
            (owner, entry_id, owner_before),
        )
    return cursor.rowcount == 1


def owner_of(cache: Cache, entry_id: int) -> str | None:
    row = cache.conn.execute("SELECT owner FROM operations WHERE id = ?", (entry_id,)).fetchone()
    return row[0] if row else None


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
