"""QApplication bootstrap: find (or ask for) the key of the session the CLI made, open the main
window on it, run the event loop."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desk_billing.core.errors import DeskBillingError
from desk_billing.core.secrets import KeyringStore, SessionKeyStore
from desk_billing.gui.dialogs.errors import show_error
from desk_billing.gui.dialogs.key_setup import KeySetupDialog
from desk_billing.gui.main_window import MainWindow
from desk_billing.gui.resources import icon_path
from desk_billing.gui.tasks import TaskError, TaskRunner

if TYPE_CHECKING:
    from desk_billing.core.account import AccountSession

log = logging.getLogger(__name__)


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("desk-billing")
    app.setOrganizationName("desk-billing")
    app.setWindowIcon(QIcon(str(icon_path("app.svg"))))
    return app  # type: ignore[return-value]


def _excepthook(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    """Exceptions escaping a slot: logged with the traceback, shown with "copy details"."""
    details = "".join(traceback.format_exception(kind, error, tb))
    log.error("Unexpected error\n%s", details)
    message = f"Something unexpected went wrong ({kind.__name__}: {error})."
    show_error(QApplication.activeWindow(), TaskError(message, False, error, details))


def run(session: AccountSession, *, session_keys: SessionKeyStore | None = None) -> int:
    """Open the window on the session's account; asks for a key when it has none (first run).
    `session_keys` holds keys kept for this run only (the demo's, or when no keyring exists)."""
    app = application()
    sys.excepthook = _excepthook
    session_keys = session_keys or SessionKeyStore()
    profile = session.profile
    try:
        key = session_keys.get(profile.name) or session.find_key(KeyringStore())
    except DeskBillingError as error:
        log.warning("No usable key for profile %s: %s", profile.name, error)
        key = None
    if key:
        # The key now known, the mode comes from it.
        opened = session.with_profile(profile, key, session.api_base, demo=session.demo)
    else:
        runner = TaskRunner()
        dialog = KeySetupDialog(runner, session, session_keys, profile.name)
        accepted = dialog.exec()
        runner.shutdown()
        chosen = dialog.result_session()
        if not accepted or chosen is None:
            return 0
        opened = chosen
    window = MainWindow(opened, session_keys)
    window.show()
    return app.exec()
