"""One open account: profile, key, mode, paths and settings, and the gateway, cache and journal
that reach it. The CLI and the GUI each make one `AccountSession` and pass it down.

The Stripe gateway is built here and nowhere else, once per session, on first use: importing the
SDK costs ~0.3 s, and neither `desk-billing info` nor the window's first paint should wait for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desk_billing import __version__
from desk_billing.core.cache import SCHEMA_VERSION, STATE_LAST_SYNC, TABLES, Cache
from desk_billing.core.errors import PermissionDenied, ValidationError
from desk_billing.core.profiles import (
    ENV_API_BASE,
    RECONCILE_INTERVAL_H,
    AppPaths,
    Profile,
    ProfileStore,
    Settings,
)
from desk_billing.core.secrets import (
    ENV_API_KEY,
    KeyStore,
    check_key,
    insecure_reason,
    resolve_api_key,
)

if TYPE_CHECKING:
    from desk_billing.core.gateway import Gateway
    from desk_billing.core.journal import Journal
    from desk_billing.core.sync import SyncEngine, SyncProgress

log = logging.getLogger(__name__)


class AccountSession:
    """Everything needed to reach one account in one mode. The key is held in memory only and
    never shown: not in `repr`, not in an exception (key checks name what is wrong, not the key).

    Without an explicit `key`, the key comes from STRIPE_API_KEY, else the profile's keyring
    entry, when first needed; the mode then comes from STRIPE_API_KEY or the profile.
    """

    def __init__(
        self,
        paths: AppPaths,
        profile: Profile,
        *,
        key: str | None = None,
        api_base: str | None = None,
        settings: Settings | None = None,
        env: Mapping[str, str] | None = None,
        demo: bool = False,
    ) -> None:
        self.paths = paths
        self.profile = profile
        self.env: Mapping[str, str] = os.environ if env is None else env
        self._key = key.strip() if key else None
        if self._key is not None:
            check_key(self._key)  # one sentence on what is wrong with it
        # --api-base (or the caller's choice) wins over STRIPE_API_BASE, then the profile's.
        base = api_base or self.env.get(ENV_API_BASE, "").strip() or profile.api_base
        self.api_base = base or None
        self.demo = demo
        self._settings = settings
        self._gateway: Gateway | None = None
        self._gateway_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"AccountSession(profile={self.profile.name!r}, mode={self.mode!r}, "
            f"api_base={self.api_base!r}, demo={self.demo})"
        )

    # -- who and where -------------------------------------------------------------------------
    @property
    def key_from_env(self) -> bool:
        """The key is STRIPE_API_KEY's (scripts, CI), not one handed in or the keyring's."""
        return self._key is None and bool(self.env.get(ENV_API_KEY, "").strip())

    @property
    def mode(self) -> str:
        """Test or live: from the key when it is known without asking the keyring, else what
        the profile says."""
        if self._key is not None:
            return check_key(self._key).mode
        if self.key_from_env:
            return check_key(self.env[ENV_API_KEY]).mode
        return self.profile.mode

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.load(self.paths)
        return self._settings

    @property
    def cache_path(self) -> Path:
        """This account's cache file (per account id and mode once `bind_account` ran)."""
        return self.paths.cache_path(self.profile, self.mode)

    def find_key(self, store: KeyStore | None = None) -> str | None:
        """The key to use, or None when there is none yet (the GUI then asks for one)."""
        return self._key or resolve_api_key(self.profile.name, store, env=self.env)

    def api_key(self) -> str:
        """The key to use; ValidationError when there is none."""
        key = self.find_key()
        if not key and insecure_reason() is not None:  # e.g. no D-Bus session, so no Secret Service
            raise ValidationError(
                f"No API key for profile '{self.profile.name}': no secure keyring (such as GNOME "
                f"Keyring or KWallet) is running to keep one; set {ENV_API_KEY}."
            )
        if not key:
            raise ValidationError(
                f"No API key for profile '{self.profile.name}'; set {ENV_API_KEY} or add the key in the app."
            )
        return key

    def with_profile(
        self, profile: Profile, key: str, api_base: str | None = None, *, demo: bool = False
    ) -> AccountSession:
        """Another account (or key) on the same paths, settings and environment."""
        return AccountSession(
            self.paths,
            profile,
            key=key,
            api_base=api_base,
            settings=self._settings,
            env=self.env,
            demo=demo,
        )

    # -- what reaches it -----------------------------------------------------------------------
    def gateway(self) -> Gateway:
        """The Stripe gateway of this session: built on first use, once, from any thread."""
        with self._gateway_lock:
            if self._gateway is None:
                # The SDK import (0.15-0.3 s) happens here, on the first call to Stripe.
                from desk_billing.core.gateway import Gateway

                self._gateway = Gateway.from_profile(
                    self.profile, self.api_key(), self.api_base, self.settings, env=self.env
                )
            return self._gateway

    @property
    def built_gateway(self) -> Gateway | None:
        """The gateway if a call to Stripe built it already (for its connection state), else None."""
        return self._gateway

    def cache(self) -> Cache:
        """This account's cache (created or migrated as needed), a connection for the calling
        thread: `with session.cache() as cache: ...` closes it."""
        return Cache.open(self.cache_path)

    @contextlib.contextmanager
    def journal(self) -> Iterator[Journal]:
        """The operation journal over a cache connection of the calling thread, for the block."""
        # Imported here, on the worker that runs the first operation, not before the window's
        # first paint (~20 ms); importing the operations registers every kind resume may replay.
        import desk_billing.core.operations  # noqa: F401
        from desk_billing.core.journal import Journal

        with self.cache() as cache:
            yield Journal(cache, self.gateway(), self.profile.name, env=self.env)

    def sync_engine(
        self,
        cache: Cache,
        *,
        progress: Callable[[SyncProgress], None] | None = None,
        cancel: threading.Event | None = None,
        concurrency: int = 4,
    ) -> SyncEngine:
        """The sync engine over `cache`, reconciling as often as the settings say (0: never)."""
        # ~15-25 ms of imports, on the worker that syncs first, not before the first paint.
        from desk_billing.core.sync import SyncEngine

        every = self.settings.get(RECONCILE_INTERVAL_H) * 3600
        return SyncEngine(
            self.gateway(),
            cache,
            progress=progress,
            cancel=cancel,
            concurrency=concurrency,
            reconcile_every_s=every or None,
        )

    def bind_account(self) -> Profile:
        """Learn which Stripe account the key belongs to and keep it in the profile. Call it
        before opening the cache: the cache file is per (account id, mode)."""
        self.profile = bind_account(self.paths, self.profile, self.gateway())
        return self.profile

    # -- what the cache says -------------------------------------------------------------------
    def last_sync_at(self) -> float | None:
        """When the cache was last synced; creates or migrates the cache file first."""
        with self.cache() as cache:
            return cache.state_get(STATE_LAST_SYNC)

    def info(self) -> dict[str, Any]:
        """What `desk-billing info` reports; it never creates a cache, nor needs a key."""
        path = self.cache_path
        counts = dict.fromkeys(TABLES, 0)
        last_sync = None
        if path.exists():
            with Cache.open(path) as cache:
                counts = cache.counts()
                last_sync = cache.state_get(STATE_LAST_SYNC)
        return {
            "version": __version__,
            "profile": self.profile.name,
            "mode": self.mode,
            "account_id": self.profile.account_id,
            "account_name": self.profile.account_name,
            "api_base": self.api_base,
            "key_from_env": self.key_from_env,
            "cache_path": str(path),
            "cache_exists": path.exists(),
            "schema_version": SCHEMA_VERSION,
            "last_sync_at": last_sync,
            "last_sync": iso_utc(last_sync),
            "row_counts": counts,
        }


def iso_utc(epoch: float | None) -> str | None:
    """An epoch as 2023-11-14T22:13:20Z, or None."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def account_name(account: Mapping[str, Any]) -> str | None:
    """What people call a Stripe account: its Dashboard name, else its business name, else email."""
    dashboard = (account.get("settings") or {}).get("dashboard") or {}
    business = account.get("business_profile") or {}
    return dashboard.get("display_name") or business.get("name") or account.get("email")


def bind_account(paths: AppPaths, profile: Profile, gateway: Any) -> Profile:
    """The profile, knowing its Stripe account (saved). A key of another account than the
    profile's is refused, so one account's data never lands in another's cache."""
    try:
        account = gateway.account()
    except PermissionDenied:
        log.info("The key may not read the account; the cache stays per profile")
        return profile
    account_id = account.get("id")
    if not isinstance(account_id, str):
        return profile
    if profile.account_id and profile.account_id != account_id:
        raise ValidationError(
            f"This key belongs to account {account_id}, but profile '{profile.name}' is for "
            f"{profile.account_id}; use another profile for it."
        )
    if profile.account_id is None:
        profile = profile.with_account(account_id, account_name(account))
        ProfileStore(paths).save(profile)
    return profile
