"""Fixtures for driving the sandbox through the official SDK over real HTTP.

Every JSON body the sandbox answers during a test here is held against the shape oracle
(`shape_oracle.py`, the SDKs' own types for the pinned version): a test whose requests got a body
Stripe would not send fails at teardown, naming each problem.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import stripe

from desk_billing.sandbox import Sandbox
from desk_billing.sandbox.app import SandboxApp
from tests.sandbox import shape_oracle

TEST_KEY = "sk_test_sandboxsuite0000000000"
NO_REDIRECTS = {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
"""Confirming server-side with automatic payment methods needs a return_url unless redirects are off."""


@pytest.fixture
def client(sandbox: Sandbox) -> stripe.StripeClient:
    """The official SDK pointed at the sandbox (no retries, so every error surfaces)."""
    return stripe.StripeClient(TEST_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


@pytest.fixture(autouse=True)
def every_response_has_stripes_shape(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Record each /v1 response body of the test's sandboxes; check them all when it ends."""
    bodies: list[tuple[str, str, bytes]] = []
    answer = SandboxApp.handle

    def recording(self, verb, target, headers, body):
        response = answer(self, verb, target, headers, body)
        if target.startswith("/v1/") and response.content_type == "application/json":
            bodies.append((verb, target, response.body))
        return response

    monkeypatch.setattr(SandboxApp, "handle", recording)
    yield
    problems = []
    for verb, target, body in bodies:
        problems += [f"{verb} {target}: {p}" for p in shape_oracle.check(orjson.loads(body))]
    assert not problems, f"{len(problems)} shape problems:\n" + "\n".join(problems[:40])


def assert_shape(obj: stripe.StripeObject | dict) -> None:
    """The object is what Stripe would send for this API version (the shape oracle finds nothing)."""
    data = obj.to_dict() if isinstance(obj, stripe.StripeObject) else obj
    problems = shape_oracle.check(data)
    assert not problems, "\n".join(problems)
