"""`desk-billing webhooks list|create|delete`: the account's webhook endpoints. The signing secret
of a new endpoint goes to the keyring (the listener's), never to the screen."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("webhooks", help="webhook endpoints: list, create, delete")
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = verbs.add_parser(
        "list", parents=[subparsers.global_options], help="the endpoints of this account and mode"
    )
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    listing.set_defaults(handler=list_command)
    create = verbs.add_parser(
        "create",
        parents=[subparsers.global_options],
        help="a new endpoint (the essential events unless --event names others)",
    )
    create.add_argument("url", metavar="URL", help="https in live mode")
    create.add_argument(
        "--event", action="append", metavar="E", help="an event type to send; repeat for more"
    )
    create.set_defaults(handler=create_command)
    delete = verbs.add_parser(
        "delete", parents=[subparsers.global_options], help="delete an endpoint"
    )
    delete.add_argument("id", metavar="ID")
    delete.set_defaults(handler=delete_command)


def list_command(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.operations.webhooks import list_endpoints  # see the package docstring

    endpoints = list_endpoints(session.gateway())
    if args.json:
        data = {"endpoints": [e.as_json() for e in endpoints]}
        print(orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode())
        return EXIT_OK
    for e in endpoints:
        missing = e.covers()
        events = "all essential events" if not missing else f"{len(e.enabled_events)} events"
        print(f"{e.id}\t{e.status}\t{e.url}\t{events}\t{e.api_version or 'account default'}")
    return EXIT_OK


def create_command(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.operations.webhooks import check_events, check_url, create_endpoint

    check_url(args.url, session.mode)  # refused before any request when the mode is known
    check_events(args.event)
    session.bind_account()
    with session.journal() as journal:
        result = create_endpoint(journal, args.url, args.event)
    print(result.object["id"])
    return EXIT_OK


def delete_command(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.operations.webhooks import delete_endpoint

    session.bind_account()
    with session.journal() as journal:
        delete_endpoint(journal, args.id)
    print(f"{args.id} deleted")
    return EXIT_OK
