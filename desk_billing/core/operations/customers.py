"""Customers: create and edit (name, email, phone, address, metadata), delete with confirmation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desk_billing.core.errors import ValidationError
from desk_billing.core.journal import (
    Journal,
    OperationRequest,
    OperationResult,
    api_json,
    operation,
    reports_changes,
)
from desk_billing.core.operations.validation import require_id

ADDRESS_FIELDS = ("line1", "line2", "city", "postal_code", "state", "country")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{4,30}$")


@operation("customer.create")
def _create(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.customers.create(params, options)


@operation("customer.update")
def _update(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.customers.update(target, params, options)


@operation("customer.delete")
def _delete(v1: Any, target: str | None, params: dict[str, Any], options: dict[str, Any]) -> Any:
    return v1.customers.delete(target, params, options)


@dataclass(frozen=True)
class CustomerFields:
    """What the form edits; empty strings mean "clear" on edit."""

    name: str = ""
    email: str = ""
    phone: str = ""
    address: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)


def check_customer(fields: CustomerFields) -> CustomerFields:
    email = fields.email.strip()
    if email and not _EMAIL.match(email):
        raise ValidationError(f"'{email}' is not an email address.")
    phone = fields.phone.strip()
    if phone and not _PHONE.match(phone):
        raise ValidationError(f"'{phone}' is not a phone number.")
    address = {k: (fields.address.get(k) or "").strip() for k in ADDRESS_FIELDS}
    country = address["country"]
    if country and (len(country) != 2 or not country.isalpha()):
        raise ValidationError("The country is a two-letter code such as DE or US.")
    address["country"] = country.upper()
    metadata = {}
    for key, value in fields.metadata.items():
        key = key.strip()
        if not key:
            continue
        if len(key) > 40 or len(str(value)) > 500:
            raise ValidationError(
                "Metadata keys have at most 40 characters and values at most 500."
            )
        metadata[key] = str(value)
    if len(metadata) > 50:
        raise ValidationError("A customer can have at most 50 metadata keys.")
    return CustomerFields(fields.name.strip(), email, phone, address, metadata)


def _params(
    fields: CustomerFields, previous_metadata: Mapping[str, str] | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"name": fields.name, "email": fields.email, "phone": fields.phone}
    if any(fields.address.values()):
        params["address"] = dict(fields.address)
    elif previous_metadata is not None:  # editing, and every address field was emptied
        params["address"] = ""
    metadata: dict[str, str] = dict(fields.metadata)
    for key in previous_metadata or {}:
        metadata.setdefault(key, "")  # a key removed in the form is removed on Stripe
    if metadata:
        params["metadata"] = metadata
    return params


@reports_changes
def create_customer(journal: Journal, fields: CustomerFields) -> OperationResult:
    fields = check_customer(fields)
    if not fields.name and not fields.email:
        raise ValidationError("Give the customer a name or an email address.")
    params = {k: v for k, v in _params(fields).items() if v not in ("", None)}
    return journal.run(OperationRequest("customer.create", params, tag=True))


@reports_changes
def update_customer(journal: Journal, customer_id: str, fields: CustomerFields) -> OperationResult:
    customer_id = require_id(customer_id, ("cus_",), "customer")
    fields = check_customer(fields)
    with journal.gateway.errors():
        current = api_json(journal.gateway.client.v1.customers.retrieve(customer_id))
    if current.get("deleted"):
        raise ValidationError(f"Customer {customer_id} has been deleted.")
    params = _params(fields, current.get("metadata") or {})
    return journal.run(OperationRequest("customer.update", params, customer_id))


@reports_changes
def delete_customer(journal: Journal, customer_id: str, typed_confirmation: str) -> OperationResult:
    """Delete for good (Stripe cancels the customer's subscriptions); the id must be typed."""
    customer_id = require_id(customer_id, ("cus_",), "customer")
    if typed_confirmation.strip() != customer_id:
        raise ValidationError(f"Type {customer_id} to confirm the deletion.")
    return journal.run(OperationRequest("customer.delete", {}, customer_id))
