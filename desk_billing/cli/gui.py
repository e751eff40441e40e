"""`desk-billing` with no command: the window."""

from __future__ import annotations

import argparse
import importlib

from desk_billing.core.account import AccountSession
from desk_billing.core.errors import DeskBillingError


def open_gui(session: AccountSession, args: argparse.Namespace) -> int:
    # Imported by name, only here: a build without Qt still runs every other command.
    try:
        app = importlib.import_module("desk_billing.gui.app")
    except ModuleNotFoundError as error:
        if error.name != "desk_billing.gui.app":
            raise
        raise DeskBillingError(
            "The desktop window is not part of this build yet; try 'desk-billing --help'."
        ) from error
    return int(app.run(session) or 0)
