"""`desk-billing sync`: backfill as needed, apply new events, print a summary; `--watch` polls on."""

from __future__ import annotations

import argparse
import threading
from typing import Any

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession
from desk_billing.core.errors import ValidationError
from desk_billing.core.profiles import SYNC_INTERVAL_S


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sync", help="backfill as needed, apply new events, print a summary"
    )
    parser.add_argument("--full", action="store_true", help="list everything again (full backfill)")
    parser.add_argument("--watch", action="store_true", help="keep polling until interrupted")
    parser.add_argument(
        "--interval",
        type=float,
        metavar="S",
        help="seconds between polls (default: sync_interval_s)",
    )
    parser.add_argument(
        "--listen",
        type=int,
        metavar="PORT",
        help="with --watch, also take signed webhooks on 127.0.0.1:PORT/webhook "
        "(secret from STRIPE_WEBHOOK_SECRET or the keyring)",
    )
    parser.set_defaults(handler=sync)


def sync(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.core.sync import format_report, watch  # ~15 ms; only when syncing

    if args.listen is not None and not args.watch:
        raise ValidationError("--listen needs --watch.")
    session.bind_account()  # before the cache: its file is per account
    with session.cache() as cache:
        engine = session.sync_engine(cache)
        print(format_report(engine.run(full=args.full), cache), flush=True)
        if not args.watch:
            return EXIT_OK
        interval = args.interval or session.settings.get(SYNC_INTERVAL_S)
        listener = _webhook_listener(session, args.listen) if args.listen is not None else None
        try:
            watch(
                engine,
                interval,
                out=lambda line: print(line, flush=True),
                stop=threading.Event(),
                webhooks=listener.received if listener else None,
            )
        except KeyboardInterrupt:
            return EXIT_OK
        finally:
            if listener is not None:
                listener.stop()
    return EXIT_OK


def _webhook_listener(session: AccountSession, port: int) -> Any:
    from desk_billing.core.webhook_listener import WebhookListener, webhook_secret  # the SDK

    secret = webhook_secret(session.profile.name, session.env)
    if not secret:
        raise ValidationError(
            "No webhook signing secret; set STRIPE_WEBHOOK_SECRET or save it for this profile."
        )
    listener = WebhookListener(secret, port=port)
    print(f"Listening for webhooks on {listener.start()}", flush=True)
    return listener
