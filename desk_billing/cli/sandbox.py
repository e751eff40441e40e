"""`desk-billing sandbox` (the local Stripe-compatible server in the foreground) and
`desk-billing demo` (the app on a fresh sandbox account with sample data).

The CLI is the one place that wires the sandbox to the app (DESIGN.md): it builds the demo's
profile, key and session here and hands them to the GUI.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from typing import Any

from desk_billing.cli.common import EXIT_OK
from desk_billing.core.account import AccountSession
from desk_billing.core.errors import DeskBillingError, ValidationError
from desk_billing.core.profiles import Profile
from desk_billing.core.secrets import SessionKeyStore

# Any sk_test_ key opens the sandbox; held in memory for the session, never in the keyring.
DEMO_KEY = "sk_test_demo00000000000000000000"


def add_sandbox_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="run the local Stripe-compatible sandbox server in the foreground"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=12111, help="port (default 12111; 0 = any free)"
    )
    parser.add_argument("--seed", choices=["demo", "empty"], default="empty", help="initial data")
    parser.add_argument(
        "--latency-ms", type=int, default=0, metavar="N", help="delay every API request"
    )
    parser.add_argument(
        "--rate-limit", type=float, default=None, metavar="RPS", help="answer 429 above this rate"
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share of mutating requests that fail (half 500, half dropped after the change)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.set_defaults(handler=serve_sandbox)


def add_demo_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="open the app on a local sandbox account with sample data (nothing to set up)"
    )
    parser.set_defaults(handler=open_demo)


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # ends serve_forever the same way Ctrl+C does


def serve_sandbox(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.sandbox import Sandbox  # ~0.4 s to import; only these two commands use it

    if not 0.0 <= args.fault_rate <= 1.0:
        raise ValidationError("--fault-rate must be between 0 and 1.")
    sandbox = Sandbox(
        seed=args.seed,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        fault_rate=args.fault_rate,
        verbose=args.verbose,
    )
    try:
        url = sandbox.bind(args.host, args.port)
    except OSError as error:
        raise DeskBillingError(
            f"Cannot listen on {args.host}:{args.port}: {error.strerror}."
        ) from error
    print(url, flush=True)
    print(
        "Stripe-compatible sandbox; any sk_test_ key works. Point the app at it with "
        f"--api-base {url}. Ctrl+C stops it.",
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return EXIT_OK


def open_demo(session: AccountSession, args: argparse.Namespace) -> int:
    from desk_billing.sandbox import Sandbox  # ~0.4 s to import; only these two commands use it

    # The GUI (~0.5 s of Qt) only for the commands that open it.
    gui = importlib.import_module("desk_billing.gui.app")
    with Sandbox(seed="demo") as sandbox:
        profile = Profile(
            "demo", "test", api_base=sandbox.url, account_name=sandbox.state.account_name
        )
        # No environment: a STRIPE_API_KEY or STRIPE_API_BASE of the shell never reaches the demo.
        demo = AccountSession(
            session.paths, profile, key=DEMO_KEY, api_base=sandbox.url, env={}, demo=True
        )
        # The sandbox is new on every run, so is its cache.
        cache = demo.cache_path
        for stale in (
            cache,
            cache.with_name(cache.name + "-wal"),
            cache.with_name(cache.name + "-shm"),
        ):
            stale.unlink(missing_ok=True)
        keys = SessionKeyStore()
        keys.set(profile.name, DEMO_KEY)  # switching back to the demo profile finds it
        return int(gui.run(demo, session_keys=keys) or 0)
