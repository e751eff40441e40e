"""Routes of the sandbox API: a handler per (verb, path template), as the SDK's services name them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import schema
from .errors import ApiError
from .state import State


@dataclass
class Call:
    """One API request as a handler sees it: validated parameters and path arguments."""

    state: State
    verb: str
    path: str
    params: dict[str, Any]
    args: dict[str, str]
    api_key: str = ""
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str:
        return self.args[name]


Handler = Callable[[Call], Any]


@dataclass
class Route:
    verb: str
    template: str
    handler: Handler
    permission: str | None
    pattern: re.Pattern[str]
    params_class: type | None

    @property
    def literal_parts(self) -> int:
        return sum(1 for p in self.template.split("/") if p and not p.startswith("{"))


class Router:
    """Matches requests to handlers; literal segments win over placeholders (`/search` vs `/{id}`)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self, verb: str, template: str, *, permission: str | None = None, params: type | None = None
    ) -> Callable[[Handler], Handler]:
        """Register a handler. The accepted parameters come from the SDK unless `params` is given."""

        def register(handler: Handler) -> Handler:
            regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            params_class = params if params is not None else schema.params_class(verb, template)
            if params_class is None and template.startswith("/v1/"):
                raise LookupError(f"the SDK declares no parameters for {verb.upper()} {template}")
            self.routes.append(
                Route(verb.upper(), template, handler, permission, re.compile(regex), params_class)
            )
            self.routes.sort(key=lambda r: (-r.literal_parts, r.template))
            return handler

        return register

    def match(self, verb: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            if route.verb != verb:
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        raise ApiError(
            404,
            f"Unrecognized request URL ({verb}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        )


api = Router()
"""The /v1 API. Resource modules register on it when the sandbox package is imported."""
