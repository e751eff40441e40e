"""Shared test setup: Qt offscreen, a fresh DESK_BILLING_HOME and an in-memory keyring per test,
and the sandbox (a Stripe-compatible server on loopback) the app and the SDK talk to over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

# Before anything imports Qt: tests never open a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402

from desk_billing.sandbox import Sandbox  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A secure-looking keyring that keeps passwords in a dict (tests only)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture(autouse=True)
def desk_home(tmp_path, monkeypatch):
    """Each test writes under its own DESK_BILLING_HOME; key and API base come from nowhere."""
    home = tmp_path / "desk-home"
    monkeypatch.setenv("DESK_BILLING_HOME", str(home))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring():
    """The in-memory keyring for the test; the previous backend comes back afterwards."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _sandbox_options(node: Any) -> dict[str, Any]:
    marker = node.get_closest_marker("sandbox")
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh sandbox account for the test, on a free loopback port. Options of `Sandbox`
    (`seed="demo"`, `fault_seed=1`, ...) come from `@pytest.mark.sandbox(...)` on the test or
    from its module's `pytestmark`."""
    with Sandbox(**_sandbox_options(request.node)) as sb:
        yield sb


@pytest.fixture(scope="module")
def module_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """One sandbox for all the tests of a module: for accounts seeded once that the tests only
    read. Options from the module's `pytestmark = pytest.mark.sandbox(...)`."""
    with Sandbox(**_sandbox_options(request.node)) as sb:
        yield sb
