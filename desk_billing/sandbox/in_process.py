"""One API request run in-process, through the HTTP path's routing, parameter checks and handler.

Seeding builds accounts this way, so a seed cannot build what Stripe would refuse.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from . import schema
from .router import Call, api
from .state import State
from .wire import decode_form

DAY = 86400

# A server-side charge of a saved payment method cannot send anyone to a bank's page and back.
NO_REDIRECTS = {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}


def call_api(
    state: State, verb: str, path: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run one API request in-process: the HTTP path's routing, parameter checks and handler."""
    route, args = api.match(verb.upper(), path)
    checked = params or {}
    if route.params_class is not None:
        checked = schema.validate(route.params_class, decode_form(_form(params or {})))
    return route.handler(Call(state, verb.upper(), path, checked, args))


def _form(params: dict[str, Any], prefix: str = "") -> str:
    """Encode parameters as the SDK does (`a[b][0]=c`) so `call_api` checks them like a request."""
    parts: list[str] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            parts.append(_form(value, name))
        elif isinstance(value, list):
            parts.append(_form({str(i): v for i, v in enumerate(value)}, name))
        else:
            text = "true" if value is True else "false" if value is False else str(value)
            parts.append(f"{quote(name, safe='[]')}={quote(text, safe='')}")
    return "&".join(p for p in parts if p)
