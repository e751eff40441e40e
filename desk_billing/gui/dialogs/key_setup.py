"""First run and "Add profile": paste a key, check it with one API call, store it in the keyring
(or, when no secure keyring exists and the user agrees, for this session only)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_billing.core.account import AccountSession, account_name
from desk_billing.core.errors import DeskBillingError, NoSecureKeyring
from desk_billing.core.profiles import Profile, ProfileStore, check_profile_name
from desk_billing.core.secrets import KeyringStore, SessionKeyStore, check_key, insecure_reason
from desk_billing.gui.tasks import TaskError, TaskRunner


@dataclass(frozen=True)
class CheckedKey:
    """What one call to Stripe said about a key."""

    mode: str
    account_id: str
    account_name: str | None


def check_account(session: AccountSession) -> CheckedKey:
    """Runs on a worker: retrieve the account the session's key belongs to."""
    account = session.gateway().account()
    return CheckedKey(session.mode, account["id"], account_name(account))


class KeySetupDialog(QDialog):
    """Paste key -> Check -> Save. `result_session()` is the account it opens once accepted.

    `session` is the account the window shows (or would show): its paths, API base and
    environment carry over to the new profile.
    """

    checked = Signal(object)  # CheckedKey, or TaskError

    def __init__(
        self,
        runner: TaskRunner,
        session: AccountSession,
        session_keys: SessionKeyStore,
        profile_name: str = "default",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect a Stripe account")
        self.setMinimumWidth(520)
        self._runner, self._session_keys = runner, session_keys
        self._session = session
        self._store = ProfileStore(session.paths)
        self._api_base = session.api_base
        self._checked: CheckedKey | None = None
        self.profile: Profile | None = None
        self.api_key: str | None = None

        intro = QLabel(
            "Paste a secret key (sk_…) or a restricted key (rk_…) from the Stripe Dashboard "
            "(Developers → API keys). It is checked with one call to Stripe and kept in the "
            "system keyring, never in a file."
        )
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(profile_name)
        self.key_edit = QLineEdit(placeholderText="sk_test_… or rk_live_…")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.textChanged.connect(self._key_changed)
        self.check_button = QPushButton("Check key")
        self.check_button.clicked.connect(self.check)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.session_only = QCheckBox("Keep the key for this session only")
        reason = insecure_reason()
        if reason:
            self.session_only.setChecked(True)
            self.session_only.setEnabled(False)
            self.session_only.setToolTip(reason)
            self.session_only.setText(f"For this session only: {reason}")

        form = QFormLayout()
        form.addRow("Profile name", self.name_edit)
        form.addRow("API key", self.key_edit)
        form.addRow("", self.check_button)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addWidget(self.session_only)
        layout.addWidget(self.buttons)

    def _key_changed(self) -> None:
        self._checked = None
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.result_label.setText("")

    def check(self) -> None:
        key = self.key_edit.text().strip()
        try:
            name = check_profile_name(self.name_edit.text().strip())
            info = check_key(key)
        except DeskBillingError as error:
            self._show_error(error.message)
            return
        self.check_button.setEnabled(False)
        self.result_label.setText("Checking with Stripe…")
        profile = Profile(name=name, mode=info.mode, api_base=self._api_base)
        candidate = self._session.with_profile(profile, key, self._api_base)
        self._runner.run(
            lambda control: check_account(candidate),
            success=self._on_checked,
            error=self._on_failed,
        )

    def _on_checked(self, checked: CheckedKey) -> None:
        self._checked = checked
        self.check_button.setEnabled(True)
        mode = "LIVE mode — real money" if checked.mode == "live" else "test mode"
        colour = "#b42318" if checked.mode == "live" else "#0b6b2a"
        self.result_label.setStyleSheet(f"color: {colour};")
        self.result_label.setText(
            f"✔ {checked.account_name or 'Account'} ({checked.account_id}), {mode}."
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
        self.checked.emit(checked)

    def _on_failed(self, failure: TaskError) -> None:
        self.check_button.setEnabled(True)
        self._show_error(failure.message)
        self.checked.emit(failure)

    def _show_error(self, message: str) -> None:
        self.result_label.setStyleSheet("color: #b42318;")
        self.result_label.setText(message)

    def save(self) -> None:
        """Store the key (keyring, or session only) and the profile; then close."""
        if self._checked is None:
            return
        key = self.key_edit.text().strip()
        name = self.name_edit.text().strip()
        try:
            if self.session_only.isChecked():
                self._session_keys.set(name, key)
            else:
                KeyringStore().set(name, key)
        except NoSecureKeyring as error:
            self.session_only.setChecked(True)
            self._show_error(error.message)
            return
        except DeskBillingError as error:
            self._show_error(error.message)
            return
        checked = self._checked
        profile = Profile(
            name=name,
            mode=checked.mode,
            api_base=self._api_base,  # type: ignore[arg-type]
        ).with_account(checked.account_id, checked.account_name)
        self._store.save(profile)
        self.profile, self.api_key = profile, key
        self.accept()

    def result_session(self) -> AccountSession | None:
        """The account to open: the saved profile with its key (None until accepted)."""
        if self.profile is None or self.api_key is None:
            return None
        return self._session.with_profile(self.profile, self.api_key, self._api_base)
