"""The Stripe API key: checks on its shape, storage in the OS keyring, never in a plaintext file.

One keyring entry per profile (service "desk-billing", username = profile name). When the
keyring has no secure backend the key can only be held in memory for this session.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from desk_billing.core.errors import DeskBillingError, NoSecureKeyring, ValidationError

SERVICE = "desk-billing"
ENV_API_KEY = "STRIPE_API_KEY"

_KEY = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$")
_NO_KEYRING_MODULES = ("keyring.backends.fail", "keyring.backends.null")


@dataclass(frozen=True)
class KeyInfo:
    """What a key tells about itself: its mode and whether it is restricted."""

    mode: Literal["test", "live"]
    kind: Literal["secret", "restricted"]


def check_key(text: str) -> KeyInfo:
    """Validate a pasted key (surrounding whitespace ignored); ValidationError says what is wrong."""
    key = (text or "").strip()
    if not key:
        raise ValidationError(
            "Paste a secret key (sk_…) or a restricted key (rk_…) from the Stripe Dashboard."
        )
    if key.startswith("pk_"):
        raise ValidationError(
            "That is a publishable key (pk_…), which cannot read or change data; paste the secret (sk_…) or restricted (rk_…) key."
        )
    if any(c.isspace() for c in key):
        raise ValidationError("The key contains spaces or line breaks; copy it again in one piece.")
    if key.startswith("whsec_"):
        raise ValidationError("That is a webhook signing secret (whsec_…), not an API key.")
    match = _KEY.match(key)
    if match is None:
        raise ValidationError(
            "That does not look like a Stripe API key; keys start with sk_test_, sk_live_, rk_test_ or rk_live_."
        )
    kind = "secret" if match.group(1) == "sk" else "restricted"
    return KeyInfo(mode=match.group(2), kind=kind)  # type: ignore[arg-type]


def mask_key(key: str) -> str:
    """A key shown safely: "sk_test_…4242" (Stripe's dashboard also shows the last four)."""
    match = re.match(r"^((?:sk|rk|pk)_(?:test|live)_|whsec_)", key)
    prefix = match.group(1) if match else ""
    rest = key[len(prefix) :]
    return f"{prefix}…{rest[-4:]}" if len(rest) >= 12 else f"{prefix}***"


def insecure_reason(backend: KeyringBackend | None = None) -> str | None:
    """Why the keyring backend cannot hold a secret, or None when it is a secure one.

    Refused: keyring's fail and null backends, any keyrings.alt backend (plaintext or
    file-based), a backend whose class name says "Plaintext", one with priority <= 0, and
    a chainer that includes any of those.
    """
    backend = backend if backend is not None else keyring.get_keyring()
    chained = getattr(backend, "backends", None)
    if chained is not None:
        if not chained:
            return "No secure keyring is available on this computer."
        reasons = [insecure_reason(b) for b in chained]
        return next((r for r in reasons if r), None)
    cls = type(backend)
    name = f"{cls.__module__}.{cls.__name__}"
    if cls.__module__.startswith(_NO_KEYRING_MODULES):
        return (
            "No secure keyring (GNOME Keyring, KWallet, macOS Keychain or Windows Credential "
            "Manager) is available on this computer, so the key is not saved."
        )
    if cls.__module__.startswith("keyrings.alt") or "plaintext" in cls.__name__.lower():
        return (
            f"The keyring backend {name} keeps keys in plain files, so the key is not saved there."
        )
    try:
        priority = float(backend.priority)
    except Exception as error:  # a backend that cannot even say its priority is not usable
        return f"The keyring backend {cls.__name__} is not usable ({error})."
    if priority <= 0:
        return f"The keyring backend {cls.__name__} is not recommended by keyring, so the key is not saved."
    return None


class KeyStore(Protocol):
    """Where a profile's key is kept."""

    persistent: bool

    def get(self, profile: str) -> str | None: ...
    def set(self, profile: str, key: str) -> KeyInfo: ...
    def delete(self, profile: str) -> None: ...


class KeyringStore:
    """Keys in the OS keyring; refuses to store when the backend is not secure."""

    persistent = True

    def get(self, profile: str) -> str | None:
        """The stored key of the profile, or None (also when no secure keyring exists)."""
        if insecure_reason() is not None:
            return None
        try:
            return keyring.get_password(SERVICE, profile)
        except keyring.errors.KeyringError as error:
            raise DeskBillingError(f"The keyring could not be read: {error}.") from error

    def set(self, profile: str, key: str) -> KeyInfo:
        """Check and store the key of the profile; NoSecureKeyring when it cannot be kept safely."""
        clean = key.strip()
        info = check_key(clean)
        reason = insecure_reason()
        if reason is not None:
            raise NoSecureKeyring(reason + " You can use the key for this session only.")
        try:
            keyring.set_password(SERVICE, profile, clean)
        except keyring.errors.KeyringError as error:
            raise DeskBillingError(f"The keyring refused to store the key: {error}.") from error
        return info

    def delete(self, profile: str) -> None:
        """Forget the profile's key; nothing happens when there is none."""
        if insecure_reason() is not None:
            return
        try:
            keyring.delete_password(SERVICE, profile)
        except keyring.errors.PasswordDeleteError:
            return  # nothing stored: forgetting is already done


class SessionKeyStore:
    """Keys held in memory for this run only, the offer when no secure keyring exists."""

    persistent = False

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    def get(self, profile: str) -> str | None:
        """The key given earlier in this session, or None."""
        return self._keys.get(profile)

    def set(self, profile: str, key: str) -> KeyInfo:
        """Check and hold the key until the program ends."""
        clean = key.strip()
        info = check_key(clean)
        self._keys[profile] = clean
        return info

    def delete(self, profile: str) -> None:
        """Forget the key."""
        self._keys.pop(profile, None)


def default_key_store() -> KeyStore:
    """The keyring when it is secure, else a session-only store (the caller should say so)."""
    return KeyringStore() if insecure_reason() is None else SessionKeyStore()


def resolve_api_key(
    profile: str, store: KeyStore | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """`STRIPE_API_KEY` when set (scripts, CI), else the profile's stored key, else None."""
    env = os.environ if env is None else env
    from_env = env.get(ENV_API_KEY, "").strip()
    if from_env:
        check_key(from_env)
        return from_env
    return (store or KeyringStore()).get(profile)
