"""The gateway over real HTTP against a loopback Stripe stand-in: addresses, errors, retries, rate.

Every wait (the rate limit, the backoff of retries) goes through a fake clock: no real sleeps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from desk_billing.core.errors import (
    AuthenticationError,
    IdempotencyConflict,
    NetworkError,
    NotFound,
    PermissionDenied,
    RateLimited,
    StripeAPIError,
)
from desk_billing.core.gateway import API_VERSION, Gateway, TokenBucket
from desk_billing.core.profiles import Profile
from tests.unit.stripe_stub import FakeTime, StripeStub, customer, stripe_error

KEY = "sk_test_51HqLyjWDarjtT1zdp7dcXa0aBcD"
RESTRICTED = "rk_test_51HqLyjWDarjtT1zdp7dcXa0aBcD"


def ok(seen):
    return 200, customer(1)


def gateway(url, key=KEY, time: FakeTime | None = None, **kwargs):
    time = time or FakeTime()
    return Gateway.from_profile(
        Profile("t"), key, api_base=url, sleep=time.sleep, clock=time.monotonic, **kwargs
    )


def test_pinned_api_version_and_base_address_are_used():
    assert stripe.api_version == API_VERSION == "2026-10-28.endive"
    with StripeStub(ok) as stub:
        gw = gateway(stub.url)
        found = gw.call(gw.client.v1.customers.retrieve, "cus_0001")
    assert found.email == "c1@example.com"
    (seen,) = stub.seen
    assert seen.path == "/v1/customers/cus_0001"
    assert seen.headers["Stripe-Version"] == API_VERSION
    assert seen.headers["Authorization"] == f"Bearer {KEY}"
    assert gw.monitor.state().last_ok_at is not None


def test_api_base_precedence_explicit_then_environment_then_profile():
    profile = Profile("t", api_base="http://profile.invalid")
    env = {"STRIPE_API_BASE": "http://env.invalid"}
    assert (
        Gateway.from_profile(profile, KEY, "http://cli.invalid", env=env).api_base
        == "http://cli.invalid"
    )
    assert Gateway.from_profile(profile, KEY, env=env).api_base == "http://env.invalid"
    assert Gateway.from_profile(profile, KEY, env={}).api_base == "http://profile.invalid"
    assert Gateway.from_profile(Profile("t"), KEY, env={}).api_base is None


def test_mode_comes_from_the_key():
    assert (
        Gateway.from_profile(Profile("t"), "sk_" + "live_51HqLyjWDarjtT1zdp7dc", env={}).mode
        == "live"
    )
    assert Gateway.from_profile(Profile("t"), KEY, env={}).mode == "test"


@pytest.mark.parametrize(
    ("reply", "expected", "words"),
    [
        (
            stripe_error(
                401, "invalid_request_error", "Invalid API Key provided: sk_test_****aBcD"
            ),
            AuthenticationError,
            "did not accept the API key",
        ),
        (
            stripe_error(
                403,
                "invalid_request_error",
                "The provided key 'rk_test_***aBcD' does not have the required permissions for this endpoint on account 'acct_1'. Having the 'rak_customer_read' permission would allow this request to continue.",
            ),
            PermissionDenied,
            "rak_customer_read",
        ),
        (
            stripe_error(
                404, "invalid_request_error", "No such customer: 'cus_x'", "resource_missing", "id"
            ),
            NotFound,
            "No such customer",
        ),
        (
            stripe_error(
                400,
                "invalid_request_error",
                "Invalid integer: abc",
                "parameter_invalid_integer",
                "amount",
            ),
            StripeAPIError,
            "Invalid integer",
        ),
        (
            stripe_error(402, "card_error", "Your card was declined.", "card_declined"),
            StripeAPIError,
            "declined",
        ),
        (
            stripe_error(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            ),
            IdempotencyConflict,
            "same parameters",
        ),
    ],
)
def test_stripe_errors_become_typed_errors_with_stripes_words(reply, expected, words):
    with StripeStub(lambda seen: reply) as stub:
        gw = gateway(stub.url, key=RESTRICTED)
        with pytest.raises(expected) as raised:
            gw.call(gw.client.v1.customers.retrieve, "cus_x")
    error = raised.value
    assert words in str(error)
    assert RESTRICTED not in str(error) and KEY not in str(error)
    if isinstance(error, StripeAPIError):
        assert error.http_status == reply[0]
        assert error.code == reply[1]["error"].get("code")
        assert error.param == reply[1]["error"].get("param")
        assert error.request_id.startswith("req_")


def test_429_is_retried_then_reported_as_rate_limited():
    with StripeStub(
        lambda seen: stripe_error(429, "rate_limit_error", "Too many requests.", "rate_limit")
    ) as stub:
        fake = FakeTime()
        gw = gateway(stub.url, time=fake)
        with pytest.raises(RateLimited, match="limiting requests"):
            gw.call(gw.client.v1.customers.list)
    assert len(stub.seen) == 3  # the first try and two backed-off retries
    first, second = fake.sleeps  # 0.5 s then 1 s, each with up to half taken off at random
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0
    assert gw.monitor.state().throttled


def test_429_then_success_succeeds():
    replies = iter(
        [stripe_error(429, "rate_limit_error", "Too many requests."), (200, customer(1))]
    )
    with StripeStub(lambda seen: next(replies)) as stub:
        gw = gateway(stub.url)
        assert gw.call(gw.client.v1.customers.retrieve, "cus_0001").id == "cus_0001"


def test_server_errors_are_retried_with_the_same_idempotency_key():
    replies = iter(
        [
            stripe_error(500, "api_error", "Oops."),
            stripe_error(503, "api_error", "Busy."),
            (200, customer(9)),
        ]
    )
    with StripeStub(lambda seen: next(replies)) as stub:
        fake = FakeTime()
        gw = gateway(stub.url, time=fake)
        created = gw.call(gw.client.v1.customers.create, {"email": "c9@example.com"})
    assert created.id == "cus_0009"
    assert len(fake.sleeps) == 2 and min(fake.sleeps) >= 0.5  # the SDK's own backoff, waited
    keys = [seen.headers.get("Idempotency-Key") for seen in stub.seen]
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
    assert all(parse_qs(seen.body) == {"email": ["c9@example.com"]} for seen in stub.seen)


def test_a_given_idempotency_key_is_sent_on_every_retry():
    replies = iter([stripe_error(500, "api_error", "Oops."), (200, customer(3))])
    with StripeStub(lambda seen: next(replies)) as stub:
        gw = gateway(stub.url)
        gw.call(
            gw.client.v1.customers.create, {"email": "x@example.com"}, {"idempotency_key": "op-42"}
        )
    assert [s.headers["Idempotency-Key"] for s in stub.seen] == ["op-42", "op-42"]


def test_get_body_is_stripes_json_undecoded_after_retries_and_errors_stay_typed():
    replies = iter(
        [
            stripe_error(500, "api_error", "Oops."),
            (200, {"object": "list", "data": [customer(1), customer(2)], "has_more": True}),
            stripe_error(404, "invalid_request_error", "No such customer: 'cus_x'", "resource_missing"),
        ]
    )  # fmt: skip
    with StripeStub(lambda seen: next(replies)) as stub:
        gw = gateway(stub.url)
        body = gw.get_body("/v1/customers", {"limit": 2, "created": {"gte": 5}})
        with pytest.raises(NotFound, match="No such customer"):
            gw.get_body("/v1/customers/cus_x")
        # The SDK's own calls on this thread are untouched afterwards.
        replies = iter([(200, customer(3))])
        assert gw.call(gw.client.v1.customers.retrieve, "cus_0003").email == "c3@example.com"
    page = json.loads(body)
    assert [c["id"] for c in page["data"]] == ["cus_0001", "cus_0002"] and page["has_more"]
    assert parse_qs(urlsplit(stub.seen[1].path).query) == {"limit": ["2"], "created[gte]": ["5"]}
    assert stub.seen[1].headers["Stripe-Version"] == API_VERSION


def test_unreachable_server_is_a_network_error_and_marks_offline():
    with StripeStub(ok) as stub:
        url = stub.url
    fake = FakeTime()
    gw = gateway(url, time=fake)
    with pytest.raises(NetworkError, match="could not be reached"):
        gw.call(gw.client.v1.customers.list)
    assert gw.monitor.state().offline
    assert len(fake.sleeps) == 3  # max_network_retries: three more tries, each after a wait


def test_every_page_of_auto_pagination_waits_for_the_rate_limit():
    def pages(seen):
        query = parse_qs(urlsplit(seen.path).query)
        after = int(query.get("starting_after", ["cus_0000"])[0][4:])
        return 200, {
            "object": "list",
            "url": "/v1/customers",
            "has_more": after + 1 < 30,
            "data": [customer(after + 1)],
        }

    fake = FakeTime()
    with StripeStub(pages, clock=fake.monotonic) as stub:
        gw = gateway(stub.url, time=fake, rate=20)
        ids = [
            c.id
            for c in gw.call(
                lambda: list(gw.client.v1.customers.list({"limit": 1}).auto_paging_iter())
            )
        ]
    assert len(ids) == 30 and len(stub.seen) == 30
    # Burst of 5, then 20/s: the 25 others need at least 1.25 s.
    assert fake.now >= 1.2
    times = [s.at for s in stub.seen]
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 25  # Stripe's test-mode ceiling is never exceeded in any second


def test_token_bucket_paces_without_real_time():
    now = [0.0]
    bucket = TokenBucket(
        rate=10, burst=2, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s)
    )
    waits = [bucket.acquire() for _ in range(12)]
    assert waits[:2] == [0, 0]
    assert now[0] == pytest.approx(1.0)  # 10 more tokens at 10/s


def test_sdk_deprecations_are_errors_in_tests():
    gw = Gateway.from_profile(Profile("t"), KEY, env={})
    with pytest.raises(DeprecationWarning, match="v1"):
        gw.client.customers  # noqa: B018  # the pre-v1 style, deprecated by the SDK


def test_sdk_debug_logging_never_prints_request_bodies():
    """Even with STRIPE_LOG=debug set before the SDK is imported, bodies stay out of stderr."""
    code = f"""
import sys
sys.path.insert(0, {os.getcwd()!r})
from desk_billing.core.gateway import Gateway
from desk_billing.core.profiles import Profile
from tests.unit.stripe_stub import StripeStub, customer
with StripeStub(lambda seen: (200, customer(1))) as stub:
    gw = Gateway.from_profile(Profile("t"), {KEY!r}, stub.url)
    gw.call(gw.client.v1.customers.create, {{"email": "secret-body@example.com"}})
print("done")
"""
    env = dict(os.environ, STRIPE_LOG="debug")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "done" in result.stdout
    assert "secret-body" not in result.stderr + result.stdout
    assert KEY not in result.stderr + result.stdout
