"""First run: a pasted key is checked with one call and stored in the keyring."""

from __future__ import annotations

from desk_billing.core.account import AccountSession
from desk_billing.core.profiles import AppPaths, Profile, ProfileStore
from desk_billing.core.secrets import SERVICE, SessionKeyStore
from desk_billing.gui.dialogs.key_setup import KeySetupDialog
from desk_billing.gui.tasks import TaskRunner
from tests.gui.seed import TEST_KEY


def make_dialog(qtbot, sandbox):
    runner = TaskRunner()
    paths = AppPaths.from_env()
    store = ProfileStore(paths)
    first_run = AccountSession(paths, Profile("main"), api_base=sandbox.url)
    dialog = KeySetupDialog(runner, first_run, SessionKeyStore(), "main")
    qtbot.addWidget(dialog)
    return dialog, store, runner


def test_key_is_checked_and_stored_in_the_keyring(qtbot, sandbox, memory_keyring):
    dialog, store, runner = make_dialog(qtbot, sandbox)
    dialog.key_edit.setText(TEST_KEY)
    with qtbot.waitSignal(dialog.checked, timeout=10000):
        dialog.check_button.click()
    assert sandbox.state.account_id in dialog.result_label.text()
    assert "test mode" in dialog.result_label.text()
    dialog.save()
    assert memory_keyring.passwords[(SERVICE, "main")] == TEST_KEY
    profile = store.find("main")
    assert profile.account_id == sandbox.state.account_id and profile.mode == "test"
    opened = dialog.result_session()  # the window opens this account next
    assert (opened.profile, opened.mode, opened.api_base) == (profile, "test", sandbox.url)
    assert opened.api_key() == TEST_KEY and TEST_KEY not in repr(opened)
    runner.shutdown()


def test_wrong_keys_get_one_sentence(qtbot, sandbox, memory_keyring):
    dialog, _store, runner = make_dialog(qtbot, sandbox)
    dialog.key_edit.setText("pk_test_abcdefghijklmnop")
    dialog.check_button.click()
    assert dialog.result_label.text().startswith("That is a publishable key")
    dialog.key_edit.setText("sk_" + "live_notakeythesandboxknows0000")  # the sandbox answers 401
    with qtbot.waitSignal(dialog.checked, timeout=10000):
        dialog.check_button.click()
    assert dialog.result_label.text().startswith("Stripe did not accept the API key")
    assert not memory_keyring.passwords
    runner.shutdown()
