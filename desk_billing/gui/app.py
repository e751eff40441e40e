"""QApplication bootstrap: find (or ask for) the key, open the main window, run the event loop."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desk_billing.core.errors import DeskBillingError
from desk_billing.core.secrets import KeyringStore, SessionKeyStore, resolve_api_key
from desk_billing.gui.dialogs.errors import show_error
from desk_billing.gui.dialogs.key_setup import KeySetupDialog
from desk_billing.gui.main_window import MainWindow, make_session
from desk_billing.gui.resources import icon_path
from desk_billing.gui.tasks import TaskError, TaskRunner

if TYPE_CHECKING:
    from desk_billing.cli import Context

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


def run(ctx: Context, *, session_keys: SessionKeyStore | None = None, demo: bool = False) -> int:
    """Open the window for the context's profile; asks for a key on first run."""
    app = application()
    sys.excepthook = _excepthook
    session_keys = session_keys or SessionKeyStore()
    profile = ctx.profile
    try:
        key = session_keys.get(profile.name) or resolve_api_key(
            profile.name, KeyringStore(), ctx.env
        )
    except DeskBillingError as error:
        log.warning("No usable key for profile %s: %s", profile.name, error)
        key = None
    if not key:
        runner = TaskRunner()
        dialog = KeySetupDialog(runner, _profiles(ctx), session_keys, profile.name, ctx.api_base)
        accepted = dialog.exec()
        runner.shutdown()
        if not accepted or dialog.result_pair() is None:
            return 0
        profile, key = dialog.result_pair()  # type: ignore[misc]
    session = make_session(ctx.paths, ctx.settings, profile, key, ctx.api_base, demo)
    window = MainWindow(ctx.paths, session, session_keys)
    window.show()
    return app.exec()


def _profiles(ctx: Context) -> Any:
    from desk_billing.core.profiles import ProfileStore

    return ProfileStore(ctx.paths)
