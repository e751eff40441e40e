"""The profile switcher: every saved account, test and live side by side, plus "Add profile…"."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from desk_billing.core.profiles import Profile

ADD = "__add__"


class ProfileSwitcher(QComboBox):
    switched = Signal(str)  # a profile name
    add_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(260)
        self.setToolTip("Switch between accounts and modes")
        self._current = ""
        self.activated.connect(self._activated)

    def set_profiles(self, profiles: list[Profile], current: Profile, demo: bool = False) -> None:
        self.blockSignals(True)
        self.clear()
        known = {p.name: p for p in profiles}
        known.setdefault(current.name, current)
        for profile in sorted(known.values(), key=lambda p: (p.mode != "live", p.name)):
            self.addItem(self.label(profile, demo and profile.name == current.name), profile.name)
        if not demo:
            self.insertSeparator(self.count())
            self.addItem("Add profile…", ADD)
        self._current = current.name
        self.setCurrentIndex(self.findData(current.name))
        self.blockSignals(False)

    @staticmethod
    def label(profile: Profile, demo: bool = False) -> str:
        mode = "DEMO" if demo else profile.mode.upper()
        account = profile.account_name or profile.account_id or "account not checked yet"
        return f"{profile.name} — {account} [{mode}]"

    def _activated(self, index: int) -> None:
        name = self.itemData(index)
        if name == ADD:
            self.setCurrentIndex(self.findData(self._current))
            self.add_requested.emit()
        elif name and name != self._current:
            self.switched.emit(name)
