"""The command line as a script or a person uses it: exit codes, one-line errors, info --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desk_billing import __version__
from desk_billing.cli import main
from desk_billing.core.cache import Cache
from desk_billing.core.profiles import AppPaths, Profile, ProfileStore

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, home: Path, extra_env: dict[str, str] | None = None, cwd: Path | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DESK_BILLING_"))}
    env.update(DESK_BILLING_HOME=str(home), PYTHONPATH=str(ROOT), **(extra_env or {}))
    return subprocess.run(
        [sys.executable, "-m", "desk_billing", *args],
        capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=120,
    )  # fmt: skip


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")} if root.exists() else set()


def test_version_and_help(tmp_path):
    version = run("--version", home=tmp_path / "h")
    assert version.returncode == 0 and version.stdout.strip() == f"desk-billing {__version__}"
    shown = run("--help", home=tmp_path / "h")
    assert shown.returncode == 0
    for words in ("info", "--profile", "--api-base", "STRIPE_API_KEY", "DESK_BILLING_HOME"):
        assert words in shown.stdout


def test_info_json_writes_only_under_desk_billing_home(tmp_path):
    home, fake_home, work = tmp_path / "home", tmp_path / "user", tmp_path / "cwd"
    fake_home.mkdir()
    work.mkdir()
    env = {
        "HOME": str(fake_home),
        "XDG_DATA_HOME": str(fake_home / "xdg"),
        "XDG_CONFIG_HOME": str(fake_home / "xdgc"),
    }
    before = _files(fake_home) | _files(work)
    result = run("info", "--json", home=home, extra_env=env, cwd=work)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["profile"] == "default" and report["mode"] == "test"
    assert report["account_id"] is None and report["last_sync"] is None
    assert report["row_counts"]["customers"] == 0
    assert Path(report["cache_path"]).is_relative_to(home)
    assert _files(fake_home) | _files(work) == before
    assert all(p.is_relative_to(home) for p in _files(tmp_path) - before - {home, fake_home, work})


def test_info_reports_the_cache_of_the_profile(tmp_path, desk_home, capsys):
    paths = AppPaths.from_env()
    profile = Profile("work", account_id="acct_42")
    ProfileStore(paths).save(profile)
    with Cache.open(paths.cache_path(profile, "test")) as cache:
        cache.upsert("customers", [{"id": "cus_1", "object": "customer", "created": 1}])
        cache.state_set("last_sync_at", 1_700_000_000)
    assert main(["info", "--json", "--profile", "work"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["account_id"] == "acct_42"
    assert report["row_counts"]["customers"] == 1
    assert report["last_sync"] == "2023-11-14T22:13:20Z"


@pytest.mark.parametrize(
    "argv", [["--profile", "p2", "info", "--json"], ["info", "--json", "--profile", "p2"]]
)
def test_global_options_go_before_or_after_the_command(argv, capsys):
    assert main([*argv, "--api-base", "http://127.0.0.1:1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["profile"] == "p2" and report["api_base"] == "http://127.0.0.1:1"


def test_environment_key_sets_the_mode_and_is_never_printed(capsys, monkeypatch):
    key = "sk_" + "live_51HqLyjWDarjtT1zdp7dcXa0aBcD"
    monkeypatch.setenv("STRIPE_API_KEY", key)
    assert main(["info", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["mode"] == "live" and json.loads(out)["key_from_env"] is True
    assert key not in out and key[8:] not in out


def test_errors_are_one_line_and_exit_1(tmp_path):
    result = run(
        "info", home=tmp_path / "h", extra_env={"STRIPE_API_KEY": "pk_test_51HqLyjWDarjtT1zdp7dc"}
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "publishable key" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(tmp_path):
    result = run("no-such-command", home=tmp_path / "h")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_bad_profile_name_is_a_one_line_error(capsys):
    assert main(["--profile", "../x", "info"]) == 1
    assert "cannot be a profile name" in capsys.readouterr().err


def test_unexpected_errors_go_to_the_log_not_the_terminal(capsys, desk_home, monkeypatch):
    def broken(session, args):
        raise RuntimeError("internal detail sk_test_51HqLyjWDarjtT1zdp7dcXa0")

    monkeypatch.setattr("desk_billing.cli.info.show_info", broken)
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError" in err and "internal detail" not in err
    logged = (desk_home / "logs" / "desk-billing.jsonl").read_text()
    assert "internal detail" in logged and "Traceback" in logged
    assert "sk_test_51HqLyjWDarjtT1zdp7dcXa0" not in logged


def test_no_arguments_opens_the_gui_or_says_why_not(capsys, monkeypatch):
    import importlib

    real = importlib.import_module

    def without_gui(name, *args):
        if name == "desk_billing.gui.app":
            raise ModuleNotFoundError(name=name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_gui)
    assert main([]) == 1
    assert "not part of this build" in capsys.readouterr().err


def test_no_key_and_no_secure_keyring_says_so_in_one_sentence(capsys):
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # what keyring picks on Linux without a D-Bus session
    assert main(["sync"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no secure keyring" in err and "STRIPE_API_KEY" in err
    assert "add the key in the app" not in err  # the app could not keep it either


def test_no_key_with_a_secure_keyring_says_where_to_add_one(capsys):
    assert main(["sync"]) == 1  # the test keyring is a secure one, holding no key
    err = capsys.readouterr().err
    assert "No API key for profile 'default'" in err and "add the key in the app" in err


def test_report_mrr_json_is_the_contract_shape(desk_home, capsys):
    paths = AppPaths.from_env()
    profile = Profile("work", account_id="acct_42")
    ProfileStore(paths).save(profile)
    item = {
        "id": "si_1",
        "object": "subscription_item",
        "quantity": 2,
        "price": {"currency": "jpy", "unit_amount": 1200, "recurring": {"interval": "year"}},
    }
    sub = {
        "id": "sub_1",
        "object": "subscription",
        "created": 1,
        "status": "active",
        "currency": "jpy",
        "items": {"object": "list", "data": [item]},
    }
    with Cache.open(paths.cache_path(profile, "test")) as cache:
        cache.upsert("subscriptions", [sub])
    assert main(["report", "mrr", "--json", "--profile", "work"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"as_of", "mrr", "subscriptions"}
    assert report["mrr"] == {"jpy": 200}
    assert report["subscriptions"] == {"jpy": 1}
