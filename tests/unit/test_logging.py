"""The log file never shows a key."""

from __future__ import annotations

import json
import logging

import pytest

from desk_billing.core.logging import mask_secrets, setup_logging

SECRET = "sk_" + "live_51HqLyjWDarjtT1zdp7dcXa0aBcD"
RESTRICTED = "rk_test_51HqLyjWDarjtT1zdp7dc9Zz9"
WEBHOOK = "whsec_abcdefghijklmnopqrstu"


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "logs" / "desk-billing.jsonl"
    handler = setup_logging(path)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_keys_in_message_args_extras_and_tracebacks_are_masked(log_file):
    log = logging.getLogger("desk_billing.test")
    log.warning("using key %s for %s", SECRET, "acct_1", extra={"key": RESTRICTED})
    try:
        raise RuntimeError(f"Stripe said no to {WEBHOOK}")
    except RuntimeError:
        log.exception("failed with %r", {"api_key": SECRET})

    text = log_file.read_text()
    for secret in (SECRET, RESTRICTED, WEBHOOK):
        assert secret not in text
    first, second = _lines(log_file)
    assert first["message"] == "using key sk_live_…aBcD for acct_1"
    assert first["key"] == "rk_test_…9Zz9"
    assert first["level"] == "WARNING" and first["time"].endswith("Z")
    assert "whsec_…rstu" in second["exception"]


def test_short_key_fragments_are_masked_entirely():
    assert mask_secrets("sk_test_abc and rk_live_12") == "sk_test_*** and rk_live_***"
    assert mask_secrets("no secrets, just sk_ and pk_test_1234567890abcdef") == (
        "no secrets, just sk_ and pk_test_1234567890abcdef"
    )


def test_setup_twice_installs_one_handler(log_file):
    setup_logging(log_file)
    logging.getLogger("desk_billing.test").warning("once")
    assert len(_lines(log_file)) == 1
