"""What each endpoint accepts, derived from the official SDK rather than from memory.

stripe-python ships, for its pinned API version, every endpoint's path in its service methods
(`self._request("post", "/v1/refunds", ...)`) and every endpoint's parameters as TypedDicts
(`stripe.params.RefundCreateParams`). Reading both means the sandbox refuses exactly the
parameters Stripe would refuse for that version, and coerces form strings to the declared types.
"""

from __future__ import annotations

import dis
import functools
import importlib
import inspect
import pkgutil
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import stripe
import stripe.params
import typing_extensions
from stripe._request_options import RequestOptions
from stripe._stripe_service import StripeService

from .errors import invalid

_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_SERVICE_MODULE = re.compile(r"_\w+_service")
_REQUEST_METHODS = frozenset({"_request", "_request_stream"})


@functools.cache
def sdk_routes() -> dict[tuple[str, str], str]:
    """(verb, path template) -> name of the params TypedDict, read from the SDK's v1 services."""
    routes: dict[tuple[str, str], str] = {}
    for service in _v1_services():
        for name, method in vars(service).items():
            if name.startswith("_") or not inspect.isfunction(method):
                continue
            if inspect.iscoroutinefunction(method):
                continue  # the `_async` twin of a method requests the same path
            request = _request_literals(method)
            params = _params_name(method)
            if request and params and request[1].startswith("/v1/"):
                routes[(request[0].upper(), request[1])] = params
    return routes


def _v1_services() -> Iterator[type]:
    """The service classes of the SDK's top-level `_*_service` modules (the v1 API's)."""
    for module_info in sorted(pkgutil.iter_modules(stripe.__path__), key=lambda m: m.name):
        if not _SERVICE_MODULE.fullmatch(module_info.name):
            continue
        module = importlib.import_module(f"stripe.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, StripeService)
                and value.__module__ == module.__name__
            ):
                yield value


def _request_literals(method: Callable[..., Any]) -> tuple[str, str] | None:
    """The verb and path template a service method passes to `self._request(...)`.

    They are read from the method's compiled code, not its source file: every installation
    carries the code (a frozen desktop build or a wheel without sources has no `.py` files),
    and the generated methods always pass both as literals, the path's placeholders unformatted.
    """
    code = [i for i in dis.get_instructions(method) if i.opname not in ("CACHE", "EXTENDED_ARG")]
    for at, instruction in enumerate(code):
        if instruction.opname in ("LOAD_METHOD", "LOAD_ATTR") and (
            instruction.argval in _REQUEST_METHODS
        ):
            literals = [
                i.argval
                for i in code[at + 1 : at + 3]
                if i.opname == "LOAD_CONST" and isinstance(i.argval, str)
            ]
            if len(literals) == 2:
                return literals[0], literals[1]
    return None


def _params_name(method: Callable[..., Any]) -> str | None:
    """The name of the params TypedDict in a method's `params: Optional["XParams"]` annotation."""
    annotation = method.__annotations__.get("params")
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, typing.ForwardRef):
            candidate = candidate.__forward_arg__
        if isinstance(candidate, str) and candidate.endswith("Params"):
            return candidate
    return None


def params_class(verb: str, template: str) -> type | None:
    name = sdk_routes().get((verb.upper(), template))
    return getattr(stripe.params, name, None) if name else None


def _resolve(tp: Any, module: dict[str, Any]) -> Any:
    if isinstance(tp, typing.ForwardRef):
        tp = tp.__forward_arg__
    if isinstance(tp, str):
        tp = eval(tp, module)  # noqa: S307 - the SDK's own annotation strings
    return tp


@functools.cache
def fields(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A params TypedDict's fields with resolved types, and the required ones."""
    module = vars(sys.modules[cls.__module__])
    out: dict[str, Any] = {}
    for key, annotation in cls.__annotations__.items():
        if key in _REQUEST_OPTION_KEYS:
            continue
        tp = annotation
        while typing.get_origin(tp) in (typing.NotRequired, typing.Required):
            tp = typing.get_args(tp)[0]
        out[key] = _resolve(tp, module)
    required = frozenset(k for k in getattr(cls, "__required_keys__", ()) if k in out)
    return out, required


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", "")


def _param_name(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return None


class _Mismatch(Exception):
    def __init__(self, error: Exception) -> None:
        self.error = error


def coerce(value: Any, tp: Any, path: list[str], module: dict[str, Any]) -> Any:
    """Check a decoded form value against a declared type and convert it (ints, bools, lists)."""
    tp = _resolve(tp, module)
    origin = typing.get_origin(tp)
    name = _param_name(path)
    if tp is Any or tp is object:
        return value
    if origin in (typing.Union, types.UnionType):
        arms = typing.get_args(tp)
        if value == "" and any(
            typing.get_origin(a) is typing.Literal and "" in typing.get_args(a) for a in arms
        ):
            return ""
        literals = [
            a
            for a in arms
            if typing.get_origin(a) is typing.Literal and typing.get_args(a) != ("",)
        ]
        if literals and str in arms and isinstance(value, str):
            # `Literal[...] | str` is the SDK staying open to future values; the API itself
            # accepts only the values of its version, so the enum is checked as closed.
            arms = tuple(a for a in arms if a is not str)
        errors = []
        for arm in sorted(arms, key=_arm_rank(value, module)):
            try:
                return coerce(value, arm, path, module)
            except Exception as exc:  # noqa: BLE001 - try the next arm, report the best error below
                errors.append(exc)
        raise errors[0]
    if origin is typing.Literal:
        allowed = [str(a).lower() if isinstance(a, bool) else str(a) for a in typing.get_args(tp)]
        if isinstance(value, str) and value in allowed:
            return value
        raise invalid(
            f"Invalid {path[-1]}: must be one of {', '.join(a for a in allowed if a)}",
            param=name,
        )
    if tp is bool:
        if value in ("true", "false"):
            return value == "true"
        raise invalid(f"Invalid boolean: {value}", param=name)
    if tp is int:
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        raise invalid(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")
    if tp is float:
        if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
            return float(value)
        raise invalid(f"Invalid decimal: {value}", param=name)
    if tp is str:
        if isinstance(value, str):
            return value
        raise invalid(f"Invalid string: {value!r}", param=name)
    if origin is list:
        items = _as_list(value)
        if items is None:
            raise invalid("Invalid array", param=name)
        (item_tp,) = typing.get_args(tp) or (Any,)
        return [coerce(v, item_tp, [*path, str(i)], module) for i, v in enumerate(items)]
    if origin is dict or "UntypedStripeObject" in (_name(tp), _name(origin)):
        if value == "":
            return ""  # an empty value unsets the whole hash, as with metadata
        if not isinstance(value, dict):
            raise invalid("Invalid object", param=name)
        return dict(value)
    if _is_typeddict(tp):
        if not isinstance(value, dict):
            raise invalid("Invalid object", param=name)
        return validate(tp, value, path)
    return value


def _arm_rank(value: Any, module: dict[str, Any]):
    """Try the union arm that fits the value's shape first, so its error is the one reported."""

    def rank(arm: Any) -> int:
        arm = _resolve(arm, module)
        origin = typing.get_origin(arm)
        if isinstance(value, dict):
            if origin is list and _as_list(value) is not None and value:
                return 0
            return 1 if (_is_typeddict(arm) or origin is dict) else 3
        if origin is typing.Literal:
            return 0
        return 2

    return rank


def validate(cls: type, params: dict[str, Any], path: list[str] | None = None) -> dict[str, Any]:
    """Refuse unknown and missing parameters as Stripe does; return the coerced parameters."""
    path = path or []
    declared, required = fields(cls)
    module = vars(sys.modules[cls.__module__])
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in declared:
            name = _param_name([*path, key])
            raise invalid(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )
        out[key] = coerce(value, declared[key], [*path, key], module)
    for key in sorted(required - out.keys()):
        name = _param_name([*path, key])
        raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return out
