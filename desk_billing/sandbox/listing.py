"""Stripe's list envelope and cursor pagination, newest first, with the common filters."""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Iterable
from typing import Any

from .errors import invalid, missing
from .router import Call
from .state import Collection, State

Filter = Callable[[dict[str, Any]], bool]

Includable = Callable[[State, dict[str, Any]], Any]
INCLUDABLE: dict[tuple[str, str], Includable] = {}
"""(object type, field) -> how to compute a field Stripe leaves out unless `expand[]` names it."""

RENDER: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""object type -> how the API shows a stored object (an invoice's first lines only, ...), for
objects that are not sent as stored when they are expanded."""


def includable(object_type: str, field: str) -> Callable[[Includable], Includable]:
    """Register the computation of `object_type.field`, shown only when expanded."""

    def register(compute: Includable) -> Includable:
        INCLUDABLE[(object_type, field)] = compute
        return compute

    return register


def list_object(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _created_range(coll: Collection, created: Any) -> tuple[int, int]:
    """Index range [lo, hi) of the ascending collection that a `created` filter allows."""
    lo, hi = 0, len(coll.keys)
    if created is None or created == "":
        return lo, hi
    if isinstance(created, int):
        created = {"gte": created, "lte": created}
    for op, value in created.items():
        value = int(value)
        if op == "gt":
            lo = max(lo, bisect.bisect_left(coll.keys, (value + 1, 0)))
        elif op == "gte":
            lo = max(lo, bisect.bisect_left(coll.keys, (value, 0)))
        elif op == "lt":
            hi = min(hi, bisect.bisect_left(coll.keys, (value, 0)))
        elif op == "lte":
            hi = min(hi, bisect.bisect_left(coll.keys, (value + 1, 0)))
        else:  # the SDK-derived schema refuses these first; kept for the internal callers
            raise invalid(f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
    return lo, hi


def paginate(
    call: Call,
    coll: Collection,
    *,
    url: str,
    kind: str,
    keep: Filter | None = None,
) -> dict[str, Any]:
    """One page of `coll` as Stripe pages it: `limit`, `starting_after`, `ending_before`, `created`."""
    params = call.params
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid(
            "Invalid limit: must be at least 1 and at most 100.",
            param="limit",
            code="parameter_invalid_integer",
        )
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    lo, hi = _created_range(coll, params.get("created"))
    keep = keep or (lambda obj: True)
    found: list[dict[str, Any]] = []
    if before:
        at = coll.position(before)
        if at is None:
            raise missing(kind, before, param="ending_before")
        for i in range(max(at + 1, lo), hi):  # towards newer objects
            obj = coll.by_id[coll.ids[i]]
            if keep(obj):
                found.append(obj)
                if len(found) > limit:
                    break
        has_more = len(found) > limit
        page = list(reversed(found[:limit]))
    else:
        start = hi - 1
        if after:
            at = coll.position(after)
            if at is None:
                raise missing(kind, after, param="starting_after")
            start = min(start, at - 1)
        for i in range(start, lo - 1, -1):  # towards older objects
            obj = coll.by_id[coll.ids[i]]
            if keep(obj):
                found.append(obj)
                if len(found) > limit:
                    break
        has_more = len(found) > limit
        page = found[:limit]
    return list_object(url, page, has_more)


def paginate_items(
    call: Call, items: Iterable[dict[str, Any]], *, url: str, kind: str
) -> dict[str, Any]:
    """Paginate a small list that is not a collection (an invoice's lines, a charge's refunds)."""
    coll = Collection()
    for seq, item in enumerate(items):
        coll.add(item, seq)
    return paginate(call, coll, url=url, kind=kind)


def expand(state: State, obj: Any, paths: Iterable[str]) -> Any:
    """A copy of `obj` with the ids at `paths` (`customer`, `data.latest_charge`, ...) replaced by objects."""
    out = copy.deepcopy(obj)
    for path in paths:
        _expand_path(state, out, path.split("."), path)
    return out


def _expand_path(state: State, node: Any, parts: list[str], full: str) -> None:
    if isinstance(node, list):
        for item in node:
            _expand_path(state, item, parts, full)
        return
    if not isinstance(node, dict):
        return
    key, rest = parts[0], parts[1:]
    compute = INCLUDABLE.get((node.get("object"), key))
    if compute is not None and key not in node:
        node[key] = compute(state, node)
    value = node.get(key)
    if isinstance(value, str):
        value = node[key] = _expanded(state, value, full)
    elif isinstance(value, list) and any(isinstance(v, str) for v in value):
        # A list of ids (`subscription.discounts`): each id becomes its object.
        value = node[key] = [_expanded(state, v, full) if isinstance(v, str) else v for v in value]
    elif key not in node:
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    if rest:
        _expand_path(state, value, rest, full)


def _expanded(state: State, object_id: str, full: str) -> dict[str, Any]:
    target = state.find(object_id)
    if target is None:
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    show = RENDER.get(target.get("object"))
    return copy.deepcopy(show(target) if show else target)


def apply_metadata(obj: dict[str, Any], value: Any) -> dict[str, Any]:
    """Stripe's metadata update rules: keys merge, an empty value unsets a key, "" unsets all."""
    current = dict(obj.get("metadata") or {})
    if value == "":
        return {}
    for key, item in (value or {}).items():
        if item == "":
            current.pop(key, None)
        else:
            current[key] = str(item)
    return current
