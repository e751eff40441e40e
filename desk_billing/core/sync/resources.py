"""What the sync engine keeps: each cached Stripe resource, where it is listed and retrieved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from desk_billing.core.cache import table_for_object


@dataclass(frozen=True)
class Resource:
    """One listable Stripe resource stored in one cache table."""

    table: str
    path: str  # "/v1/customers"; `<path>/<id>` retrieves one object
    list_params: Mapping[str, Any] = field(default_factory=dict)

    def retrieve_path(self, object_id: str) -> str:
        return f"{self.path}/{quote(object_id, safe='')}"


# Order matters only for the progress display: what people look at first comes first.
RESOURCES: tuple[Resource, ...] = (
    Resource("customers", "/v1/customers"),
    Resource("products", "/v1/products"),
    Resource("prices", "/v1/prices"),
    # The subscriptions list hides canceled ones unless asked: a backfill without this is the
    # classic "ended subscription still shown active" drift.
    Resource("subscriptions", "/v1/subscriptions", {"status": "all"}),
    Resource("invoices", "/v1/invoices"),
    # Every invoice's payments, listed without `invoice=` (Stripe lists all of them then).
    Resource("invoice_payments", "/v1/invoice_payments"),
    Resource("invoiceitems", "/v1/invoiceitems"),
    Resource("payment_intents", "/v1/payment_intents"),
    Resource("charges", "/v1/charges"),
    Resource("refunds", "/v1/refunds"),
    Resource("credit_notes", "/v1/credit_notes"),
)
BY_TABLE: dict[str, Resource] = {r.table: r for r in RESOURCES}


def resource_of(object_type: Any) -> Resource | None:
    """The synced resource of an object type ("invoiceitem" -> invoiceitems), None when not kept."""
    if not isinstance(object_type, str):
        return None
    try:
        return BY_TABLE.get(table_for_object(object_type))
    except KeyError:
        return None
