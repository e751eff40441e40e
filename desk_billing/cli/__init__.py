"""The command line: the GUI by default, sub-commands for scripting. Each command group is a
module here that parses, calls core and prints; what a command does lives in core.

Adding a sub-command: in its module, write an `add_parser(subparsers)` that builds its parser and
calls `parser.set_defaults(handler=<function(session, args) -> int>)`, then list it in
`SUB_COMMANDS`. Handlers get the `AccountSession` built from the global options and the
environment, and raise `DeskBillingError` for anything the user should read; `main` turns that
into one line and exit 1.

Command modules import the core they run inside their handlers (the SDK ~0.15-0.3 s, the
sandbox ~0.4 s, the sync and the operations ~15-25 ms each): building the parser imports every
command module, and neither `desk-billing` alone (the window, whose first paint is measured from
process start) nor `info` should wait for what other commands use.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from desk_billing import __version__
from desk_billing.cli import (
    catalog,
    golive,
    info,
    invoices,
    journal,
    logs,
    refund,
    report,
    sandbox,
    sync,
    webhooks,
)
from desk_billing.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, add_global_options
from desk_billing.cli.gui import open_gui
from desk_billing.core.account import AccountSession
from desk_billing.core.errors import DeskBillingError
from desk_billing.core.logging import mask_secrets, setup_logging
from desk_billing.core.profiles import AppPaths, ProfileStore

log = logging.getLogger(__name__)

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

SUB_COMMANDS: list[Callable[[Any], None]] = [
    info.add_parser,
    sandbox.add_sandbox_parser,
    sync.add_parser,
    sandbox.add_demo_parser,
    invoices.add_parser,
    refund.add_parser,
    journal.add_parser,
    report.add_parser,
    logs.add_parser,
    catalog.add_parser,
    webhooks.add_parser,
    golive.add_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The full parser; with no sub-command the GUI opens."""
    parser = argparse.ArgumentParser(
        prog="desk-billing",
        description="A desktop back-office for a Stripe account. Without a command, opens the app.",
        epilog="Environment: STRIPE_API_KEY (key, overrides the keyring), STRIPE_API_BASE, "
        "DESK_BILLING_HOME (where everything is written).",
    )
    parser.add_argument("--version", action="version", version=f"desk-billing {__version__}")
    add_global_options(parser, in_sub_command=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    add_global_options(common, in_sub_command=True)
    for add in SUB_COMMANDS:
        add(_SubParsers(subparsers, common))
    parser.set_defaults(handler=open_gui)
    return parser


class _SubParsers:
    """Hands `add_parser` to sub-command builders with the global options already attached."""

    def __init__(self, subparsers: Any, common: argparse.ArgumentParser) -> None:
        self._subparsers = subparsers
        self._common = common

    @property
    def global_options(self) -> argparse.ArgumentParser:
        """A parent parser of the global options, for the verbs of a command group."""
        return self._common

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("parents", []).append(self._common)
        kwargs.setdefault("description", kwargs.get("help"))
        return self._subparsers.add_parser(name, **kwargs)


def session_for(args: argparse.Namespace, env: dict[str, str]) -> AccountSession:
    """The account the global options and the environment name."""
    paths = AppPaths.from_env(env)
    profile = ProfileStore(paths).resolve(getattr(args, "profile", None))
    return AccountSession(paths, profile, api_base=getattr(args, "api_base", None), env=env)


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> int:
    """Parse, run one command, turn errors into one line on stderr and an exit status."""
    env = dict(os.environ) if env is None else env
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version (0) and usage errors (2)
        return int(stop.code or 0)
    paths: AppPaths | None = None
    try:
        paths = AppPaths.from_env(env)
        setup_logging(paths.log_file)
        return args.handler(session_for(args, env), args)
    except DeskBillingError as error:
        print(f"desk-billing: {mask_secrets(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("desk-billing: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the last line of defence: a traceback goes to the log only
        log.exception("Unexpected error")
        where = paths.log_file if paths is not None else "the log"
        print(
            f"desk-billing: unexpected error ({type(error).__name__}); details are in {where}.",
            file=sys.stderr,
        )
        return EXIT_ERROR
