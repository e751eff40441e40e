"""GUI fixtures: a sandbox account seeded through the SDK, and the main window synced over HTTP."""

from __future__ import annotations

import pytest

from desk_billing.core.account import AccountSession
from desk_billing.core.profiles import MAX_NETWORK_RETRIES, AppPaths, Profile, Settings
from desk_billing.gui.main_window import MainWindow
from desk_billing.sandbox import Sandbox
from tests.gui.seed import TEST_KEY, Seeded, client_for, seed_account
from tests.sandbox.conftest import every_response_has_stripes_shape  # noqa: F401 - autouse

# A restricted key with every permission; revoking it makes Stripe answer 401.
ALL_READ_WRITE = dict.fromkeys(
    ["customer", "product", "price", "payment_method", "payment_intent", "charge", "refund",
     "subscription", "invoice", "credit_note", "event", "balance", "account"],
    "write",
)  # fmt: skip


@pytest.fixture
def seeded(sandbox: Sandbox) -> Seeded:
    return seed_account(client_for(sandbox.url), rich=False)


@pytest.fixture
def open_window(qtbot, sandbox):
    """Opens the window on the sandbox with a key, waits for the first sync."""
    windows = []

    def open_(key: str = TEST_KEY, wait_sync: bool = True) -> MainWindow:
        paths = AppPaths.from_env()
        settings = Settings.load(paths)
        settings.set(MAX_NETWORK_RETRIES, 0)  # offline tests fail fast
        profile = Profile("gui-test", "test", account_name="GUI test account", api_base=sandbox.url)
        session = AccountSession(paths, profile, key=key, api_base=sandbox.url, settings=settings)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        windows.append(window)
        if wait_sync:
            qtbot.waitUntil(lambda: window.sync.last_sync_at is not None, timeout=15000)
            qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
        return window

    yield open_
    for window in windows:
        window.close()


@pytest.fixture
def window(seeded, open_window) -> MainWindow:
    return open_window()


@pytest.fixture
def restricted_key(sandbox) -> str:
    key = "rk_test_guirestricted0000000001"
    sandbox.register_restricted_key(key, ALL_READ_WRITE)
    return key
