"""The Events API: every state change, newest first, kept 30 days (of sandbox time)."""

from __future__ import annotations

from typing import Any

from ..errors import missing
from ..listing import paginate
from ..router import Call, api
from ..state import EVENT_RETENTION


@api.route("get", "/v1/events/{id}")
def retrieve(call: Call) -> dict[str, Any]:
    event = call.state.get("events", call.arg("id"))
    if event is None or event["created"] < call.state.now() - EVENT_RETENTION:
        raise missing("event", call.arg("id"))
    return event


@api.route("get", "/v1/events")
def list_events(call: Call) -> dict[str, Any]:
    params = call.params
    horizon = call.state.now() - EVENT_RETENTION
    types = list(params.get("types") or [])
    if params.get("type"):
        types.append(params["type"])

    def matches(pattern: str, event_type: str) -> bool:
        # Stripe allows one wildcard: `invoice.*`
        return event_type == pattern or (
            pattern.endswith("*") and event_type.startswith(pattern[:-1])
        )

    def keep(event: dict[str, Any]) -> bool:
        return event["created"] >= horizon and (
            not types or any(matches(t, event["type"]) for t in types)
        )

    created = params.get("created")
    if isinstance(created, int):
        created = {"gte": created, "lte": created}
    created = dict(created or {})
    created["gte"] = max(int(created.get("gte", horizon)), horizon)
    call.params = {**params, "created": created}
    return paginate(
        call, call.state.collection("events"), url="/v1/events", kind="event", keep=keep
    )
