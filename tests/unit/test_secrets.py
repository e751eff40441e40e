"""API keys: shape checks, the keyring entry per profile, and never a plaintext file."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend

from desk_billing.core.errors import NoSecureKeyring, ValidationError
from desk_billing.core.secrets import (
    SERVICE,
    KeyInfo,
    KeyringStore,
    SessionKeyStore,
    check_key,
    default_key_store,
    insecure_reason,
    mask_key,
    resolve_api_key,
)

KEY = "sk_test_51HqLyjWDarjtT1zdp7dcXa0aBcDeFgHiJKLmN"


@pytest.mark.parametrize(
    ("key", "info"),
    [
        (KEY, KeyInfo("test", "secret")),
        ("sk_" + "live_51HqLyjWDarjtT1zdp7dc", KeyInfo("live", "secret")),
        ("rk_test_51HqLyjWDarjtT1zdp7dc", KeyInfo("test", "restricted")),
        ("  rk_" + "live_51HqLyjWDarjtT1zdp7dc\n", KeyInfo("live", "restricted")),
    ],
)
def test_accepted_keys_tell_mode_and_kind(key, info):
    assert check_key(key) == info


@pytest.mark.parametrize(
    ("key", "sentence"),
    [
        ("pk_test_51HqLyjWDarjtT1zdp7dc", "publishable key"),
        ("", "Paste a secret key"),
        ("   \n", "Paste a secret key"),
        ("sk_test_51Hq Lyj WDarjt", "contains spaces"),
        ("hello world", "contains spaces"),
        ("correcthorsebatterystaple", "does not look like a Stripe API key"),
        ("sk_prod_51HqLyjWDarjtT1zdp7dc", "does not look like a Stripe API key"),
        ("sk_test_", "does not look like a Stripe API key"),
        ("whsec_51HqLyjWDarjtT1zdp7dc", "webhook signing secret"),
    ],
)
def test_bad_keys_are_refused_with_a_sentence(key, sentence):
    with pytest.raises(ValidationError) as raised:
        check_key(key)
    message = str(raised.value)
    assert sentence in message
    assert message.endswith(".")
    assert len(key.strip()) < 10 or key.strip() not in message  # the key is not echoed back


def test_mask_key_keeps_prefix_and_last_four_only():
    assert mask_key(KEY) == "sk_test_…KLmN"
    assert mask_key("sk_test_short") == "sk_test_***"


def test_keyring_store_keeps_one_entry_per_profile(memory_keyring):
    store = KeyringStore()
    assert store.set("work", f"  {KEY}  ") == KeyInfo("test", "secret")
    store.set("other", "rk_" + "live_51HqLyjWDarjtT1zdp7dc")
    assert memory_keyring.passwords[(SERVICE, "work")] == KEY  # whitespace stripped
    assert store.get("work") == KEY
    assert store.get("other") == "rk_" + "live_51HqLyjWDarjtT1zdp7dc"
    store.delete("work")
    store.delete("work")  # forgetting twice is fine
    assert store.get("work") is None


def test_keyring_store_refuses_a_bad_key_before_storing(memory_keyring):
    with pytest.raises(ValidationError):
        KeyringStore().set("work", "pk_test_51HqLyjWDarjtT1zdp7dc")
    assert memory_keyring.passwords == {}


def test_environment_key_wins_over_the_keyring():
    KeyringStore().set("work", KEY)
    other = "sk_test_fromtheenvironment0001"
    assert resolve_api_key("work", env={"STRIPE_API_KEY": other}) == other
    assert resolve_api_key("work", env={}) == KEY
    assert resolve_api_key("nobody", env={}) is None


class PlaintextFileKeyring(KeyringBackend):
    """What keyrings.alt's PlaintextKeyring does: passwords in a file, readable by anyone."""

    priority = 0.5  # type: ignore[assignment]  # keyrings.alt gives its file backends a positive priority

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.file = folder / "keyring_pass.cfg"

    def set_password(self, service, username, password):
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with self.file.open("a") as handle:
            handle.write(f"[{service}]\n{username} = {password}\n")

    def get_password(self, service, username):
        return None

    def delete_password(self, service, username):
        return None


# Detection is by module (keyrings.alt) and class name ("Plaintext"), as for the real package.
PlaintextFileKeyring.__module__ = "keyrings.alt.file"
PlaintextFileKeyring.__name__ = PlaintextFileKeyring.__qualname__ = "PlaintextKeyring"


def _files_containing(root: Path, secret: str) -> list[Path]:
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if secret.encode() in path.read_bytes():
                found.append(path)
    return found


@pytest.mark.parametrize("backend_name", ["fail", "null", "plaintext"])
def test_without_a_secure_keyring_the_key_never_reaches_disk(backend_name, tmp_path, desk_home):
    backend = {
        "fail": lambda: keyring.backends.fail.Keyring(),
        "null": lambda: keyring.backends.null.Keyring(),
        "plaintext": lambda: PlaintextFileKeyring(desk_home / "data"),
    }[backend_name]()
    keyring.set_keyring(backend)
    assert insecure_reason() is not None

    with pytest.raises(NoSecureKeyring) as raised:
        KeyringStore().set("work", KEY)
    assert "session only" in str(raised.value)
    assert KEY not in str(raised.value)

    # The offer: a key for this session, usable but kept in memory only.
    store = default_key_store()
    assert isinstance(store, SessionKeyStore) and not store.persistent
    store.set("work", KEY)
    assert store.get("work") == KEY
    assert KeyringStore().get("work") is None

    assert _files_containing(tmp_path, KEY) == []


def test_the_plaintext_stand_in_really_writes_files(tmp_path):
    """Guards the test above: were detection to fail, this backend would leave the key on disk."""
    PlaintextFileKeyring(tmp_path).set_password(SERVICE, "work", KEY)
    assert _files_containing(tmp_path, KEY)


def test_secure_backends_pass_and_chainers_are_judged_by_their_members(memory_keyring):
    assert insecure_reason(memory_keyring) is None

    class Chain:
        def __init__(self, backends):
            self.backends = backends

    assert insecure_reason(Chain([memory_keyring])) is None
    assert insecure_reason(Chain([memory_keyring, keyring.backends.null.Keyring()])) is not None
    assert insecure_reason(Chain([])) is not None
