"""Which `Stripe-Version` a request may ask for, and Stripe's answer to one the sandbox cannot serve.

The sandbox renders objects in one shape, the pinned version's. Stripe renders each request in the
version it names, so a version is served here only when that shape is true for it: the pinned
version's own line, and lines whose changes up to the pinned version added to the served objects
and removed or renamed nothing (a client of such a version sees keys it does not know, which every
SDK tolerates, and none that it expects is missing). Any other real version is refused with a 400
that names what is served, rather than answered in a shape it does not have under its name.
"""

from __future__ import annotations

import functools
import typing
from typing import Any

from . import schema
from .errors import invalid
from .state import API_VERSION

# dahlia -> endive, compared on stripe-python 15.6.2 (2026-08-26.dahlia) and 16.1 (endive) for every
# object the sandbox serves: no key removed or retyped, enums only grown (tests/clients checks it).
SERVED_LINES = (API_VERSION.split(".")[1], "dahlia")

# Request parameters endive renamed (same meaning), which a client of an older served line still
# sends: stripe-python 15.6.2 has `payment_method_types` where 16.1 has `allowed_payment_method_types`.
_PAYMENT_METHOD_TYPES = {"payment_method_types": "allowed_payment_method_types"}
RENAMED_PARAMS = {
    ("POST", "/v1/payment_intents"): _PAYMENT_METHOD_TYPES,
    ("POST", "/v1/payment_intents/{intent}"): _PAYMENT_METHOD_TYPES,
    ("POST", "/v1/payment_intents/{intent}/confirm"): _PAYMENT_METHOD_TYPES,
}


@functools.cache
def known_versions() -> tuple[str, ...]:
    """Every API version Stripe has released, as the SDK lists them for a webhook endpoint."""
    declared, _ = schema.fields(schema.params_class("post", "/v1/webhook_endpoints"))
    found: list[str] = []

    def collect(tp: object) -> None:
        if typing.get_origin(tp) is typing.Literal:
            found.extend(str(v) for v in typing.get_args(tp))
        for arm in typing.get_args(tp) if typing.get_origin(tp) is typing.Union else ():
            collect(arm)

    collect(declared["api_version"])
    return tuple(found)


@functools.cache
def served_versions() -> tuple[str, ...]:
    """The versions answered in the sandbox's shape, newest first; the pinned one always."""
    lines = {f".{line}" for line in SERVED_LINES}
    served = {v for v in known_versions() if v[v.find(".") :] in lines and v <= API_VERSION}
    return tuple(sorted(served | {API_VERSION}, reverse=True))


def negotiate(requested: str | None) -> str:
    """The version a request is answered in, or Stripe's 400 for one that cannot be."""
    if requested is None or requested.strip() == "":
        return API_VERSION  # the account's default version
    requested = requested.strip()
    if requested not in known_versions():
        raise invalid(f"Invalid Stripe API version: {requested}")
    require_served(requested)
    return requested


def require_served(version: str, *, param: str | None = None) -> None:
    """A 400 naming the served versions when a real `version` is not one of them."""
    if version in served_versions():
        return
    newest, oldest = served_versions()[0], served_versions()[-1]
    raise invalid(
        f"This sandbox renders objects only in API versions {oldest} to {newest}; it cannot "
        f"answer in {version}. Use {API_VERSION}, or leave the version out.",
        param=param,
    )


def translate_params(
    version: str, verb: str, template: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Parameters of an older served version under the names the pinned version gives them."""
    renamed = RENAMED_PARAMS.get((verb, template))
    if not renamed or version.split(".")[1] == API_VERSION.split(".")[1]:
        return params
    return {renamed.get(name, name): value for name, value in params.items()}
