"""What every command module shares: exit statuses and the global options."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_global_options(parser: argparse.ArgumentParser, in_sub_command: bool) -> None:
    # In sub-commands the default is SUPPRESS, so a value given before the sub-command is not
    # overwritten by the sub-parser's default: `--profile X info` and `info --profile X` agree.
    default = argparse.SUPPRESS if in_sub_command else None
    parser.add_argument("--profile", metavar="NAME", default=default, help="profile to use")
    parser.add_argument(
        "--api-base",
        metavar="URL",
        default=default,
        help="Stripe-compatible server to talk to (overrides STRIPE_API_BASE)",
    )
