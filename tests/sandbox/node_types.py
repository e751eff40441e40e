"""Extract presence and nullability of every response field from stripe-node's TypeScript types.

stripe-node's `types` (the `.d.ts` files shipped in the npm package) tell what Python's `Optional`
cannot: `field?: T` is a field Stripe may leave out (includable or conditional), `field: T | null` one
that is always present and may be null. The shape oracle reads the result, `tests/data/
stripe_node_types.json`, so the suite needs neither node nor npm. Regenerate it for a new SDK with

    npm pack stripe@VERSION && tar xzf stripe-VERSION.tgz
    python3 -m tests.sandbox.node_types package > tests/data/stripe_node_types.json

Only response interfaces reachable from the objects in ROOTS are kept (request `...Params` are the
sandbox schema's business); add an object there when the sandbox starts serving it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_OPEN = re.compile(
    r"^(?:export\s+)?(?:declare\s+)?(interface|namespace)\s+([A-Za-z_]\w*)\b[^{]*\{$"
)
_FIELD = re.compile(r"^'?([A-Za-z_][\w.-]*)'?(\?)?:\s*(.*)$")
_IDENT = re.compile(r"\b[A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*\b")
_BUILTIN = {"Array", "ApiList", "Record", "Partial", "OtherString", "Emptyable", "Decimal"}

# Objects a Stripe account of this product's kind answers with (and what they embed).
ROOTS = (
    "account", "balance", "balance_transaction", "bank_account", "card", "charge", "credit_note",
    "credit_note_line_item", "customer", "customer_balance_transaction", "discount", "dispute",
    "event", "invoice", "invoice_payment", "invoiceitem", "line_item", "mandate", "payment_intent",
    "payment_method", "payment_record", "plan", "price", "product", "refund", "review",
    "setup_intent", "source", "subscription", "subscription_item", "tax_id", "webhook_endpoint",
)  # fmt: skip


def _statements(text: str) -> list[str]:
    """The file's lines without comments, a multi-line field type joined into one statement."""
    lines = [line.strip() for line in _COMMENT.sub("", text).splitlines()]
    out: list[str] = []
    pending = ""
    depth = 0
    for line in lines:
        if not line or line.startswith(("import ", "//")):
            continue
        if pending or (_FIELD.match(line) and line.endswith("{") and not _OPEN.match(line)):
            pending += " " + line
            depth += line.count("{") - line.count("}")
            if depth <= 0 and line.endswith(";"):
                out.append(pending.strip())
                pending, depth = "", 0
            continue
        out.append(line)
    return out


def parse_file(text: str, prefix: list[str]) -> dict[str, dict[str, Any]]:
    """Interfaces of one `.d.ts` file: qualified name -> {"fields": {name: [flags, refs]}, "scope"}."""
    interfaces: dict[str, dict[str, Any]] = {}
    stack: list[tuple[str, str | None]] = []  # (kind, name) of open blocks
    for line in _statements(text):
        opened = _OPEN.match(line)
        if opened:
            stack.append((opened.group(1), opened.group(2)))
            if opened.group(1) == "interface":
                names = [n for _k, n in stack if n]
                interfaces[".".join([*prefix, *names])] = {
                    "fields": {},
                    "scope": [*prefix, *names[:-1]],
                }
            continue
        if line.endswith("{"):  # a class or another block: skip its content
            stack.append(("other", None))
            continue
        if line.startswith("}"):
            if stack:
                stack.pop()
            continue
        if not stack or stack[-1][0] != "interface":
            continue
        names = [n for _k, n in stack if n]
        field = _FIELD.match(line)
        if field is None or line.startswith("["):
            continue
        name, optional, type_text = field.group(1), field.group(2), field.group(3).rstrip(";")
        flags = ("?" if optional else "") + ("n" if re.search(r"\bnull\b", type_text) else "")
        refs = sorted({r for r in _IDENT.findall(type_text) if r not in _BUILTIN})
        literal = re.fullmatch(r"'([^']*)'", type_text.strip())
        entry: list[Any] = [flags, refs]
        if literal:
            entry.append(literal.group(1))
        interfaces[".".join([*prefix, *names])]["fields"][name] = entry
    return interfaces


def _resolve(ref: str, scope: list[str], known: set[str]) -> str | None:
    for depth in range(len(scope), -1, -1):
        candidate = ".".join([*scope[:depth], ref])
        if candidate in known:
            return candidate
    return None


def extract(package: Path) -> dict[str, Any]:
    root = package / "cjs"
    interfaces: dict[str, dict[str, Any]] = {}
    interfaces.update(parse_file((root / "shared.d.ts").read_text(encoding="utf-8"), []))
    for path in sorted((root / "resources").rglob("*.d.ts")):
        prefix = list(path.relative_to(root / "resources").parts[:-1])
        interfaces.update(parse_file(path.read_text(encoding="utf-8"), prefix))
    responses = {
        name: spec
        for name, spec in interfaces.items()
        if not any(part.endswith("Params") for part in name.split("."))
    }
    known = set(responses)
    out: dict[str, dict[str, Any]] = {}
    objects: dict[str, str] = {}
    deleted: dict[str, str] = {}
    for name, spec in sorted(responses.items()):
        fields: dict[str, Any] = {}
        for field, entry in spec["fields"].items():
            refs = [r for r in (_resolve(ref, spec["scope"], known) for ref in entry[1]) if r]
            fields[field] = [entry[0], refs]
            if field == "object" and len(entry) > 2:
                gone = spec["fields"].get("deleted", ["?"])[0] == ""
                target = deleted if gone else objects
                target.setdefault(entry[2], name)
        out[name] = fields
    wanted: set[str] = set()
    todo = [table[o] for o in ROOTS for table in (objects, deleted) if o in table]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(ref for _flags, refs in out[name].values() for ref in refs)
    return {
        "interfaces": {name: out[name] for name in sorted(wanted)},
        "objects": {o: n for o, n in objects.items() if n in wanted},
        "deleted": {o: n for o, n in deleted.items() if n in wanted},
    }


def main(argv: list[str]) -> int:
    package = Path(argv[1] if len(argv) > 1 else "package")
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    api_version = re.search(
        r"ApiVersion = '([^']+)'", (package / "cjs" / "apiVersion.js").read_text(encoding="utf-8")
    ).group(1)
    data = {
        "source": f"npm stripe {version} (github.com/stripe/stripe-node), cjs/**/*.d.ts, MIT licence",
        "api_version": api_version,
        **extract(package),
    }
    # one interface per line, so a regeneration's diff reads field by field
    compact = {"separators": (",", ":"), "sort_keys": True, "ensure_ascii": False}
    lines = [f"{json.dumps(k)}:{json.dumps(v, **compact)}" for k, v in data["interfaces"].items()]
    head = {k: v for k, v in data.items() if k != "interfaces"}
    sys.stdout.write(json.dumps(head, **compact)[:-1] + ',"interfaces":{\n')
    sys.stdout.write(",\n".join(lines) + "\n}}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
