"""The operation kinds the journal can send, and how each is sent again after a restart.

Each operation module registers its kinds at import (`@operation("refund.create")`); importing
`desk_billing.core.operations` registers them all, so `resume` can replay any pending row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desk_billing.core.journal.rows import JournalEntry

Call = Callable[[Any, "str | None", dict[str, Any], dict[str, Any]], Any]
"""(client.v1, target id, params, request options) -> the SDK object Stripe returned."""
Recover = Callable[[Any, "JournalEntry"], "Mapping[str, Any] | None"]
"""Find what an expired pending operation created (by its metadata), or None if it never ran."""

_KINDS: dict[str, Call] = {}
_RECOVER: dict[str, Recover] = {}


def operation(kind: str, recover: Recover | None = None) -> Callable[[Call], Call]:
    """Register how an operation kind is sent, so `resume` can send it again after a restart."""

    def register(call: Call) -> Call:
        _KINDS[kind] = call
        if recover is not None:
            _RECOVER[kind] = recover
        return call

    return register


def call_of(kind: str) -> Call:
    """How `kind` is sent; ValueError for a kind no operation module registered."""
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown operation kind {kind}") from None


def recover_of(kind: str) -> Recover | None:
    return _RECOVER.get(kind)
