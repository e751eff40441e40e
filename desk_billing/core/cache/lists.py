"""The lists every tab shows, declared once: columns over one cached table, how each sorts and
reads, the filters it offers (status, currency, period, customer, kind of event), and what the
user asked to see (`ListQuery`). The queries that read them are in `pages` and `search`.

Column SQL is over the list's table aliased `t`.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from desk_billing.core.errors import ValidationError

Kind = Literal["text", "id", "amount", "status", "date", "bool", "count"]
Condition = tuple[str, tuple[Any, ...]]  # an SQL fragment over `t` and its parameters


@dataclass(frozen=True)
class ListColumn:
    """One shown column: its SQL, how to sort by it, how it reads."""

    key: str
    title: str
    sql: str
    kind: Kind = "text"
    sort_sql: str | None = None  # None: not sortable; expressions must never be NULL (keyset)
    currency_key: str = "currency"  # for amounts: the column holding the currency


@dataclass(frozen=True)
class ListSpec:
    """A list over one cached table and the filters it offers."""

    table: str
    columns: tuple[ListColumn, ...]
    default_sort: str = "created"
    search: Literal["fts", "like", "none"] = "fts"
    like_columns: tuple[str, ...] = ()
    # An expression sorted descending before the chosen column (Activity: failures first).
    pinned_sort: str | None = None
    statuses: tuple[str, ...] = ()  # what the status filter offers; () means no status filter
    currency_filter: bool = True
    # How a row reaches its customer; None means no customer filter.
    customer_sql: str | None = "t.customer = ?"
    date_column: str = "created"  # what the period filter bounds
    # Named kinds of row the list can be narrowed to (Activity's kinds of event); None: all.
    categories: Mapping[str, str | None] = field(default_factory=dict)

    def column(self, key: str) -> ListColumn:
        return next(c for c in self.columns if c.key == key)

    def index_of(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def conditions(self, filters: Filters) -> list[Condition]:
        """The filters as SQL conditions on this list's rows."""
        result: list[Condition] = []
        if filters.status and self.statuses:
            result.append(("t.status = ?", (filters.status,)))
        if filters.currency and self.currency_filter:
            result.append(("t.currency = ?", (filters.currency.lower(),)))
        if filters.since is not None:
            result.append((f"t.{self.date_column} >= ?", (filters.since,)))
        if filters.until is not None:
            result.append((f"t.{self.date_column} < ?", (filters.until,)))
        if filters.customer and self.customer_sql:
            result.append((self.customer_sql, (filters.customer,)))
        if filters.category:
            if filters.category not in self.categories:
                raise ValidationError(f"The {self.table} list has no kind '{filters.category}'.")
            sql = self.categories[filters.category]
            if sql is not None:
                result.append((sql, ()))
        return result


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; None leaves a filter off. Times are epoch seconds."""

    status: str | None = None
    currency: str | None = None
    since: int | None = None  # the date column at or after this
    until: int | None = None  # and before this
    customer: str | None = None  # a customer id
    category: str | None = None  # one of the spec's categories


@dataclass(frozen=True)
class ListQuery:
    """What the user asked to see: search text, filters, order."""

    search: str = ""
    filters: Filters = Filters()
    sort: str | None = None
    descending: bool = True

    def with_sort(self, key: str, descending: bool) -> ListQuery:
        return replace(self, sort=key, descending=descending)


# -- periods ---------------------------------------------------------------------------------

ANY_TIME, CUSTOM_RANGE = "Any time", "Custom range"
PERIODS = (
    ANY_TIME,
    "Today",
    "Last 7 days",
    "Last 30 days",
    "Last 90 days",
    "This year",
    CUSTOM_RANGE,
)


def _local_midnight(day: datetime.date) -> int:
    return int(time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1)))


def period_bounds(
    choice: str,
    now: float | None = None,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
) -> tuple[int | None, int | None]:
    """(since, until) of a period of `PERIODS` in local time; a custom range is of whole days,
    `last_day` included."""
    if choice not in PERIODS:
        raise ValidationError(f"'{choice}' is not a period.")
    today = datetime.date.fromtimestamp(time.time() if now is None else now)
    if choice == "Today":
        return _local_midnight(today), None
    if choice.startswith("Last "):
        days = int(choice.split()[1])
        return _local_midnight(today - datetime.timedelta(days=days)), None
    if choice == "This year":
        return _local_midnight(today.replace(month=1, day=1)), None
    if choice == CUSTOM_RANGE and first_day is not None and last_day is not None:
        return _local_midnight(first_day), _local_midnight(last_day + datetime.timedelta(days=1))
    return None, None


# -- the lists -------------------------------------------------------------------------------


def _text(key: str, title: str) -> ListColumn:
    return ListColumn(key, title, f"t.{key}", sort_sql=f"coalesce(t.{key}, '')")


def _amount(key: str, title: str) -> ListColumn:
    return ListColumn(key, title, f"t.{key}", "amount", sort_sql=f"coalesce(t.{key}, 0)")


_CREATED = ListColumn("created", "Created", "t.created", "date", sort_sql="t.created")
_ID = ListColumn("id", "Id", "t.id", "id", sort_sql="t.id")
_CURRENCY = _text("currency", "Currency")
_STATUS = ListColumn("status", "Status", "t.status", "status", sort_sql="t.status")
_CUSTOMER_NAME = "(SELECT coalesce(c.name, c.email) FROM customers c WHERE c.id = t.customer)"

CUSTOMERS = ListSpec(
    "customers",
    (
        _text("name", "Name"),
        _text("email", "Email"),
        _CREATED,
        _CURRENCY,
        _amount("balance", "Balance"),
        ListColumn(
            "delinquent", "Delinquent", "t.delinquent", "bool", sort_sql="coalesce(t.delinquent, 0)"
        ),
        _ID,
    ),
    customer_sql=None,
)

INVOICES = ListSpec(
    "invoices",
    (
        _text("number", "Number"),
        ListColumn("customer_name", "Customer", "coalesce(t.name, t.email, t.customer)"),
        _STATUS,
        _amount("total", "Total"),
        _amount("amount_remaining", "Due"),
        _CURRENCY,
        _CREATED,
        ListColumn(
            "due_date", "Due date", "t.due_date", "date", sort_sql="coalesce(t.due_date, 0)"
        ),
        _ID,
    ),
    statuses=("draft", "open", "paid", "uncollectible", "void"),
)

SUBSCRIPTIONS = ListSpec(
    "subscriptions",
    (
        ListColumn("customer_email", "Customer", _CUSTOMER_NAME),
        ListColumn(
            "product_name", "Product", "(SELECT p.name FROM products p WHERE p.id = t.product)"
        ),
        _STATUS,
        ListColumn(
            "unit_amount",
            "Price",
            "(SELECT p.unit_amount FROM prices p WHERE p.id = t.price)",
            "amount",
        ),
        ListColumn("interval", "Every", "(SELECT p.interval FROM prices p WHERE p.id = t.price)"),
        _CURRENCY,
        ListColumn(
            "current_period_end",
            "Renews",
            "t.current_period_end",
            "date",
            sort_sql="coalesce(t.current_period_end, 0)",
        ),
        _CREATED,
        _ID,
    ),
    statuses=("active", "trialing", "past_due", "unpaid", "paused", "incomplete", "canceled"),
)

PAYMENTS = ListSpec(
    "payment_intents",
    (
        _CREATED,
        _amount("amount", "Amount"),
        _CURRENCY,
        _STATUS,
        ListColumn("customer", "Customer", f"coalesce({_CUSTOMER_NAME}, t.email, t.customer)"),
        _text("description", "Description"),
        _ID,
    ),
    statuses=(
        "succeeded",
        "processing",
        "requires_payment_method",
        "requires_action",
        "requires_capture",
        "canceled",
    ),
)

CHARGES = ListSpec(
    "charges",
    (
        _CREATED,
        _amount("amount", "Amount"),
        _amount("amount_refunded", "Refunded"),
        _CURRENCY,
        _STATUS,
        ListColumn(
            "customer", "Customer", f"coalesce(t.name, t.email, {_CUSTOMER_NAME}, t.customer)"
        ),
        _text("description", "Description"),
        _ID,
    ),
    statuses=("succeeded", "pending", "failed"),
)

REFUNDS = ListSpec(
    "refunds",
    (
        _CREATED,
        _amount("amount", "Amount"),
        _CURRENCY,
        _STATUS,
        _text("reason", "Reason"),
        ListColumn("charge", "Charge", "t.charge", "id"),
        _ID,
    ),
    statuses=("succeeded", "pending", "failed", "canceled", "requires_action"),
    # A refund names its charge, not its customer.
    customer_sql="t.charge IN (SELECT id FROM charges WHERE customer = ?)",
)

# The Payments & Refunds tab shows one of these at a time.
PAYMENT_KINDS: dict[str, ListSpec] = {"Payments": PAYMENTS, "Charges": CHARGES, "Refunds": REFUNDS}

FAILED_TYPES = ("charge.failed", "payment_intent.payment_failed", "invoice.payment_failed")
_FAILED_SQL = "t.type IN ({})".format(", ".join(f"'{t}'" for t in FAILED_TYPES))
# Only recent failures jump the queue: last month's failure is history, not a to-do.
_RECENT_FAILURE = (
    f"({_FAILED_SQL} AND t.created >= CAST(strftime('%s', 'now') AS INTEGER) - 7 * 86400)"
)

EVENTS = ListSpec(
    "events",
    (
        ListColumn("created", "When", "t.created", "date", sort_sql="t.created"),
        _text("type", "Event"),
        ListColumn("failed", "Failed", f"CASE WHEN {_FAILED_SQL} THEN 'failed' END", "status"),
        _text("object_type", "Object"),
        ListColumn(
            "object_id", "Object id", "t.object_id", "id", sort_sql="coalesce(t.object_id, '')"
        ),
        _ID,
    ),
    search="like",
    like_columns=("type", "object_id", "id"),
    pinned_sort=_RECENT_FAILURE,
    currency_filter=False,
    customer_sql=None,
    categories={
        "All events": None,
        "Failed payments": _FAILED_SQL,
        "Payments": "t.type LIKE 'payment_intent.%' OR t.type LIKE 'charge.%'",
        "Refunds": "t.type LIKE 'refund.%' OR t.type = 'charge.refunded'",
        "Invoices": "t.type LIKE 'invoice.%'",
        "Subscriptions": "t.type LIKE 'customer.subscription.%'",
        "Customers": "t.type LIKE 'customer.%' AND t.type NOT LIKE 'customer.subscription.%'",
    },
)
