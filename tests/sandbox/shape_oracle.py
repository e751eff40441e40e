"""The shape oracle: hold any JSON body the sandbox serves against the SDKs' types for the pinned version.

It imports nothing of the sandbox. The types come from stripe-python's own generated resource classes
(`stripe/_invoice.py` and the rest, read with `ast`: field annotations, nested `StripeObject` classes,
`Literal` enums, `Optional`, `List`, `ExpandableField`, `ListObject`, `UntypedStripeObject`), and for
presence from stripe-node's TypeScript types (`tests/data/stripe_node_types.json`, see `node_types.py`):
Python's `Optional[X]` means "nullable or left out", node says which (`field?: X` may be left out,
`field: X | null` is always there and may be null).

The rules, applied recursively to every object, nested object, list item and expanded field:
- no key that the class does not declare;
- every key present that the types say is always present;
- null only where both say a field may be null (node's `| null`; Python's `Optional` where node is silent);
- scalars of the declared type, and enum values among the declared literals (`Literal[...] | str` is
  the SDK staying open to values of later versions; the API of this version sends only the literals);
- an event's `data.object` is held against its own object's class, and `previous_attributes` may
  name only keys that class declares.
"""

from __future__ import annotations

import ast
import functools
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import stripe

STRIPE_DIR = Path(stripe.__file__).parent
NODE_TYPES = Path(__file__).parent.parent / "data" / "stripe_node_types.json"
LIST_KEYS = frozenset({"object", "data", "has_more", "url"})
SEARCH_KEYS = frozenset({"object", "data", "has_more", "next_page", "url", "total_count"})
SCALARS = {"str", "int", "bool", "float", "Decimal", "Any", "object"}


# -- stripe-python's classes, read with ast ----------------------------------------------------
@dataclass
class PyClass:
    """One generated class: a resource (with OBJECT_NAME) or a nested StripeObject."""

    name: str  # qualified within its module: "Invoice.AutomaticTax.Liability"
    module: str  # "stripe._invoice"
    fields: dict[str, ast.expr] = field(default_factory=dict)
    nested: dict[str, PyClass] = field(default_factory=dict)
    parent: PyClass | None = None
    object_name: str | None = None


@dataclass
class PyModule:
    name: str
    classes: dict[str, PyClass]
    imports: dict[str, tuple[str, str]]  # local name -> (module, name)


def _module_path(module: str) -> Path:
    parts = module.split(".")[1:]
    return STRIPE_DIR.joinpath(*parts).with_suffix(".py")


def _read_class(node: ast.ClassDef, module: str, parent: PyClass | None) -> PyClass:
    qual = f"{parent.name}.{node.name}" if parent else node.name
    cls = PyClass(qual, module, parent=parent)
    for item in node.body:
        if isinstance(item, ast.ClassDef):
            cls.nested[item.name] = _read_class(item, module, cls)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            name, annotation = item.target.id, item.annotation
            if (
                isinstance(annotation, ast.Subscript)
                and ast.unparse(annotation.value) == "ClassVar"
            ):
                if name == "OBJECT_NAME" and isinstance(item.value, ast.Constant):
                    cls.object_name = item.value.value
                continue
            if not name.startswith("_"):
                cls.fields[name] = annotation
    return cls


@functools.cache
def py_module(module: str) -> PyModule | None:
    path = _module_path(module)
    if not path.exists():
        return None
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes: dict[str, PyClass] = {}
    imports: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stripe"):
            for alias in node.names:
                imports[alias.asname or alias.name] = (node.module, alias.name)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = _read_class(node, module, None)
    return PyModule(module, classes, imports)


@functools.cache
def object_classes() -> dict[str, PyClass]:
    """`object` value -> the resource class that declares it (stripe-python's v1 resources)."""
    found: dict[str, PyClass] = {}
    for path in sorted(STRIPE_DIR.rglob("_*.py")):
        rel = path.relative_to(STRIPE_DIR)
        if rel.parts[0] in ("params", "v2", "_error.py") or path.name.endswith("_service.py"):
            continue
        if "OBJECT_NAME" not in path.read_text(encoding="utf-8"):
            continue
        module = py_module("stripe." + ".".join(rel.with_suffix("").parts))
        for cls in module.classes.values():
            if cls.object_name and cls.object_name not in found:
                found[cls.object_name] = cls
    return found


def resolve_class(name: str, scope: PyClass) -> PyClass | None:
    """A class named in an annotation, looked up as Python would: nested scopes, module, imports."""
    head, *rest = name.split(".")
    cls: PyClass | None = None
    cursor: PyClass | None = scope
    while cursor is not None and cls is None:
        cls = cursor.nested.get(head) or (cursor if cursor.name.split(".")[-1] == head else None)
        cursor = cursor.parent
    module = py_module(scope.module)
    if cls is None and module is not None:
        cls = module.classes.get(head)
        if cls is None and head in module.imports:
            target_module, target_name = module.imports[head]
            other = py_module(target_module)
            cls = other.classes.get(target_name) if other else None
    for part in rest:
        cls = cls.nested.get(part) if cls else None
    return cls


# -- stripe-node's presence data ---------------------------------------------------------------
@functools.cache
def node_types() -> dict[str, Any]:
    return json.loads(NODE_TYPES.read_text(encoding="utf-8"))


def node_interface(name: str | None) -> dict[str, list[Any]] | None:
    return node_types()["interfaces"].get(name) if name else None


def _node_object(name: str) -> str | None:
    iface = node_interface(name) or {}
    return iface.get("object", [None, None, None])[2] if len(iface.get("object", [])) > 2 else None


def node_for(value: dict[str, Any], refs: list[str]) -> str | None:
    """Of a field's node type references, the interface that describes this object."""
    interfaces = node_types()["interfaces"]
    candidates = [r for r in refs if r in interfaces]
    if not candidates:
        return None
    deleted = value.get("deleted") is True
    fitting = [r for r in candidates if ("deleted" in interfaces[r]) == deleted] or candidates
    obj = value.get("object")
    if isinstance(obj, str) and len(fitting) > 1:
        table = node_types()["deleted" if deleted else "objects"]
        if table.get(obj) in fitting:
            return table[obj]
    return fitting[0]


# -- checking ----------------------------------------------------------------------------------
class Checker:
    """Collects problems as `path: what is wrong`; one checker per body (or per account walk)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.objects = 0
        self.without_node: set[str] = set()  # classes node's types did not describe (diagnostics)

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # A body as the API answers it: an object, a list, a search result or an error.
    def body(self, body: Any, path: str = "") -> None:
        if not isinstance(body, dict):
            self.problem(path or "$", f"expected a JSON object, got {type(body).__name__}")
            return
        if set(body) == {"error"}:
            error_cls = py_module("stripe._error_object").classes["ErrorObject"]
            self.object(body["error"], error_cls, None, f"{path}error")
            return
        self.any_object(body, path or "$")

    def any_object(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.problem(path, f"expected an object, got {value!r:.60}")
            return
        kind = value.get("object")
        if kind in ("list", "search_result"):
            keys = LIST_KEYS if kind == "list" else SEARCH_KEYS
            self._envelope(value, keys, path)
            for i, item in enumerate(value.get("data") or []):
                self.any_object(item, f"{path}.data[{i}]")
            return
        cls = object_classes().get(kind) if isinstance(kind, str) else None
        if cls is None:
            self.problem(path, f"unknown object type {kind!r}")
            return
        table = node_types()["deleted" if value.get("deleted") is True else "objects"]
        self.object(value, cls, table.get(kind), path)

    def _envelope(self, value: dict[str, Any], keys: frozenset[str], path: str) -> None:
        for key in sorted(set(value) - keys):
            self.problem(path, f"undeclared key {key!r} on a {value['object']}")
        for key in sorted({"object", "data", "has_more", "url"} - set(value)):
            self.problem(path, f"missing {key!r} on a {value['object']}")
        if not isinstance(value.get("data"), list):
            self.problem(path, "list `data` is not an array")

    def object(
        self, value: Any, cls: PyClass, node: str | None, path: str, *, partial: bool = False
    ) -> None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a {cls.name} object, got {value!r:.60}")
            return
        self.objects += 1
        iface = node_interface(node)
        if iface is None:
            self.without_node.add(cls.name)
        if value.get("deleted") is True and cls.object_name:
            self._deleted(value, cls, iface, path)
            return
        for key in sorted(set(value) - set(cls.fields)):
            self.problem(f"{path}.{key}", f"undeclared key on {cls.name}")
        for name, annotation in cls.fields.items():
            here = f"{path}.{name}"
            optional, inner = _strip_optional(annotation)
            node_field = iface.get(name) if iface else None
            node_flags = node_field[0] if node_field else None
            if name not in value:
                if partial:
                    continue
                required = (not optional and (node_flags is None or "?" not in node_flags)) or (
                    optional and node_flags is not None and "?" not in node_flags
                )
                if required:
                    self.problem(here, f"missing (always present on {cls.name})")
                continue
            item = value[name]
            if item is None:
                # in previous_attributes, null also stands for "was left out"
                nullable = partial or (optional and (node_flags is None or "n" in node_flags))
                if not nullable:
                    self.problem(here, f"null, but {cls.name}.{name} is never null")
                continue
            if cls.name == "Event.Data" and name == "object":
                self.any_object(item, here)
                continue
            if cls.name == "Event.Data" and name == "previous_attributes":
                self._previous(item, value.get("object"), here)
                continue
            self.value(item, inner, cls, node_field[1] if node_field else [], here)

    def _deleted(self, value: dict[str, Any], cls: PyClass, iface: dict | None, path: str) -> None:
        allowed = set(iface) if iface else {"id", "object", "deleted"}
        for key in sorted(set(value) - allowed):
            self.problem(f"{path}.{key}", f"undeclared key on a deleted {cls.object_name}")
        for key in sorted({"id", "object", "deleted"} - set(value)):
            self.problem(f"{path}.{key}", f"missing on a deleted {cls.object_name}")

    def _previous(self, value: Any, obj: Any, path: str) -> None:
        if not isinstance(value, dict) or not isinstance(obj, dict):
            self.problem(path, "previous_attributes is not an object")
            return
        cls = object_classes().get(obj.get("object"))
        if cls is not None:
            node = node_types()["objects"].get(obj.get("object"))
            self.object(value, cls, node, path, partial=True)

    def value(self, value: Any, annotation: ast.expr, scope: PyClass, refs: list[str], path: str):
        """`value` (not None) against one annotation, resolved in the scope of class `scope`."""
        kind = _head(annotation)
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            annotation, kind = ast.Name(annotation.value), "class"
        if kind == "Optional":
            self.value(value, annotation.slice, scope, refs, path)
        elif kind == "Union":
            self._union(value, list(annotation.slice.elts), scope, refs, path)
        elif kind == "Literal":
            allowed = _literals(annotation)
            if value not in allowed:
                self.problem(path, f"{value!r} is not one of {sorted(map(str, allowed))}")
        elif kind in ("List", "Sequence"):
            if not isinstance(value, list):
                self.problem(path, f"expected an array, got {value!r:.60}")
                return
            for i, item in enumerate(value):
                if item is None:
                    self.problem(f"{path}[{i}]", "null in an array")
                else:
                    self.value(item, annotation.slice, scope, refs, f"{path}[{i}]")
        elif kind in ("Dict", "Mapping", "UntypedStripeObject"):
            if not isinstance(value, dict):
                self.problem(path, f"expected a hash, got {value!r:.60}")
                return
            inner = annotation.slice.elts[-1] if kind != "UntypedStripeObject" else annotation.slice
            for key, item in value.items():
                if item is not None:
                    self.value(item, inner, scope, refs, f"{path}[{key!r}]")
        elif kind == "ExpandableField":
            if not isinstance(value, str):
                self.value(value, annotation.slice, scope, refs, path)
        elif kind == "ListObject":
            if not isinstance(value, dict) or value.get("object") != "list":
                self.problem(path, f"expected a list object, got {value!r:.60}")
                return
            self._envelope(value, LIST_KEYS, path)
            for i, item in enumerate(value.get("data") or []):
                self.value(item, annotation.slice, scope, refs, f"{path}.data[{i}]")
        elif kind in SCALARS:
            self._scalar(value, kind, path)
        elif kind == "class":
            target = resolve_class(_dotted(annotation), scope)
            if target is None:
                self.problem(path, f"the oracle cannot resolve {ast.unparse(annotation)}")
                return
            node = node_for(value, refs) if isinstance(value, dict) else None
            self.object(value, target, node, path)
        else:
            self.problem(path, f"the oracle cannot read the annotation {ast.unparse(annotation)}")

    def _union(
        self, value: Any, arms: list[ast.expr], scope: PyClass, refs: list[str], path: str
    ) -> None:
        literals = [a for a in arms if _head(a) == "Literal"]
        if literals and any(_head(a) == "str" for a in arms) and isinstance(value, str):
            arms = literals  # `Literal[...] | str`: this version's values only
        if isinstance(value, dict) and isinstance(value.get("object"), str):
            by_object = [a for a in arms if _names_object(a, scope, value["object"])]
            arms = by_object or arms
        best: list[str] | None = None
        for arm in arms:
            trial = Checker()
            trial.value(value, arm, scope, refs, path)
            if not trial.problems:
                self.objects += trial.objects
                self.without_node |= trial.without_node
                return
            if best is None or len(trial.problems) < len(best):
                best = trial.problems
        self.problems.extend(best or [f"{path}: matches no arm of the union"])

    def _scalar(self, value: Any, kind: str, path: str) -> None:
        ok = {
            "str": isinstance(value, str),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "float": isinstance(value, int | float) and not isinstance(value, bool),
            # a decimal string on the wire; the SDK's `to_dict()` hands it over as a Decimal
            "Decimal": isinstance(value, Decimal)
            or (isinstance(value, str) and _is_decimal(value)),
        }.get(kind, True)
        if not ok:
            self.problem(path, f"{value!r:.60} is not a {kind}")


def _head(annotation: ast.expr) -> str:
    if isinstance(annotation, ast.Subscript):
        return ast.unparse(annotation.value)
    if isinstance(annotation, ast.Name):
        return annotation.id if annotation.id in SCALARS else "class"
    if isinstance(annotation, ast.Attribute):
        return "class"
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return "class"
    return type(annotation).__name__


def _dotted(annotation: ast.expr) -> str:
    return annotation.value if isinstance(annotation, ast.Constant) else ast.unparse(annotation)


def _strip_optional(annotation: ast.expr) -> tuple[bool, ast.expr]:
    if _head(annotation) == "Optional":
        return True, annotation.slice
    return False, annotation


def _literals(annotation: ast.expr) -> list[Any]:
    node = annotation.slice
    elements = node.elts if isinstance(node, ast.Tuple) else [node]
    return [ast.literal_eval(e) for e in elements]


def _names_object(arm: ast.expr, scope: PyClass, obj: str) -> bool:
    """Whether a union arm is (or expands to) the resource class whose OBJECT_NAME is `obj`."""
    while _head(arm) in ("ExpandableField", "Optional"):
        arm = arm.slice
    if _head(arm) != "class":
        return False
    target = resolve_class(_dotted(arm), scope)
    return target is not None and target.object_name == obj


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def check(body: Any) -> list[str]:
    """Every problem of one response body (an empty list when it is what Stripe would send)."""
    checker = Checker()
    checker.body(body)
    return checker.problems


# -- where the two SDKs disagree ---------------------------------------------------------------
def disagreements(objects: list[str]) -> dict[str, list[str]]:
    """Fields of these objects' classes (recursively) where Python's types alone would mislead.

    "left out, never null": Python says Optional, node says `field?: T` (Stripe leaves the field
    out rather than sending null); "present, nullable": Optional in Python, `T | null` in node;
    "Python always, node may leave out", and fields only one SDK declares.
    """
    out: dict[str, list[str]] = {
        "left out, never null": [],
        "left out or null": [],
        "present, nullable": [],
        "Python always, node may leave out": [],
        "Python only": [],
        "node only": [],
    }
    seen: set[str] = set()

    def walk(cls: PyClass, node: str | None) -> None:
        key = f"{cls.module}:{cls.name}"
        if key in seen or node is None:
            return
        seen.add(key)
        iface = node_interface(node) or {}
        for name, annotation in cls.fields.items():
            optional, inner = _strip_optional(annotation)
            where = f"{cls.name}.{name}"
            if name not in iface:
                out["Python only"].append(where)
                continue
            flags, refs = iface[name]
            if optional:
                label = {
                    "?": "left out, never null",
                    "?n": "left out or null",
                    "n": "present, nullable",
                }
                if flags in label:
                    out[label[flags]].append(where)
            elif "?" in flags:
                out["Python always, node may leave out"].append(where)
            for sub in ast.walk(inner):
                if _head(sub) == "class" and not isinstance(sub, ast.Subscript):
                    target = resolve_class(_dotted(sub), cls)
                    if target is not None and target.module == cls.module and refs:
                        walk(target, refs[0])
        out["node only"] += [f"{cls.name}.{name}" for name in sorted(set(iface) - set(cls.fields))]

    for obj in objects:
        walk(object_classes()[obj], node_types()["objects"].get(obj))
    return out


if __name__ == "__main__":
    import sys

    for category, fields in disagreements(sys.argv[1:] or ["invoice", "payment_intent"]).items():
        print(f"{category}: {len(fields)}")
        for name in fields:
            print(f"  {name}")
