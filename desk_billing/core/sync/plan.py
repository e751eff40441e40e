"""Deciding what an event means for the cache: write its payload, mark deleted, re-fetch, or skip.

Pure logic, so the ordering rules can be tested without a server. Events are at-least-once and
unordered, and payloads are rendered in the account's API version; the rules, in order:

1. A deletion is terminal (Stripe never reuses ids): `*.deleted` marks the row deleted whatever
   the order, and any later-arriving event for a deleted row is stale. `customer.subscription.
   deleted` is not a deletion: it means canceled, and the subscription stays listable.
2. An event older than the newest event already applied to the object, or older than the state
   the last backfill read (the floor), is stale: its payload would overwrite a newer state.
3. A payload from another API version, or without an id, is not trusted: re-fetch by id.
4. Events of the same second cannot be ordered (Stripe's `created` has one-second resolution and
   list order within a second is not guaranteed; "invoice.finalized" and "invoice.paid" often
   share one). If they, or the row already written from that second, disagree: re-fetch. If they
   agree, the payload is the answer and costs no request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from desk_billing.core.sync.resources import Resource, resource_of

# Means "canceled", not "deleted": the subscription keeps existing with status=canceled.
NOT_DELETIONS = frozenset({"customer.subscription.deleted"})


class Action(Enum):
    WRITE = "write"
    DELETE = "delete"
    REFETCH = "refetch"
    STALE = "stale"


@dataclass(frozen=True)
class Known:
    """What the cache knows of one object before the events are applied."""

    newest_event: int | None = None  # `created` of the newest event applied to it
    row: Mapping[str, Any] | None = None  # its stored data
    deleted: bool = False


@dataclass(frozen=True)
class Decision:
    action: Action
    resource: Resource
    object_id: str
    payload: Mapping[str, Any] | None = None  # what to write (WRITE; DELETE keeps it as last state)


def event_object(event: Mapping[str, Any]) -> tuple[Resource, str, Any] | None:
    """(resource, object id, payload) of an event about a cached object; None for other events."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        return None
    resource = resource_of(obj.get("object"))
    object_id = obj.get("id")
    if resource is None or not isinstance(object_id, str):
        return None  # a kind the cache does not keep, or a preview such as invoice.upcoming
    return resource, object_id, obj


def is_deletion(event: Mapping[str, Any]) -> bool:
    event_type = event.get("type")
    return (
        isinstance(event_type, str)
        and event_type.endswith(".deleted")
        and event_type not in NOT_DELETIONS
    )


def trusted(event: Mapping[str, Any], api_version: str) -> bool:
    """A payload we may store as is: our pinned API version, a real object with id and type."""
    obj = event_object(event)
    return obj is not None and event.get("api_version") == api_version


def _created(event: Mapping[str, Any]) -> int:
    created = event.get("created")
    return created if isinstance(created, int) else 0


def decide(
    events: Sequence[Mapping[str, Any]],
    known: Known,
    *,
    floor: int | None,
    api_version: str,
) -> Decision:
    """What to do with the new events (oldest to newest as listed) of ONE object."""
    resource, object_id, _ = event_object(events[0])  # type: ignore[misc]
    deletions = [e for e in events if is_deletion(e)]
    if deletions:
        last = deletions[-1]
        payload = event_object(last)[2] if trusted(last, api_version) else None  # type: ignore[index]
        return Decision(Action.DELETE, resource, object_id, payload)
    if known.deleted:
        return Decision(Action.STALE, resource, object_id)
    newest = max(_created(e) for e in events)
    if known.newest_event is not None and newest < known.newest_event:
        return Decision(Action.STALE, resource, object_id)
    if floor is not None and newest < floor:
        return Decision(Action.STALE, resource, object_id)
    top = [e for e in events if _created(e) == newest]
    if not all(trusted(e, api_version) for e in top):
        return Decision(Action.REFETCH, resource, object_id)
    payloads: list[Any] = []
    for event in top:
        payload = event_object(event)[2]  # type: ignore[index]
        if payload not in payloads:
            payloads.append(payload)
    if len(payloads) > 1:
        return Decision(Action.REFETCH, resource, object_id)
    payload = payloads[0]
    same_second = newest in (known.newest_event, floor)
    if same_second and known.row is not None and known.row != payload:
        return Decision(Action.REFETCH, resource, object_id)
    return Decision(Action.WRITE, resource, object_id, payload)


def group_by_object(
    events: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Events about cached objects, by (table, object id), each list in the given order."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for event in events:
        found = event_object(event)
        if found is not None:
            groups.setdefault((found[0].table, found[1]), []).append(event)
    return groups
