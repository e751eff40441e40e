"""The status bar (mode badge, account, last sync, progress, connection) and the banner above
the tabs that says plainly when the app is offline, throttled or its key was rejected."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QWidget,
)

from desk_billing.gui import formatting

BADGE_STYLES = {
    "LIVE": "background:#c62828; color:white;",
    "TEST": "background:#f59e0b; color:#1f1300;",
    "DEMO": "background:#6d28d9; color:white;",
}


class ModeBadge(QLabel):
    """TEST / LIVE / DEMO in a coloured block: live mode is red and cannot be missed."""

    def set_mode(self, badge: str) -> None:
        self.setText(f"  {badge} MODE  " if badge != "DEMO" else "  DEMO  ")
        style = BADGE_STYLES.get(badge, BADGE_STYLES["TEST"])
        self.setStyleSheet(
            f"QLabel {{ {style} font-weight: bold; border-radius: 3px; padding: 2px 6px; }}"
        )
        self.setToolTip(
            {
                "LIVE": "Live mode: real customers and real money.",
                "TEST": "Test mode: Stripe test data, no real money moves.",
                "DEMO": "Demo: a local sandbox account with sample data; nothing leaves this computer.",
            }.get(badge, "")
        )


class StatusBar(QStatusBar):
    sync_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.badge = ModeBadge()
        self.account = QLabel()
        self.sync_label = QLabel("Not synced yet")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: sync totals are not known in advance
        self.progress.setMaximumWidth(120)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.connection = QLabel()
        self.message = QLabel()
        self._message_timer = QTimer(self, singleShot=True)
        self._message_timer.timeout.connect(self.message.clear)
        self.sync_button = QPushButton("Sync now (F5)")
        self.sync_button.setFlat(True)
        self.sync_button.clicked.connect(self.sync_requested.emit)
        # Permanent widgets: QStatusBar.showMessage would hide the badge while a message shows.
        self.addPermanentWidget(self.badge)
        self.addPermanentWidget(self.account)
        self.addPermanentWidget(self.message, 1)
        self.addPermanentWidget(self.connection)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.sync_label)
        self.addPermanentWidget(self.sync_button)
        self._last_sync: float | None = None

    def show_message(self, text: str, timeout_ms: int = 5000) -> None:
        self.message.setText(f"   {text}")
        self._message_timer.start(timeout_ms)

    def set_account(self, badge: str, text: str) -> None:
        self.badge.set_mode(badge)
        self.account.setText(f"  {text}")

    def set_last_sync(self, epoch: float | None) -> None:
        self._last_sync = epoch
        self.sync_label.setText(
            f"Synced {formatting.ago_text(epoch)}" if epoch else "Not synced yet"
        )

    def tick(self) -> None:
        """Keeps "synced 3 min ago" true as time passes."""
        if self._last_sync and not self.progress.isVisible():
            self.set_last_sync(self._last_sync)

    def syncing(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.sync_button.setEnabled(not on)
        if on:
            self.sync_label.setText("Syncing…")

    def show_progress(self, progress: Any) -> None:
        resource = getattr(progress, "resource", "")
        objects = getattr(progress, "objects", 0) or 0
        rate = getattr(progress, "rate", 0) or 0
        text = f"Syncing {resource.replace('_', ' ')}: {objects:,} objects"
        if rate:
            text += f" ({rate:,.0f}/s)"
        self.sync_label.setText(text)

    def set_connection(self, state: str) -> None:
        texts = {
            "offline": ("● Offline", "#b42318"),
            "throttled": ("● Throttled by Stripe", "#8a5a00"),
            "key_rejected": ("● Key rejected", "#b42318"),
            "forbidden": ("● Permission missing", "#8a5a00"),
            "error": ("● Sync failed", "#b42318"),
            "": ("● Online", "#0b6b2a"),
        }
        text, colour = texts.get(state, texts["error"])
        self.connection.setText(text)
        self.connection.setStyleSheet(f"color: {colour}; font-weight: bold;")


class Banner(QFrame):
    """A strip across the window for states that change what the user can trust."""

    action_clicked = Signal(str)

    STYLES = {
        "offline": "#fff4ce",
        "throttled": "#fff4ce",
        "forbidden": "#fff4ce",
        "key_rejected": "#fde0df",
        "error": "#fde0df",
        "demo": "#ede9fe",
        "live": "#fde0df",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton()
        self.button.clicked.connect(lambda: self.action_clicked.emit(self.kind))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_message(self, kind: str, text: str, action: str = "") -> None:
        self.kind = kind
        self.label.setText(text)
        self.button.setText(action)
        self.button.setVisible(bool(action))
        colour = self.STYLES.get(kind, "#fff4ce")
        self.setStyleSheet(f"Banner {{ background: {colour}; border-bottom: 1px solid #d0c8a0; }}")
        self.show()

    def clear(self, kind: str | None = None) -> None:
        if kind is None or kind == self.kind:
            self.kind = ""
            self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() or self.kind else ""
