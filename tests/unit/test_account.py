"""The account session: key, mode and API base resolved once; the key never shown; the gateway
built once, lazily, from any thread; the cache and journal of the right file."""

from __future__ import annotations

import threading

import pytest

from desk_billing.core.account import AccountSession, account_name, bind_account
from desk_billing.core.errors import PermissionDenied, ValidationError
from desk_billing.core.profiles import AppPaths, Profile, ProfileStore

KEY = "sk_test_accountsession0000000000"
LIVE = "rk_" + "live_accountsession000000000"


def session(profile: Profile | None = None, **kwargs) -> AccountSession:
    return AccountSession(AppPaths.from_env(), profile or Profile("work"), **kwargs)


def test_the_key_is_never_in_repr_nor_in_an_error():
    opened = session(key=KEY, env={})
    assert KEY not in repr(opened) and "work" in repr(opened)
    with pytest.raises(ValidationError) as raised:
        session(key=KEY + " x", env={})
    assert "spaces" in str(raised.value) and KEY not in str(raised.value)
    with pytest.raises(ValidationError) as missing:
        session(env={}).api_key()
    assert "No API key for profile 'work'" in str(missing.value)


def test_mode_comes_from_the_key_then_the_environment_then_the_profile():
    assert session(key=LIVE, env={}).mode == "live"
    assert session(env={"STRIPE_API_KEY": LIVE}).mode == "live"
    assert session(env={"STRIPE_API_KEY": LIVE}).key_from_env
    assert session(Profile("work", "live"), env={}).mode == "live"
    assert session(env={}).mode == "test" and not session(env={}).key_from_env


def test_api_base_given_then_environment_then_profile():
    profile = Profile("work", api_base="http://profile.invalid")
    env = {"STRIPE_API_BASE": "http://env.invalid"}
    assert session(profile, api_base="http://cli.invalid", env=env).api_base == "http://cli.invalid"
    assert session(profile, env=env).api_base == "http://env.invalid"
    assert session(profile, env={}).api_base == "http://profile.invalid"
    assert session(env={}).api_base is None


def test_the_gateway_is_built_once_and_shared_by_every_thread():
    opened = session(key=KEY, api_base="http://127.0.0.1:9", env={})
    assert opened.built_gateway is None  # nothing built until asked
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(opened.gateway())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(g) for g in seen}) == 1 and opened.built_gateway is seen[0]
    assert seen[0].mode == "test" and seen[0].api_base == "http://127.0.0.1:9"


def test_another_profile_keeps_paths_settings_and_environment():
    first = session(env={"X": "1"})
    other = first.with_profile(Profile("other", api_base="http://p.invalid"), KEY)
    assert (other.paths, other.env, other.profile.name) == (first.paths, first.env, "other")
    assert other.api_base == "http://p.invalid" and other.api_key() == KEY and not other.demo


def test_info_never_creates_the_cache_and_the_journal_opens_it():
    opened = session(Profile("work", account_id="acct_1"), key=KEY, env={})
    info = opened.info()
    assert (info["account_id"], info["cache_exists"], info["mode"]) == ("acct_1", False, "test")
    assert not opened.cache_path.exists()
    assert opened.cache_path.name == "acct_1-test.sqlite3"
    assert opened.last_sync_at() is None and opened.cache_path.exists()


class FakeAccountGateway:
    def __init__(self, account=None, refuse=False):
        self._account = account
        self._refuse = refuse

    def account(self):
        if self._refuse:
            raise PermissionDenied("The key may not read the account.")
        return self._account


def test_binding_names_the_account_and_refuses_another_one(desk_home):
    paths = AppPaths.from_env()
    account = {"id": "acct_7", "settings": {"dashboard": {"display_name": "Acme"}}}
    bound = bind_account(paths, Profile("work"), FakeAccountGateway(account))
    assert (bound.account_id, bound.account_name) == ("acct_7", "Acme")
    assert ProfileStore(paths).find("work") == bound
    with pytest.raises(ValidationError, match="belongs to account acct_8"):
        bind_account(paths, bound, FakeAccountGateway({"id": "acct_8"}))
    unbound = Profile("ro")
    assert bind_account(paths, unbound, FakeAccountGateway(refuse=True)) is unbound


def test_account_name_prefers_the_dashboard_then_the_business_then_the_email():
    assert account_name({"settings": {"dashboard": {"display_name": "A"}}}) == "A"
    assert account_name({"business_profile": {"name": "B"}, "email": "e@x.io"}) == "B"
    assert account_name({"email": "e@x.io"}) == "e@x.io"
    assert account_name({}) is None
