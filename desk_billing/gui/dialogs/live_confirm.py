"""Live-mode confirmation: the person types the amount (or the id); Confirm stays disabled until
what is typed matches."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.operations.confirm import LiveConfirmation


class LiveConfirmDialog(QDialog):
    def __init__(self, confirmation: LiveConfirmation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Confirm in live mode")
        self.confirmation = confirmation
        prompt = QLabel(confirmation.prompt() + ":")
        prompt.setWordWrap(True)
        self.typed = QLineEdit()
        self.typed.setPlaceholderText(confirmation.expected)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.confirm_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.confirm_button.setText("Confirm")
        self.confirm_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.typed.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.typed)
        layout.addWidget(self.buttons)

    def _check(self, text: str) -> None:
        self.confirm_button.setEnabled(self.confirmation.matches(text))

    def accept(self) -> None:
        if self.confirmation.matches(self.typed.text()):
            super().accept()
