"""`desk-billing products list|create` and `desk-billing prices create|archive`: the catalogue
(the operations are `core.operations.catalog`; lists are read fresh from Stripe)."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession
from desk_billing.core.money import format_amount


def add_parser(subparsers: Any) -> None:
    products = subparsers.add_parser("products", help="the catalogue's products: list, create")
    verbs = products.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = verbs.add_parser(
        "list",
        parents=[subparsers.global_options],
        help="every product with its prices, from Stripe",
    )
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    listing.set_defaults(handler=list_products)
    create = verbs.add_parser(
        "create", parents=[subparsers.global_options], help="a new product; prints its id"
    )
    create.add_argument("--name", required=True, metavar="N")
    create.add_argument("--description", default="", metavar="D")
    create.set_defaults(handler=create_product)

    prices = subparsers.add_parser("prices", help="a product's prices: create, archive")
    verbs = prices.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = verbs.add_parser(
        "create",
        parents=[subparsers.global_options],
        help="a new price of a product; prints its id",
    )
    create.add_argument("product", metavar="PRODUCT_ID")
    create.add_argument(
        "--amount",
        required=True,
        metavar="A",
        help="in the currency's units: 12.50, 1200 JPY, 1.500 KWD",
    )
    create.add_argument("--currency", required=True, metavar="C", help="three letters, e.g. EUR")
    create.add_argument(
        "--interval",
        choices=["day", "week", "month", "year"],
        help="recurring every…; none: one-time",
    )
    create.add_argument("--interval-count", type=int, default=1, metavar="N")
    create.add_argument("--nickname", default="", metavar="X")
    create.add_argument("--lookup-key", default="", metavar="K")
    create.set_defaults(handler=create_price)
    archive = verbs.add_parser(
        "archive",
        parents=[subparsers.global_options],
        help="stop selling a price (Stripe never deletes one; its subscriptions go on)",
    )
    archive.add_argument("price", metavar="PRICE_ID")
    archive.set_defaults(handler=archive_price)


def _price_json(price: dict[str, Any]) -> dict[str, Any]:
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "active": price["active"],
        "currency": price["currency"],
        "unit_amount": price.get("unit_amount"),
        "type": price.get("type"),
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "nickname": price.get("nickname"),
        "lookup_key": price.get("lookup_key"),
    }


def _describe(price: dict[str, Any]) -> str:
    amount = format_amount(price["unit_amount"] or 0, price["currency"])
    if price["interval"]:
        count = price["interval_count"] or 1
        amount += f" every {count} {price['interval']}s" if count > 1 else f" / {price['interval']}"
    extra = [x for x in (price["nickname"], price["lookup_key"]) if x]
    state = "" if price["active"] else " (archived)"
    return f"{price['id']}\t{amount}{state}" + (f"\t{' · '.join(extra)}" if extra else "")


def list_products(session: AccountSession, args: argparse.Namespace) -> int:
    gateway = session.gateway()
    with gateway.errors():
        v1 = gateway.client.v1
        by_product: dict[str, list[dict[str, Any]]] = {}
        for price in v1.prices.list({"limit": 100}).auto_paging_iter():
            by_product.setdefault(price.product, []).append(_price_json(price.to_dict()))
        products = [
            {
                "id": p.id,
                "name": p.name,
                "description": p.description,
                "active": p.active,
                "default_price": p.default_price,
                "prices": by_product.get(p.id, []),
            }
            for p in v1.products.list({"limit": 100}).auto_paging_iter()
        ]
    if args.json:
        print(orjson.dumps({"products": products}, option=orjson.OPT_SORT_KEYS).decode())
        return EXIT_OK
    for product in products:
        state = "" if product["active"] else " (archived)"
        print(f"{product['id']}\t{product['name']}{state}")
        for price in product["prices"]:
            mark = "*" if price["id"] == product["default_price"] else " "
            print(f"  {mark} {_describe(price)}")
    return EXIT_OK


def create_product(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.operations import catalog  # see the package's docstring

    fields = catalog.check_product(catalog.ProductFields(args.name, args.description))
    session.bind_account()  # the journal is per account
    with session.journal() as journal:
        result = catalog.create_product(journal, fields)
    print(result.object["id"])
    return EXIT_OK


def create_price(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.operations import catalog

    plan = catalog.check_price(  # before a key is even needed
        catalog.PriceFields(
            args.product, args.amount, args.currency, args.interval, args.interval_count,
            args.nickname, args.lookup_key,
        )
    )  # fmt: skip
    session.bind_account()
    with session.journal() as journal:
        result = catalog.create_price(journal, plan)
    print(result.object["id"])
    return EXIT_OK


def archive_price(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.operations import catalog

    session.bind_account()
    with session.journal() as journal:
        result = catalog.set_price_active(journal, args.price, False)
        in_use = catalog.subscriptions_on_price(journal.gateway, result.object["id"])
    note = f"; {in_use} subscription(s) go on billing at it" if in_use else ""
    print(f"{result.object['id']} archived{note}")
    return EXIT_OK
