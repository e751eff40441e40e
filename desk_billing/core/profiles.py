"""Profiles (which account, which mode), where files live, and the registry of non-secret settings.

Nothing here ever holds an API key: keys live in `core.secrets`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import orjson
import platformdirs

from desk_billing.core.errors import ValidationError

APP_NAME = "desk-billing"
ENV_HOME = "DESK_BILLING_HOME"
ENV_API_BASE = "STRIPE_API_BASE"  # another Stripe-compatible server (the sandbox, a proxy)
DEFAULT_PROFILE = "default"

log = logging.getLogger(__name__)
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Profile:
    """A named connection: the mode the user expects, the account once known, an optional API base."""

    name: str
    mode: Literal["test", "live"] = "test"
    account_id: str | None = None
    api_base: str | None = None
    account_name: str | None = None

    def with_account(self, account_id: str, account_name: str | None = None) -> Profile:
        """The same profile, now knowing which Stripe account its key belongs to."""
        return replace(self, account_id=account_id, account_name=account_name)


def check_profile_name(name: str) -> str:
    """A name usable as a keyring user and in file names; ValidationError otherwise."""
    if not _PROFILE_NAME.match(name or ""):
        raise ValidationError(
            f"'{name}' cannot be a profile name; use letters, digits, '.', '_' or '-' (at most 64)."
        )
    return name


@dataclass(frozen=True)
class AppPaths:
    """Where the program writes. Directories are created only when something is written there."""

    data: Path
    config: Path
    log: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppPaths:
        """Everything under `DESK_BILLING_HOME` when set, else the platform's user directories."""
        env = os.environ if env is None else env
        home = env.get(ENV_HOME, "").strip()
        if home:
            root = Path(home).expanduser().resolve()
            return cls(data=root / "data", config=root / "config", log=root / "logs")
        return cls(
            data=platformdirs.user_data_path(APP_NAME, appauthor=False),
            config=platformdirs.user_config_path(APP_NAME, appauthor=False),
            log=platformdirs.user_log_path(APP_NAME, appauthor=False),
        )

    @property
    def cache(self) -> Path:
        """SQLite caches. Under data, not the OS cache dir: they hold the operation journal too."""
        return self.data / "cache"

    @property
    def profiles_file(self) -> Path:
        return self.config / "profiles.json"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.log / "desk-billing.jsonl"

    def cache_path(self, profile: Profile, mode: str | None = None) -> Path:
        """One SQLite file per (account id, mode); a per-profile name until the account is known."""
        mode = mode or profile.mode
        if profile.account_id:
            stem = f"{profile.account_id}-{mode}"
        else:
            stem = f"profile-{profile.name}-{mode}"
        return self.cache / f"{stem}.sqlite3"


def write_json_atomically(path: Path, value: Any) -> None:
    """Replace `path` with `value` as JSON so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError as error:
        raise ValidationError(f"{path} is not valid JSON ({error}); fix or remove it.") from error


class ProfileStore:
    """Profiles in `profiles.json`: {"default": name, "profiles": {name: {...}}}."""

    def __init__(self, paths: AppPaths) -> None:
        self._path = paths.profiles_file

    def _load(self) -> dict[str, Any]:
        raw = _read_json(self._path) or {}
        return {"default": raw.get("default"), "profiles": raw.get("profiles", {})}

    def all(self) -> list[Profile]:
        """Every saved profile, by name."""
        profiles = self._load()["profiles"]
        return [self._from_dict(name, profiles[name]) for name in sorted(profiles)]

    def find(self, name: str) -> Profile | None:
        """The saved profile of that name, or None."""
        data = self._load()["profiles"].get(name)
        return None if data is None else self._from_dict(name, data)

    def default_name(self) -> str:
        """The profile used when none is named."""
        return self._load()["default"] or DEFAULT_PROFILE

    def resolve(self, name: str | None) -> Profile:
        """The named (or default) profile; an unsaved name gives a fresh test-mode profile."""
        name = check_profile_name(name or self.default_name())
        return self.find(name) or Profile(name=name)

    def save(self, profile: Profile, make_default: bool = False) -> None:
        """Add or replace a profile."""
        check_profile_name(profile.name)
        data = self._load()
        fields = asdict(profile)
        fields.pop("name")
        data["profiles"][profile.name] = fields
        if make_default or not data["default"]:
            data["default"] = profile.name
        write_json_atomically(self._path, data)

    def remove(self, name: str) -> None:
        """Forget a profile (its key is removed separately, through `core.secrets`)."""
        data = self._load()
        if data["profiles"].pop(name, None) is None:
            return
        if data["default"] == name:
            data["default"] = next(iter(sorted(data["profiles"])), None)
        write_json_atomically(self._path, data)

    @staticmethod
    def _from_dict(name: str, data: Mapping[str, Any]) -> Profile:
        known = {k: data.get(k) for k in ("mode", "account_id", "api_base", "account_name")}
        known["mode"] = known["mode"] if known["mode"] in ("test", "live") else "test"
        return Profile(name=name, **known)


T = TypeVar("T", int, float, str, bool)
_TYPE_WORDS = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One declared non-secret setting: a key, a type, a default, an optional range."""

    key: str
    type_: type[T]
    default: T
    description: str
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, value: Any) -> T:
        """The value as this setting's type, or ValidationError with a sentence."""
        try:
            if self.type_ is bool and not isinstance(value, bool):
                raise TypeError
            converted = self.type_(value)
        except (TypeError, ValueError) as error:
            kind = _TYPE_WORDS.get(self.type_, self.type_.__name__)
            raise ValidationError(f"{self.key} must be {kind}.") from error
        if self.minimum is not None and converted < self.minimum:  # type: ignore[operator]
            raise ValidationError(f"{self.key} must be at least {self.minimum}.")
        if self.maximum is not None and converted > self.maximum:  # type: ignore[operator]
            raise ValidationError(f"{self.key} must be at most {self.maximum}.")
        return converted


SETTINGS: dict[str, Setting[Any]] = {}


def _declare(setting: Setting[T]) -> Setting[T]:
    SETTINGS[setting.key] = setting
    return setting


SYNC_INTERVAL_S = _declare(
    Setting(
        "sync_interval_s", int, 60, "Seconds between event polls while the app is open.", 5, 3600
    )
)
# The slow safety net of the sync engine: list everything again and compare, for the rare
# change Stripe never made an event for.
RECONCILE_INTERVAL_H = _declare(
    Setting(
        "reconcile_interval_h",
        float,
        24.0,
        "Hours between full reconciliations with Stripe (list again, compare); 0 turns them off.",
        0,
        24 * 30,
    )
)
# Below Stripe's ceilings (25 req/s test, 100 req/s live) so other tools on the key still fit.
RATE_LIMIT_TEST_RPS = _declare(
    Setting("rate_limit_test_rps", float, 20.0, "Most requests per second in test mode.", 0.1, 25)
)
RATE_LIMIT_LIVE_RPS = _declare(
    Setting("rate_limit_live_rps", float, 80.0, "Most requests per second in live mode.", 0.1, 100)
)
# stripe-python reports each request's id and duration to Stripe with the next request and keeps
# an install id under ~/.config/stripe; a finance back-office sends nothing unasked.
SDK_TELEMETRY = _declare(
    Setting(
        "sdk_telemetry",
        bool,
        False,
        "Let the Stripe SDK send request timings to Stripe (its id is kept in the config folder).",
    )
)
REQUEST_TIMEOUT_S = _declare(
    Setting("request_timeout_s", float, 30.0, "Seconds to wait for one Stripe response.", 1, 300)
)
MAX_NETWORK_RETRIES = _declare(
    Setting("max_network_retries", int, 3, "Retries of a request after a network error.", 0, 10)
)


@dataclass
class Settings:
    """Values of the declared settings, stored in `settings.json`; unknown keys are kept untouched."""

    path: Path
    _values: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def load(cls, paths: AppPaths) -> Settings:
        settings = cls(paths.settings_file)
        settings._values = _read_json(settings.path) or {}
        return settings

    def get(self, setting: Setting[T]) -> T:
        """The stored value, or the default when unset or no longer valid."""
        if setting.key not in self._values:
            return setting.default
        try:
            return setting.coerce(self._values[setting.key])
        except ValidationError as error:
            log.warning("Ignoring %s in %s: %s", setting.key, self.path, error)
            return setting.default

    def set(self, setting: Setting[T], value: Any) -> None:
        """Validate and store a value."""
        self._values[setting.key] = setting.coerce(value)
        write_json_atomically(self.path, self._values)
