"""The main window: a thin shell that assembles tabs, menus, banner and status bar around an
account session, and the one place that learns what changed in the cache (`apply_changes`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabWidget, QToolBar, QVBoxLayout, QWidget

from desk_billing.core.profiles import SYNC_INTERVAL_S, ProfileStore
from desk_billing.core.secrets import KeyringStore, SessionKeyStore
from desk_billing.gui.actions import ActionHub
from desk_billing.gui.audit_page import AuditPage
from desk_billing.gui.dialogs.errors import show_error
from desk_billing.gui.dialogs.key_setup import KeySetupDialog
from desk_billing.gui.profile_switcher import ProfileSwitcher
from desk_billing.gui.status_bar import Banner, ModeBadge, StatusBar
from desk_billing.gui.sync_controller import SyncController
from desk_billing.gui.tabs.activity import ActivityTab
from desk_billing.gui.tabs.base import ListTab
from desk_billing.gui.tabs.collections import CollectionsTab
from desk_billing.gui.tabs.customers import CustomersTab
from desk_billing.gui.tabs.invoices import InvoicesTab
from desk_billing.gui.tabs.overview import OverviewTab
from desk_billing.gui.tabs.payments import PaymentsTab
from desk_billing.gui.tabs.subscriptions import SubscriptionsTab
from desk_billing.gui.tasks import TaskControl, TaskError, TaskRunner

if TYPE_CHECKING:
    from desk_billing.core.account import AccountSession
    from desk_billing.core.sync import SyncReport

log = logging.getLogger(__name__)

TAB_CLASSES: tuple[type[ListTab], ...] = (
    OverviewTab,  # type: ignore[tuple-item]  # a ReportPage: the tab interface, not a list
    CustomersTab,
    InvoicesTab,
    SubscriptionsTab,
    PaymentsTab,
    ActivityTab,
    CollectionsTab,  # type: ignore[tuple-item]
)


def badge(session: AccountSession) -> str:
    """What the mode badge says: DEMO, TEST or LIVE."""
    return "DEMO" if session.demo else session.mode.upper()


def sync_changes(report: SyncReport) -> dict[str, frozenset[str]]:
    """What a sync changed, in the shape of OperationResult.changed. Its report leaves out the
    events it applied (they are kept as they arrive), which the Activity tab lists."""
    from desk_billing.core.sync.common import ALL_ROWS  # loaded by the sync that reported

    changed = dict(report.changed)
    if report.events_applied:
        changed.setdefault("events", frozenset({ALL_ROWS}))
    return changed


class MainWindow(QMainWindow):
    def __init__(
        self,
        session: AccountSession,
        session_keys: SessionKeyStore | None = None,
        *,
        sync_on_start: bool = True,
    ) -> None:
        super().__init__()
        self.paths = paths = session.paths
        self.profiles = ProfileStore(paths)
        self.session_keys = session_keys or SessionKeyStore()
        self.settings = QSettings(str(paths.config / "window.ini"), QSettings.Format.IniFormat)
        self.runner = TaskRunner(self)
        self.session: AccountSession = session
        self.sync: SyncController | None = None
        self.tabs_by_class: dict[type[ListTab], ListTab] = {}
        self.operations: ActionHub | None = None
        self.audit: AuditPage | None = None
        self._sync_on_start = sync_on_start
        self._build()
        self.set_session(session)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.banner = Banner()
        self.banner.action_clicked.connect(self._banner_action)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(self._mirror_actions)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.status = StatusBar()
        self.status.sync_requested.connect(self.sync_now)
        self.setStatusBar(self.status)

        self.switcher = ProfileSwitcher()
        self.switcher.switched.connect(self.switch_profile)
        self.switcher.add_requested.connect(lambda: self.add_profile())
        toolbar = QToolBar("Account")
        toolbar.setObjectName("account-toolbar")
        toolbar.setMovable(False)
        self.toolbar_badge = ModeBadge()
        toolbar.addWidget(self.toolbar_badge)
        toolbar.addWidget(self.switcher)
        self.sync_action = QAction("Sync now", self, shortcut=QKeySequence(Qt.Key.Key_F5))
        self.sync_action.setToolTip("Fetch what changed in Stripe (F5)")
        self.sync_action.triggered.connect(self.sync_now)
        toolbar.addAction(self.sync_action)
        self.addToolBar(toolbar)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction("Export current list as CSV…", self._export_current)
        file_menu.addSeparator()
        file_menu.addAction("Quit", QKeySequence.StandardKey.Quit, self.close)
        account_menu = menu.addMenu("&Account")
        account_menu.addAction(self.sync_action)
        account_menu.addAction("Add profile…", lambda: self.add_profile())
        account_menu.addAction("Change the key of this profile…", self.change_key)
        view_menu = menu.addMenu("&View")
        find = QAction("Search", self, shortcut=QKeySequence.StandardKey.Find)
        find.triggered.connect(self.focus_search)
        view_menu.addAction(find)
        # A menu reads "&" as a mnemonic too: the tabs' "&&" is what shows one ampersand.
        titles = [cls.title for cls in TAB_CLASSES] + ["Audit"]
        for number, title in enumerate(titles, start=1):
            action = QAction(title, self, shortcut=QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, i=number - 1: self.tabs.setCurrentIndex(i))
            view_menu.addAction(action)
        self.actions_menu = menu.addMenu("A&ctions")  # the current tab's buttons

        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._heartbeat)
        self._tick.start()

    # -- sessions -------------------------------------------------------------------------
    def set_session(self, session: AccountSession) -> None:
        """Show another account: new tabs over its cache, its own sync."""
        if self.sync is not None:
            self.sync.stop()
            self.sync.deleteLater()
        self._save_tab_states()
        self.session = session
        sync = SyncController(session, self.runner, self)
        if self.operations is not None:
            self.operations.deleteLater()
        self.operations = operations = ActionHub(self.runner, session, self)
        self.operations.message.connect(lambda text: self.status.show_message(text, 10000))
        self.operations.changed.connect(self.apply_changes)

        def opened(last_sync: Any) -> None:
            self.status.set_last_sync(last_sync)
            # Operations a crash or a lost connection left unconfirmed are settled (on a worker).
            operations.resume_unfinished()

        # The db lane runs one query at a time in order, so the tabs' first queries find the file.
        def open_cache(control: TaskControl) -> float | None:
            return session.last_sync_at()  # creates or migrates the file

        self.runner.run(open_cache, success=opened, error=self.report_error, lane="db")
        current = self.settings.value("window/tab", 0, type=int)
        self.tabs.blockSignals(True)  # the Actions menu follows once the new tabs are in
        while self.tabs.count():
            old = self.tabs.widget(0)
            self.tabs.removeTab(0)
            old.deleteLater()
        self.tabs_by_class = {}
        for cls in TAB_CLASSES:
            tab = cls(self.runner, session.cache_path, session.mode)
            tab.message.connect(lambda text: self.status.show_message(text, 5000))
            tab.error.connect(self.report_error)
            tab.restore_state(self.settings)
            tab.install_actions(self.operations)
            self.tabs.addTab(tab, cls.title)
            self.tabs_by_class[cls] = tab
        self.audit = AuditPage(self.operations)
        self.tabs.addTab(self.audit, "Audit")
        self.tabs.blockSignals(False)
        self.tabs.setCurrentIndex(min(max(current, 0), self.tabs.count() - 1))
        self._mirror_actions()

        profile = session.profile
        account = profile.account_name or profile.account_id or "account not checked yet"
        self.status.set_account(badge(session), f"{account}  ·  profile {profile.name}")
        self.toolbar_badge.set_mode(badge(session))
        self.status.set_connection("")
        self.switcher.set_profiles(self.profiles.all(), profile, session.demo)
        title = f"desk-billing — {account}"
        self.setWindowTitle(f"{title} [{badge(session)}]")
        self.banner.clear()
        if session.mode == "live" and not session.demo:
            self.banner.show_message("live", "LIVE mode: these are real customers and real money.")

        self.sync = sync
        self.sync.started.connect(lambda: self.status.syncing(True))
        self.sync.progress.connect(self.status.show_progress)
        self.sync.synced.connect(self._synced)
        self.sync.failed.connect(self._sync_failed)
        self.sync.state_changed.connect(self.status.set_connection)
        if self._sync_on_start:
            self.sync.start()

    def switch_profile(self, name: str) -> None:
        profile = self.profiles.resolve(name)
        key = self.session_keys.get(name) or KeyringStore().get(name)
        if not key:
            self.add_profile(name)
            return
        self.set_session(self.session.with_profile(profile, key))

    def add_profile(self, name: str = "") -> KeySetupDialog:
        dialog = KeySetupDialog(self.runner, self.session, self.session_keys, name or "", self)
        dialog.accepted.connect(lambda: self._profile_added(dialog))
        dialog.rejected.connect(
            lambda: self.switcher.set_profiles(
                self.profiles.all(), self.session.profile, self.session.demo
            )
        )
        dialog.open()
        return dialog

    def change_key(self) -> KeySetupDialog:
        return self.add_profile(self.session.profile.name)

    def _profile_added(self, dialog: KeySetupDialog) -> None:
        session = dialog.result_session()
        if session is not None:
            self.set_session(session)

    # -- what changed --------------------------------------------------------------------
    @Slot(object)
    def apply_changes(self, changed: Mapping[str, frozenset[str]]) -> None:
        """The one hook for what changed in the cache: an operation's result, a resume of the
        journal, a sync. Every page re-reads the rows it shows of those tables."""
        for tab in self.tabs_by_class.values():
            tab.refresh(changed)
        if self.audit is not None:
            self.audit.refresh(changed)

    # -- sync -----------------------------------------------------------------------------
    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.sync_now()

    def _synced(self, report: Any) -> None:
        self.status.syncing(False)
        self.status.set_last_sync(self.sync.last_sync_at)
        if self.banner.kind not in ("live", "demo"):
            self.banner.clear()
        self.apply_changes(sync_changes(report))
        objects = sum((getattr(report, "objects", None) or {}).values())
        self.status.show_message(f"Sync done: {objects:,} objects updated.", 5000)

    def _sync_failed(self, failure: TaskError) -> None:
        self.status.syncing(False)
        self.status.set_last_sync(self.sync.last_sync_at if self.sync else None)
        if not failure.expected:
            show_error(self, failure, "Sync failed")
        state = self.sync.state if self.sync else "error"
        interval = self.session.settings.get(SYNC_INTERVAL_S)
        if state == "offline":
            text = (
                f"Offline: {failure.message} Showing the local copy; retrying every {interval} s."
            )
            self.banner.show_message("offline", text, "Retry now")
        elif state == "key_rejected":
            self.banner.show_message("key_rejected", failure.message, "Change key…")
        elif state == "throttled":
            self.banner.show_message("throttled", failure.message, "Retry now")
        else:
            self.banner.show_message(state, f"Sync failed: {failure.message}", "Retry now")

    def _banner_action(self, kind: str) -> None:
        if kind == "key_rejected":
            self.change_key()
        else:
            self.sync_now()

    def _heartbeat(self) -> None:
        self.status.tick()
        state = self.sync.connection_state() if self.sync else None
        if state is not None and self.sync.state in ("", "throttled", "offline"):
            if state.offline:
                self.status.set_connection("offline")
            elif state.throttled:
                self.status.set_connection("throttled")
            elif self.sync.state == "":
                self.status.set_connection("")

    # -- errors, keys, state --------------------------------------------------------------
    def report_error(self, failure: TaskError) -> None:
        """Expected errors: one sentence in the status bar; unexpected: a dialog with details."""
        if failure.expected:
            self.status.show_message(failure.message, 10000)
        else:
            show_error(self, failure)

    def current_tab(self) -> ListTab | AuditPage:
        return self.tabs.currentWidget()

    def _mirror_actions(self, _index: int = -1) -> None:
        if self.operations is not None:
            self.operations.mirror(self.actions_menu, self.tabs.currentWidget())

    def tab(self, cls: type[ListTab]) -> ListTab:
        return self.tabs_by_class[cls]

    def focus_search(self) -> None:
        tab = self.current_tab()
        if not isinstance(tab, ListTab):
            return
        tab.search.setFocus()
        tab.search.selectAll()

    def _export_current(self) -> None:
        tab = self.current_tab()
        if isinstance(tab, ListTab):
            tab._ask_export()
        else:
            tab.export_action.trigger()

    def _save_tab_states(self) -> None:
        for tab in self.tabs_by_class.values():
            tab.save_state(self.settings)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self._save_tab_states()
        self.settings.sync()
        self._tick.stop()
        if self.sync is not None:
            self.sync.stop()
        self.runner.shutdown()
        super().closeEvent(event)
