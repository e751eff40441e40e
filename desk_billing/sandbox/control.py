"""Control endpoints under /_sandbox/: sandbox time, restricted keys, switches. No key needed."""

from __future__ import annotations

from typing import Any

from .router import Call, Router

control = Router()
"""Routes outside Stripe's API. Resource modules add theirs (invoice PDFs, hosted pages)."""


@control.route("get", "/_sandbox/time")
def get_time(call: Call) -> dict[str, Any]:
    return {"now": call.state.now(), "offset": call.state.offset}


@control.route("post", "/_sandbox/advance")
def advance(call: Call) -> dict[str, Any]:
    """Move sandbox time forward by `seconds` (or `days`): renewals, dues and retries happen."""
    seconds = int(call.params.get("seconds", 0)) + int(call.params.get("days", 0)) * 86400
    call.state.advance(seconds)
    return {"now": call.state.now(), "offset": call.state.offset}


@control.route("post", "/_sandbox/restricted_keys")
def register_key(call: Call) -> dict[str, Any]:
    """Register an `rk_test_` key with per-resource permissions: {"customer": "read", ...}."""
    key = call.params["key"]
    call.state.restricted_keys[key] = dict(call.params.get("permissions") or {})
    return {"key": key, "permissions": call.state.restricted_keys[key]}
