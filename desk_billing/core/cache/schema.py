"""The cache's tables: one per Stripe object type, with the columns extracted from each object.

Each table keeps the object's JSON exactly as returned in `data`; extracted columns exist only
so lists can sort, filter and search in SQL. A missing field extracts as NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Extractor = Callable[[Mapping[str, Any]], Any]


def _scalar(value: Any) -> Any:
    """What SQLite can store; bools as 0/1, nested objects as NULL."""
    kind = type(value)
    if kind is bool:
        return int(value)
    if kind is str or kind is int or kind is float or value is None:
        return value
    return None


# Extractors run for every column of every row a sync writes (~20 per object), so they test
# isinstance(..., dict), which is cheap, rather than the Mapping ABC check, which halved the
# upsert rate; JSON objects (plain or the SDK's OrderedDict) and StripeObjects are dicts.
def field(*path: str) -> Extractor:
    """The value at a nested path, None when any step is missing; bools become 0/1."""
    if len(path) == 1:
        key = path[0]
        return lambda obj: _scalar(obj.get(key))

    def extract(obj: Mapping[str, Any]) -> Any:
        value: Any = obj
        for step in path:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        return _scalar(value)

    return extract


def ref(*path: str) -> Extractor:
    """The id of an expandable field, whether it came as an id or as an expanded object."""

    def extract(obj: Mapping[str, Any]) -> Any:
        value: Any = obj
        for step in path:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        if isinstance(value, dict):
            value = value.get("id")
        return value if type(value) is str else None

    return extract


def first_item(*path: str) -> Extractor:
    """A field of the first subscription item (prices and periods live there since 2025)."""

    def extract(obj: Mapping[str, Any]) -> Any:
        items = obj.get("items")
        data = items.get("data") if isinstance(items, dict) else None
        if not data:
            return None
        return ref(*path)(data[0]) if path[-1] in ("price", "product") else field(*path)(data[0])

    return extract


def either(*extractors: Extractor) -> Extractor:
    """The first non-None of several extractors (fields that moved between API versions)."""

    def extract(obj: Mapping[str, Any]) -> Any:
        for extractor in extractors:
            value = extractor(obj)
            if value is not None:
                return value
        return None

    return extract


def metadata_text(obj: Mapping[str, Any]) -> str | None:
    """Metadata values joined by spaces, so full-text search finds them."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not metadata:
        return None
    return " ".join(str(v) for v in metadata.values() if v not in (None, ""))


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    extract: Extractor
    indexed: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One object table: its name, the `object` value it stores, columns, searchable columns."""

    name: str
    object: str
    columns: tuple[Column, ...]
    search: tuple[str, ...] = ()

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def indexes(self) -> dict[str, tuple[str, bool]]:
        """Index name -> (column, descending): `created` newest first (the lists' order), then
        every column marked indexed."""
        declared = {f"{self.name}_created": ("created", True)}
        for column in self.columns:
            if column.indexed and column.name != "created":
                declared[f"{self.name}_{column.name}"] = (column.name, False)
        return declared


def _common(*extra: Column, created: Extractor | None = None) -> tuple[Column, ...]:
    return (
        Column("created", "INTEGER", created or field("created"), indexed=True),
        Column("livemode", "INTEGER", field("livemode")),
        *extra,
        Column("metadata_text", "TEXT", metadata_text),
    )


def _c(name: str, sql_type: str, extract: Extractor | None = None, indexed: bool = False) -> Column:
    return Column(name, sql_type, extract or field(name), indexed)


_SEARCH = ("id", "metadata_text")

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "customers",
            "customer",
            _common(
                _c("email", "TEXT", indexed=True),
                _c("name", "TEXT", indexed=True),
                _c("description", "TEXT"),
                _c("phone", "TEXT"),
                _c("currency", "TEXT"),
                _c("balance", "INTEGER"),
                _c("delinquent", "INTEGER"),
            ),
            search=(*_SEARCH, "email", "name", "description", "phone"),
        ),
        TableSpec(
            "products",
            "product",
            _common(
                _c("name", "TEXT", indexed=True),
                _c("description", "TEXT"),
                _c("active", "INTEGER", indexed=True),
                _c("default_price", "TEXT", ref("default_price")),
            ),
            search=(*_SEARCH, "name", "description"),
        ),
        TableSpec(
            "prices",
            "price",
            _common(
                _c("product", "TEXT", ref("product"), indexed=True),
                _c("active", "INTEGER"),
                _c("currency", "TEXT"),
                _c("unit_amount", "INTEGER"),
                _c("type", "TEXT"),
                _c("interval", "TEXT", field("recurring", "interval")),
                _c("nickname", "TEXT"),
                _c("lookup_key", "TEXT"),
            ),
            search=(*_SEARCH, "nickname", "lookup_key"),
        ),
        TableSpec(
            "subscriptions",
            "subscription",
            _common(
                _c("customer", "TEXT", ref("customer"), indexed=True),
                _c("status", "TEXT", indexed=True),
                _c("currency", "TEXT"),
                _c("description", "TEXT"),
                _c("price", "TEXT", first_item("price")),
                _c("product", "TEXT", first_item("price", "product")),
                _c(
                    "current_period_end",
                    "INTEGER",
                    either(field("current_period_end"), first_item("current_period_end")),
                ),
                _c("cancel_at_period_end", "INTEGER"),
                _c("canceled_at", "INTEGER"),
            ),
            search=(*_SEARCH, "description"),
        ),
        TableSpec(
            "invoices",
            "invoice",
            _common(
                _c("customer", "TEXT", ref("customer"), indexed=True),
                _c("status", "TEXT", indexed=True),
                _c("number", "TEXT", indexed=True),
                _c("email", "TEXT", field("customer_email")),
                _c("name", "TEXT", field("customer_name")),
                _c("description", "TEXT"),
                _c("currency", "TEXT"),
                _c("total", "INTEGER"),
                _c("subtotal", "INTEGER"),
                _c("amount_due", "INTEGER"),
                _c("amount_paid", "INTEGER"),
                _c("amount_remaining", "INTEGER"),
                _c("due_date", "INTEGER", indexed=True),
                _c("period_end", "INTEGER"),
                _c(
                    "subscription",
                    "TEXT",
                    either(
                        ref("subscription"),
                        ref("parent", "subscription_details", "subscription"),
                    ),
                    # A subscription's detail pane lists its invoices: without it, a scan of
                    # every invoice (360 ms at 240k invoices; 0.2 ms with it).
                    indexed=True,
                ),
                _c("collection_method", "TEXT"),
            ),
            search=(*_SEARCH, "number", "email", "name", "description"),
        ),
        TableSpec(
            "invoiceitems",
            "invoiceitem",
            _common(
                _c("customer", "TEXT", ref("customer"), indexed=True),
                _c("invoice", "TEXT", ref("invoice"), indexed=True),
                _c("amount", "INTEGER"),
                _c("currency", "TEXT"),
                _c("description", "TEXT"),
                _c(
                    "price",
                    "TEXT",
                    either(ref("price"), ref("pricing", "price_details", "price")),
                ),
                _c("period_end", "INTEGER", field("period", "end")),
                _c(
                    "subscription",
                    "TEXT",
                    either(
                        ref("subscription"),
                        ref("parent", "subscription_details", "subscription"),
                    ),
                ),
                # Invoice items carry `date` where other objects carry `created`.
                created=either(field("created"), field("date")),
            ),
            search=(*_SEARCH, "description"),
        ),
        TableSpec(
            "payment_intents",
            "payment_intent",
            _common(
                _c("customer", "TEXT", ref("customer"), indexed=True),
                _c("status", "TEXT", indexed=True),
                _c("amount", "INTEGER"),
                _c("amount_received", "INTEGER"),
                _c("currency", "TEXT"),
                _c("description", "TEXT"),
                _c("email", "TEXT", field("receipt_email")),
                _c("latest_charge", "TEXT", ref("latest_charge")),
            ),
            search=(*_SEARCH, "description", "email"),
        ),
        TableSpec(
            "charges",
            "charge",
            _common(
                _c("customer", "TEXT", ref("customer"), indexed=True),
                _c("status", "TEXT", indexed=True),
                _c("amount", "INTEGER"),
                _c("amount_captured", "INTEGER"),
                _c("amount_refunded", "INTEGER"),
                _c("currency", "TEXT"),
                _c("description", "TEXT"),
                _c("payment_intent", "TEXT", ref("payment_intent"), indexed=True),
                _c("refunded", "INTEGER"),
                _c(
                    "email",
                    "TEXT",
                    either(field("billing_details", "email"), field("receipt_email")),
                ),
                _c("name", "TEXT", field("billing_details", "name")),
            ),
            search=(*_SEARCH, "description", "email", "name", "payment_intent"),
        ),
        TableSpec(
            "refunds",
            "refund",
            _common(
                _c("charge", "TEXT", ref("charge"), indexed=True),
                _c("payment_intent", "TEXT", ref("payment_intent"), indexed=True),
                _c("status", "TEXT", indexed=True),
                _c("amount", "INTEGER"),
                _c("currency", "TEXT"),
                _c("reason", "TEXT"),
                _c("description", "TEXT"),
            ),
            search=(*_SEARCH, "charge", "payment_intent", "description"),
        ),
        TableSpec(
            "credit_notes",
            "credit_note",
            _common(
                _c("customer", "TEXT", ref("customer"), indexed=True),
                _c("invoice", "TEXT", ref("invoice"), indexed=True),
                _c("status", "TEXT", indexed=True),
                _c("number", "TEXT"),
                _c("total", "INTEGER"),
                _c("amount", "INTEGER"),
                _c("currency", "TEXT"),
                _c("reason", "TEXT"),
                _c("description", "TEXT", field("memo")),
            ),
            search=(*_SEARCH, "number", "description"),
        ),
        TableSpec(
            # What links an invoice to the payment intent paying it (`invoice.payments`, since
            # 2025): the invoice detail lists an invoice's payments from here.
            "invoice_payments",
            "invoice_payment",
            _common(
                _c("invoice", "TEXT", ref("invoice"), indexed=True),
                _c("payment_intent", "TEXT", ref("payment", "payment_intent"), indexed=True),
                _c("status", "TEXT"),
                _c("amount_paid", "INTEGER"),
                _c("amount_requested", "INTEGER"),
                _c("currency", "TEXT"),
                _c("is_default", "INTEGER"),
            ),
        ),
        TableSpec(
            "events",
            "event",
            (
                Column("created", "INTEGER", field("created"), indexed=True),
                Column("livemode", "INTEGER", field("livemode")),
                _c("type", "TEXT", indexed=True),
                _c("object_id", "TEXT", field("data", "object", "id"), indexed=True),
                _c("object_type", "TEXT", field("data", "object", "object")),
                _c("api_version", "TEXT"),
            ),
        ),
    )
}

_BY_OBJECT = {spec.object: spec.name for spec in TABLES.values()}


def table_for_object(object_type: str) -> str:
    """The table of an object type: "invoiceitem" -> "invoiceitems"; KeyError when not cached."""
    return _BY_OBJECT[object_type]
