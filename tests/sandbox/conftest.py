"""Fixtures for driving the sandbox through the official SDK over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from desk_billing.sandbox import Sandbox

FIXTURES = Path(__file__).parent.parent / "data" / "stripe_fixtures3.json"
TEST_KEY = "sk_test_sandboxsuite0000000000"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh, empty sandbox account on a free loopback port."""
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox) -> stripe.StripeClient:
    """The official SDK pointed at the sandbox (no retries, so every error surfaces)."""
    return stripe.StripeClient(TEST_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


@pytest.fixture(scope="session")
def stripe_fixtures() -> dict[str, dict]:
    """Stripe's own example object for every resource, keyed by its `object` value."""
    return json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]


# Keys the fixtures still show that this API version includes only when expanded
# (charge.refunds since 2022-11-15).
ONLY_WHEN_EXPANDED = {"charge": {"refunds"}}


def assert_shape(obj: stripe.StripeObject | dict, fixture: dict) -> None:
    """The object has at least every top-level key of Stripe's fixture for its resource."""
    data = obj.to_dict() if hasattr(obj, "to_dict") else obj
    expected = set(fixture) - ONLY_WHEN_EXPANDED.get(data.get("object"), set())
    missing = sorted(expected - set(data))
    assert not missing, f"{data.get('object')} lacks Stripe's keys {missing}"
