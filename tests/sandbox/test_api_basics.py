"""The sandbox's wire behaviour through the official SDK: auth, errors, pagination, idempotency."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest
import stripe

from desk_billing.sandbox import Sandbox
from tests.sandbox.conftest import TEST_KEY


def _raw(sandbox: Sandbox, method: str, path: str, body: str = "", headers: dict | None = None):
    request = urllib.request.Request(
        sandbox.url + path,
        data=body.encode() if body else None,
        method=method,
        headers=headers or {},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_form_encoded_nested_parameters_arrive_as_structures(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        {
            "name": "Zoë Müller",
            "address": {"line1": "Hauptstraße 1", "city": "Köln", "country": "DE"},
            "metadata": {"internal_id": "A-17", "team": "été"},
            "preferred_locales": ["de", "en"],
        }
    )
    again = client.v1.customers.retrieve(customer.id)
    assert again.name == "Zoë Müller"
    assert again.address.city == "Köln"
    assert again.metadata.to_dict() == {"internal_id": "A-17", "team": "été"}
    assert again.preferred_locales == ["de", "en"]


def test_bearer_and_basic_auth_are_accepted(sandbox: Sandbox) -> None:
    status, _, body = _raw(
        sandbox, "GET", "/v1/customers", headers={"Authorization": f"Bearer {TEST_KEY}"}
    )
    assert status == 200 and body["object"] == "list"
    basic = base64.b64encode(f"{TEST_KEY}:".encode()).decode()
    status, _, body = _raw(
        sandbox, "GET", "/v1/customers", headers={"Authorization": f"Basic {basic}"}
    )
    assert status == 200 and body["url"] == "/v1/customers"


@pytest.mark.parametrize(
    "key",
    ["sk_" + "live_0123456789abcdefghij", "rk_test_notregistered0000", "nonsense", "sk_test_"],
)
def test_other_keys_get_stripes_401(sandbox: Sandbox, key: str) -> None:
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 401
    assert caught.value.user_message.startswith("Invalid API Key provided: ")
    assert key not in caught.value.user_message or len(key) <= 8  # the key is masked


def test_missing_key_is_401_with_stripes_sentence(sandbox: Sandbox) -> None:
    status, _, body = _raw(sandbox, "GET", "/v1/customers")
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("You did not provide an API key.")


def test_publishable_key_is_refused(sandbox: Sandbox) -> None:
    client = stripe.StripeClient("pk_test_abcdefghijklmnop", base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError, match="publishable API key"):
        client.v1.customers.list()


def test_restricted_key_reads_what_it_may_and_gets_403_for_the_rest(sandbox: Sandbox) -> None:
    sandbox.register_restricted_key("rk_test_readonlycustomers0001", {"customer": "read"})
    restricted = stripe.StripeClient(
        "rk_test_readonlycustomers0001", base_addresses={"api": sandbox.url}
    )
    assert restricted.v1.customers.list().data == []
    with pytest.raises(stripe.PermissionError) as caught:
        restricted.v1.customers.create({"name": "x"})
    assert caught.value.http_status == 403
    assert "rak_customer_write" in caught.value.user_message
    assert "rk_test_readonlycustomers0001" not in caught.value.user_message
    with pytest.raises(stripe.PermissionError, match="rak_refund_read"):
        restricted.v1.refunds.list()


def test_error_envelope_for_unknown_parameter(sandbox: Sandbox) -> None:
    status, headers, body = _raw(
        sandbox,
        "POST",
        "/v1/customers",
        "name=x&nickname=y",
        {
            "Authorization": f"Bearer {TEST_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == 400
    error = body["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "parameter_unknown"
    assert error["param"] == "nickname"
    assert error["message"] == "Received unknown parameter: nickname"
    assert headers["Request-Id"].startswith("req_")


def test_unknown_nested_parameter_names_its_path(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.create({"address": {"line1": "x", "planet": "Mars"}})  # type: ignore[typeddict-unknown-key]
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "address[planet]"


def test_parameters_this_api_version_dropped_are_refused(client: stripe.StripeClient) -> None:
    """In 2026-10-28.endive a payment intent takes allowed_payment_method_types."""
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "eur", "payment_method_types": ["card"]}  # type: ignore[typeddict-unknown-key]
        )
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "payment_method_types"


def test_invalid_integer_and_missing_required(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            {"currency": "eur", "unit_amount": "12.5", "product_data": {"name": "x"}}
        )  # type: ignore[typeddict-item]
    assert caught.value.code == "parameter_invalid_integer"
    assert caught.value.param == "unit_amount"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create({"unit_amount": 100, "product_data": {"name": "x"}})  # type: ignore[typeddict-item]
    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "currency"


def test_unknown_id_is_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.retrieve("cus_doesnotexist")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.user_message == "No such customer: 'cus_doesnotexist'"


def test_unknown_url_is_404(sandbox: Sandbox) -> None:
    status, _, body = _raw(
        sandbox, "GET", "/v1/nothing_here", headers={"Authorization": f"Bearer {TEST_KEY}"}
    )
    assert status == 404
    assert body["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nothing_here)")


# -- pagination ----------------------------------------------------------------------------


@pytest.fixture
def thirty_customers(client: stripe.StripeClient) -> list[str]:
    """Ids of 30 customers, oldest first."""
    return [client.v1.customers.create({"name": f"Customer {i:02d}"}).id for i in range(30)]


def test_lists_are_newest_first_with_limit_and_has_more(
    client: stripe.StripeClient, thirty_customers: list[str]
) -> None:
    page = client.v1.customers.list({"limit": 10})
    assert [c.id for c in page.data] == thirty_customers[::-1][:10]
    assert page.has_more is True
    assert page.url == "/v1/customers"
    assert len(client.v1.customers.list().data) == 10  # Stripe's default limit


def test_starting_after_walks_to_older_objects(
    client: stripe.StripeClient, thirty_customers: list[str]
) -> None:
    newest_first = thirty_customers[::-1]
    page = client.v1.customers.list({"limit": 10, "starting_after": newest_first[9]})
    assert [c.id for c in page.data] == newest_first[10:20]
    last = client.v1.customers.list({"limit": 10, "starting_after": newest_first[19]})
    assert [c.id for c in last.data] == newest_first[20:30]
    assert last.has_more is False
    walked = [c.id for c in client.v1.customers.list({"limit": 7}).auto_paging_iter()]
    assert walked == newest_first


def test_ending_before_walks_to_newer_objects(
    client: stripe.StripeClient, thirty_customers: list[str]
) -> None:
    newest_first = thirty_customers[::-1]
    page = client.v1.customers.list({"limit": 5, "ending_before": newest_first[20]})
    # the five objects just newer than the cursor, still shown newest first
    assert [c.id for c in page.data] == newest_first[15:20]
    assert page.has_more is True
    top = client.v1.customers.list({"limit": 5, "ending_before": newest_first[3]})
    assert [c.id for c in top.data] == newest_first[0:3]
    assert top.has_more is False
    walked = [
        c.id
        for c in client.v1.customers.list(
            {"limit": 4, "ending_before": thirty_customers[0]}
        ).auto_paging_iter()
    ]
    assert walked == thirty_customers[1:]  # auto-paging with ending_before goes oldest to newest


def test_limit_out_of_range_and_both_cursors_are_refused(
    client: stripe.StripeClient, thirty_customers: list[str]
) -> None:
    for limit in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.list({"limit": limit})
        assert caught.value.param == "limit"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.list(
            {"starting_after": thirty_customers[1], "ending_before": thirty_customers[2]}
        )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list({"starting_after": "cus_unknown"})
    assert caught.value.http_status == 404


def test_created_and_email_filters(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    early = client.v1.customers.create({"email": "a@example.com"})
    sandbox.advance_time(seconds=100)
    late = client.v1.customers.create({"email": "b@example.com"})
    assert [c.id for c in client.v1.customers.list({"created": {"gt": early.created}}).data] == [
        late.id
    ]
    assert [c.id for c in client.v1.customers.list({"created": {"lte": early.created}}).data] == [
        early.id
    ]
    assert [c.id for c in client.v1.customers.list({"created": late.created}).data] == [late.id]
    assert [c.id for c in client.v1.customers.list({"email": "a@example.com"}).data] == [early.id]


# -- idempotency ---------------------------------------------------------------------------


def test_same_key_same_parameters_replays_the_first_response(client: stripe.StripeClient) -> None:
    first = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "idem-1"})
    second = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "idem-1"})
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(client.v1.customers.list().data) == 1


def test_same_key_other_parameters_is_an_idempotency_error(client: stripe.StripeClient) -> None:
    client.v1.customers.create({"name": "Once"}, {"idempotency_key": "idem-2"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.customers.create({"name": "Twice"}, {"idempotency_key": "idem-2"})
    assert caught.value.http_status == 400
    assert "idem-2" in caught.value.user_message
    assert len(client.v1.customers.list().data) == 1


def test_errors_are_replayed_too(client: stripe.StripeClient) -> None:
    """Stripe saves the result of any request that started executing, failures included."""
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.update("cus_missing", {"name": "x"}, {"idempotency_key": "idem-3"})
        assert caught.value.http_status == 404
    assert caught.value.headers.get("Idempotent-Replayed") == "true"


def test_keys_expire_after_24_hours_of_sandbox_time(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    first = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "idem-4"})
    sandbox.advance_time(days=1, seconds=60)
    second = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "idem-4"})
    assert second.id != first.id


# -- switches ------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_stripes_body() -> None:
    with Sandbox(rate_limit=5) as sandbox:
        client = stripe.StripeClient(
            TEST_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0
        )
        with pytest.raises(stripe.RateLimitError) as caught:
            for _ in range(20):
                client.v1.customers.list()
    assert caught.value.http_status == 429
    assert caught.value.json_body["error"]["code"] == "rate_limit"
    assert "rate limit" in caught.value.user_message.lower()


def test_faults_fail_half_before_and_half_after_commit_and_retries_recover() -> None:
    with Sandbox(fault_rate=0.5, fault_seed=7) as sandbox:
        bare = stripe.StripeClient(
            TEST_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0
        )
        errors = {"500": 0, "dropped": 0}
        for i in range(40):
            try:
                bare.v1.customers.create({"name": f"n{i}"}, {"idempotency_key": f"f-{i}"})
            except stripe.APIError:
                errors["500"] += 1
            except stripe.APIConnectionError:
                errors["dropped"] += 1
        assert errors["500"] > 3 and errors["dropped"] > 3
        created = len(list(bare.v1.customers.list({"limit": 100}).auto_paging_iter()))
        assert created == 40 - errors["500"]  # dropped requests were committed
        sandbox.set_switches(fault_rate=0.3)
        retrying = stripe.StripeClient(
            TEST_KEY, base_addresses={"api": sandbox.url}, max_network_retries=8
        )
        for i in range(20):
            retrying.v1.customers.create({"name": f"r{i}"}, {"idempotency_key": f"r-{i}"})
        sandbox.set_switches(fault_rate=0.0)
        names = [c.name for c in bare.v1.customers.list({"limit": 100}).auto_paging_iter()]
        assert sorted(n for n in names if n.startswith("r")) == sorted(f"r{i}" for i in range(20))


def test_control_endpoint_advances_sandbox_time(sandbox: Sandbox) -> None:
    before = _raw(sandbox, "GET", "/_sandbox/time")[2]["now"]
    after = _raw(sandbox, "POST", "/_sandbox/advance", "days=2")[2]["now"]
    assert after - before >= 2 * 86400
