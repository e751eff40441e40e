"""Products and prices (one-time and recurring), as subscriptions and invoices use them."""

from __future__ import annotations

from typing import Any

from ..common import deleted, require
from ..errors import invalid
from ..listing import apply_metadata, paginate
from ..router import Call, api
from ..state import State


def create_product(state: State, params: dict[str, Any]) -> dict[str, Any]:
    now = params.get("_created") or state.now()
    product = state.insert(
        "products",
        {
            "id": params.get("id") or state.new_id("prod"),
            "object": "product",
            "active": params.get("active", True),
            "created": now,
            "default_price": None,
            "description": params.get("description"),
            "images": params.get("images") or [],
            "livemode": False,
            "marketing_features": [],
            "metadata": apply_metadata({}, params.get("metadata")),
            "name": params["name"],
            "package_dimensions": None,
            "shippable": params.get("shippable"),
            "statement_descriptor": params.get("statement_descriptor"),
            "tax_code": params.get("tax_code"),
            "tax_details": None,
            "type": "service",
            "unit_label": params.get("unit_label"),
            "updated": now,
            "url": params.get("url"),
        },
    )
    state.emit("product.created", product)
    data = params.get("default_price_data")
    if data:
        price = create_price(state, {**data, "product": product["id"]})
        previous = state.update(product, {"default_price": price["id"]})
        state.emit("product.updated", product, previous)
    return product


def create_price(state: State, params: dict[str, Any]) -> dict[str, Any]:
    product_id = params.get("product")
    if not product_id and params.get("product_data"):
        product_id = create_product(state, params["product_data"])["id"]
    if not product_id:
        raise invalid(
            "You must specify either `product` or `product_data` when creating a price.",
            param="product",
        )
    require(state, "products", product_id, "product", param="product")
    if (
        "unit_amount" not in params
        and "unit_amount_decimal" not in params
        and "custom_unit_amount" not in params
    ):
        raise invalid(
            "Missing required param: unit_amount.", param="unit_amount", code="parameter_missing"
        )
    amount = params.get("unit_amount")
    if amount is None and params.get("unit_amount_decimal") is not None:
        amount = int(float(params["unit_amount_decimal"]))
    if amount is not None and amount < 0:
        raise invalid("Invalid non-negative integer", param="unit_amount")
    recurring = params.get("recurring")
    claim_lookup_key(state, params.get("lookup_key"), params.get("transfer_lookup_key"), None)
    price = state.insert(
        "prices",
        {
            "id": state.new_id("price"),
            "object": "price",
            "active": params.get("active", True),
            "billing_scheme": params.get("billing_scheme", "per_unit"),
            "created": params.get("_created") or state.now(),
            "currency": params["currency"].lower(),
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": params.get("lookup_key"),
            "metadata": apply_metadata({}, params.get("metadata")),
            "nickname": params.get("nickname"),
            "product": product_id,
            "recurring": {
                "interval": recurring["interval"],
                "interval_count": recurring.get("interval_count", 1),
                "meter": None,
                "usage_type": recurring.get("usage_type", "licensed"),
                "trial_period_days": recurring.get("trial_period_days"),
            }
            if recurring
            else None,
            "tax_behavior": params.get("tax_behavior", "unspecified"),
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": amount,
            "unit_amount_decimal": str(amount) if amount is not None else None,
        },
    )
    state.emit("price.created", price)
    return price


def claim_lookup_key(
    state: State, lookup_key: str | None, transfer: bool | None, price_id: str | None
) -> None:
    """A lookup key names one price: taken by another, it is refused unless moved here."""
    if not lookup_key:
        return
    for other in state.newest_first("prices"):
        if other["lookup_key"] != lookup_key or other["id"] == price_id:
            continue
        if not transfer:
            raise invalid(
                f"A price (`{other['id']}`) already uses that lookup key.", param="lookup_key"
            )
        previous = state.update(other, {"lookup_key": None})
        state.emit("price.updated", other, previous)


@api.route("post", "/v1/products")
def create_product_route(call: Call) -> dict[str, Any]:
    return create_product(call.state, call.params)


@api.route("get", "/v1/products/{id}")
def retrieve_product(call: Call) -> dict[str, Any]:
    return require(call.state, "products", call.arg("id"), "product")


@api.route("post", "/v1/products/{id}")
def update_product(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    product = require(state, "products", call.arg("id"), "product")
    changes = {
        k: params[k] for k in ("active", "description", "name", "unit_label", "url") if k in params
    }
    if params.get("default_price"):
        price = require(state, "prices", params["default_price"], "price", param="default_price")
        if price["product"] != product["id"]:
            raise invalid(
                f"The price `{price['id']}` does not belong to this product; a product's default "
                "price must be one of its own prices.",
                param="default_price",
            )
        if not price["active"]:
            raise invalid("The default price of a product must be active.", param="default_price")
        changes["default_price"] = price["id"]
    elif params.get("default_price") == "":
        changes["default_price"] = None
    if "metadata" in params:
        changes["metadata"] = apply_metadata(product, params["metadata"])
    previous = state.update(product, changes)
    if previous:
        product["updated"] = state.now()
        state.emit("product.updated", product, previous)
    return product


@api.route("delete", "/v1/products/{id}")
def delete_product(call: Call) -> dict[str, Any]:
    state = call.state
    product = require(state, "products", call.arg("id"), "product")
    if any(p["product"] == product["id"] for p in state.newest_first("prices")):
        raise invalid(
            "This product cannot be deleted because it has one or more user-created prices.",
            param="id",
        )
    state.delete("products", product["id"])
    state.emit("product.deleted", product)
    return deleted(product["id"], "product")


@api.route("get", "/v1/products")
def list_products(call: Call) -> dict[str, Any]:
    active = call.params.get("active")
    keep = (lambda p: p["active"] == active) if active is not None else None
    return paginate(
        call, call.state.collection("products"), url="/v1/products", kind="product", keep=keep
    )


@api.route("post", "/v1/prices")
def create_price_route(call: Call) -> dict[str, Any]:
    return create_price(call.state, call.params)


@api.route("get", "/v1/prices/{price}")
def retrieve_price(call: Call) -> dict[str, Any]:
    return require(call.state, "prices", call.arg("price"), "price")


@api.route("post", "/v1/prices/{price}")
def update_price(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    price = require(state, "prices", call.arg("price"), "price")
    changes = {k: params[k] for k in ("active", "nickname", "tax_behavior") if k in params}
    for key in ("nickname", "lookup_key"):  # an empty string clears them
        if key in params:
            changes[key] = params[key] or None
    if changes.get("lookup_key"):
        claim_lookup_key(
            state, changes["lookup_key"], params.get("transfer_lookup_key"), price["id"]
        )
    if "metadata" in params:
        changes["metadata"] = apply_metadata(price, params["metadata"])
    previous = state.update(price, changes)
    if previous:
        state.emit("price.updated", price, previous)
    return price


@api.route("get", "/v1/prices")
def list_prices(call: Call) -> dict[str, Any]:
    params = call.params

    def keep(price: dict[str, Any]) -> bool:
        return (
            ("active" not in params or price["active"] == params["active"])
            and ("currency" not in params or price["currency"] == params["currency"].lower())
            and ("product" not in params or price["product"] == params["product"])
            and ("type" not in params or price["type"] == params["type"])
            and ("lookup_keys" not in params or price["lookup_key"] in params["lookup_keys"])
        )

    return paginate(
        call, call.state.collection("prices"), url="/v1/prices", kind="price", keep=keep
    )
