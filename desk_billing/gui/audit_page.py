"""The Audit tab's page: the journal view, built when first shown, and its menu actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desk_billing.gui.actions import ActionHub

if TYPE_CHECKING:
    from desk_billing.core.journal import Changes
    from desk_billing.gui.tabs.audit import AuditView


class AuditPage(QWidget):
    """Holds the AuditView once the tab is first shown (its module loads the journal's then)."""

    def __init__(self, hub: ActionHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.view: AuditView | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self.retry_action = QAction("Retry unfinished operations", self)
        self.retry_action.triggered.connect(self.retry)
        self.export_action = QAction("Export the journal as CSV…", self)
        self.export_action.triggered.connect(lambda: self.ensure().ask_export())
        self.reload_action = QAction("Reload the journal", self)
        self.reload_action.triggered.connect(lambda: self.ensure().reload())
        hub.register(self, [self.retry_action, self.export_action, self.reload_action])

    def ensure(self) -> AuditView:
        if self.view is None:
            from desk_billing.gui.tabs.audit import AuditView  # when first shown

            self.view = AuditView(self.hub.runner, self.hub.session, self)
            self.view.message.connect(self.hub.message.emit)
            # A retry may have finished operations: the window refreshes what it wrote.
            self.view.resumed.connect(lambda report: self.hub.changed.emit(report.changed))
            self._layout.addWidget(self.view)
        return self.view

    def retry(self) -> None:
        self.ensure().resume()

    def refresh(self, changed: Changes) -> None:
        """The window's hook: the journal view re-reads its rows when an operation wrote some."""
        if self.view is not None:
            self.view.refresh(changed)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.ensure()
