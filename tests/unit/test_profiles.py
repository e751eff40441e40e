"""Profiles, where files go, and the settings registry."""

from __future__ import annotations

import pytest

from desk_billing.core.errors import ValidationError
from desk_billing.core.profiles import (
    RATE_LIMIT_TEST_RPS,
    SETTINGS,
    SYNC_INTERVAL_S,
    AppPaths,
    Profile,
    ProfileStore,
    Settings,
)


def test_everything_lives_under_desk_billing_home(desk_home):
    paths = AppPaths.from_env()
    for folder in (paths.data, paths.config, paths.log, paths.cache):
        assert folder.is_relative_to(desk_home)
    assert not desk_home.exists()  # nothing is created until something is written


def test_platform_directories_without_desk_billing_home():
    paths = AppPaths.from_env({})
    assert "desk-billing" in str(paths.data) and "desk-billing" in str(paths.config)


def test_one_cache_file_per_account_and_mode():
    paths = AppPaths.from_env()
    known = Profile("work", account_id="acct_123")
    assert paths.cache_path(known, "test").name == "acct_123-test.sqlite3"
    assert paths.cache_path(known, "live").name == "acct_123-live.sqlite3"
    assert paths.cache_path(Profile("work")).name == "profile-work-test.sqlite3"
    assert paths.cache_path(known, "test").parent == paths.cache


def test_profiles_round_trip_and_the_first_becomes_default(desk_home):
    store = ProfileStore(AppPaths.from_env())
    assert store.resolve(None) == Profile("default")
    store.save(Profile("work", api_base="http://127.0.0.1:9999"))
    store.save(Profile("live", mode="live").with_account("acct_9", "Acme Ltd"))
    assert store.default_name() == "work"
    assert store.resolve(None).api_base == "http://127.0.0.1:9999"
    assert store.find("live") == Profile("live", "live", "acct_9", None, "Acme Ltd")
    assert [p.name for p in store.all()] == ["live", "work"]
    store.remove("work")
    assert store.default_name() == "live"
    assert (desk_home / "config" / "profiles.json").exists()


@pytest.mark.parametrize("name", ["has space", "../escape", "x" * 65])
def test_profile_names_that_cannot_be_file_names_are_refused(name):
    with pytest.raises(ValidationError):
        ProfileStore(AppPaths.from_env()).resolve(name)


def test_settings_are_declared_typed_and_checked():
    paths = AppPaths.from_env()
    settings = Settings.load(paths)
    assert settings.get(SYNC_INTERVAL_S) == 60
    settings.set(RATE_LIMIT_TEST_RPS, "12.5")
    assert Settings.load(paths).get(RATE_LIMIT_TEST_RPS) == 12.5
    with pytest.raises(ValidationError, match="at most 25"):
        settings.set(RATE_LIMIT_TEST_RPS, 500)
    with pytest.raises(ValidationError, match="must be a whole number"):
        settings.set(SYNC_INTERVAL_S, "soon")
    assert "api_key" not in " ".join(SETTINGS)  # the key never goes to settings
