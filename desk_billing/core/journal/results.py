"""An operation as plain data: the validated request the journal sends, and its result with
every cached object it wrote (`changed`, which the GUI refreshes from)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

import orjson

from desk_billing.core.journal.rows import JournalEntry

if TYPE_CHECKING:
    from desk_billing.core.journal.run import Journal

Changes = Mapping[str, frozenset[str]]
"""{cache table: ids written}: the shape of `OperationResult.changed` and `SyncReport.changed`."""

P = ParamSpec("P")


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
class OperationResult:
    """What an operation returned: the closed journal row, the object (plain dict), and every
    row it wrote to the local database — cached objects by table, the journal's own rows under
    `operations`."""

    entry: JournalEntry
    object: dict[str, Any]
    replayed: bool = False
    changed: Changes = field(default_factory=dict)


def changes_of(written: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """(table, id) pairs as {table: ids}."""
    tables: dict[str, set[str]] = {}
    for table, object_id in written:
        tables.setdefault(table, set()).add(object_id)
    return {table: frozenset(ids) for table, ids in tables.items()}


def merge_changes(*changes: Changes | None) -> dict[str, frozenset[str]]:
    """One {table: ids} holding all of them."""
    merged: dict[str, frozenset[str]] = {}
    for change in changes:
        for table, ids in (change or {}).items():
            merged[table] = merged.get(table, frozenset()) | ids
    return merged


def reports_changes(
    operation: Callable[Concatenate[Journal, P], OperationResult],
) -> Callable[Concatenate[Journal, P], OperationResult]:
    """The operation's result lists everything the journal wrote while it ran: its reads
    refreshed into the cache (a refund's charge and payment) as well as what Stripe returned."""

    @functools.wraps(operation)
    def run(journal: Journal, *args: P.args, **kwargs: P.kwargs) -> OperationResult:
        mark = journal.mark()
        result = operation(journal, *args, **kwargs)
        return replace(result, changed=journal.changes_since(mark))

    return run


def api_json(obj: Any) -> dict[str, Any]:
    """The object as the API sent it: the response's own JSON when there is one. (`to_dict()`
    turns `*_decimal` fields into Decimal, which the cache cannot store as JSON.)"""
    data = getattr(getattr(obj, "last_response", None), "data", None)
    if isinstance(data, dict):
        return data
    if hasattr(obj, "to_dict"):
        return orjson.loads(orjson.dumps(obj.to_dict(), default=str))
    return dict(obj)
