"""Stripe's integration-guide flows, run by the official stripe-node SDK against the sandbox.

The scripts in `node/flows/` are written as Stripe's guides write them, not for the sandbox; each
prints what it saw as JSON, and the assertions here are what a developer following the guide would
check. `.ci/run` installs the pinned SDK (`npm ci` in `node/`).
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import stripe

from desk_billing.sandbox import API_VERSION, Sandbox
from desk_billing.sandbox.state import EVENT_RETENTION

pytestmark = pytest.mark.clients

NODE_DIR = Path(__file__).parent / "node"
KEY = "sk_test_stripenodeflows00000000"


def _node() -> str:
    node = shutil.which("node")
    assert node, "node is not installed; .ci/run installs it"
    assert (NODE_DIR / "node_modules" / "stripe").is_dir(), (
        f"stripe-node is not installed: run `npm ci` in {NODE_DIR} (.ci/run does)"
    )
    return node


def run_flow(sandbox: Sandbox, name: str) -> dict[str, Any]:
    """Run `node/flows/<name>.js` against the sandbox; its JSON report, or the flow's error."""
    done = subprocess.run(
        [_node(), str(NODE_DIR / "flows" / f"{name}.js")],
        cwd=NODE_DIR,
        env={**os.environ, "STRIPE_API_BASE": sandbox.url, "STRIPE_SECRET_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"the {name} flow failed:\n{done.stderr}"
    return json.loads(done.stdout)


def test_the_pinned_sdk_speaks_the_sandboxs_api_version() -> None:
    done = subprocess.run(
        [
            _node(),
            "-e",
            "const S = require('stripe'); console.log(S.API_VERSION, S.PACKAGE_VERSION)",
        ],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    version, package = done.stdout.split()
    assert version == API_VERSION
    lock = json.loads((NODE_DIR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/stripe"]["version"] == package


def test_payment_intents_with_the_test_cards(sandbox: Sandbox) -> None:
    seen = run_flow(sandbox, "payments")
    ok = seen["succeeded"]
    assert (ok["status"], ok["amount"], ok["amount_received"], ok["currency"]) == (
        "succeeded",
        2000,
        2000,
        "usd",
    )
    declined = seen["declined"]
    assert declined["status"] == "requires_payment_method"
    assert declined["error"] == {
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": "Your card was declined.",
    }
    assert declined["last_payment_error"] == "card_declined"
    three_ds = seen["three_d_secure"]
    assert (three_ds["status"], three_ds["next_action"], three_ds["amount_received"]) == (
        "requires_action",
        "redirect_to_url",
        0,
    )


def test_a_webhook_endpoint_receives_events_that_construct_event_verifies(
    sandbox: Sandbox,
) -> None:
    seen = run_flow(sandbox, "webhooks")
    assert seen["endpoint"]["status"] == "enabled" and seen["endpoint"]["has_secret"]
    assert seen["event"]["type"] == "payment_intent.succeeded"
    assert (seen["event"]["object"], seen["event"]["amount"]) == (seen["payment_intent"], 4200)
    assert all("error" not in r for r in seen["received"]), seen["received"]
    assert {r["type"] for r in seen["received"]} <= {
        "payment_intent.created",
        "payment_intent.succeeded",
    }
    assert seen["tampered"] == "StripeSignatureVerificationError"


def test_a_default_incomplete_subscription_is_paid_through_its_first_invoice(
    sandbox: Sandbox,
) -> None:
    seen = run_flow(sandbox, "subscription")
    assert seen["price"] == {
        "id": seen["price"]["id"],
        "unit_amount": 1200,
        "currency": "usd",
        "interval": "month",
    }
    assert seen["created_status"] == "incomplete"
    assert seen["first_invoice"]["status_at_creation"] == "open"
    assert seen["first_invoice"]["amount_due"] == 1200
    assert (seen["payment_intent"]["status"], seen["payment_intent"]["amount"]) == (
        "succeeded",
        1200,
    )
    assert seen["status"] == "active"
    assert seen["latest_invoice"]["id"] == seen["first_invoice"]["id"]
    assert (seen["latest_invoice"]["status"], seen["latest_invoice"]["amount_paid"]) == (
        "paid",
        1200,
    )
    assert seen["invoice_payments"] == [
        {"status": "paid", "amount_paid": 1200, "payment_intent": seen["payment_intent"]["id"]}
    ]
    # one payment intent in all: the invoice's own, confirmed once
    assert seen["payment_intents"] == [{"id": seen["payment_intent"]["id"], "status": "succeeded"}]
    assert seen["default_payment_method"]  # saved on the subscription, as asked
    assert seen["customer_currency"] == "usd"


def test_the_guides_one_off_invoice_is_150_eur_and_finalizes_open(sandbox: Sandbox) -> None:
    seen = run_flow(sandbox, "invoice")
    assert (seen["invoice_item"]["amount"], seen["invoice_item"]["currency"]) == (15000, "eur")
    assert (seen["draft"]["status"], seen["draft"]["currency"], seen["draft"]["total"]) == (
        "draft",
        "eur",
        15000,
    )
    finalized = seen["finalized"]
    assert (finalized["status"], finalized["currency"]) == ("open", "eur")
    assert (finalized["total"], finalized["amount_due"]) == (15000, 15000)
    assert finalized["number"]
    assert seen["lines"] == [
        {"amount": 15000, "currency": "eur", "description": "One-time setup fee"}
    ]
    assert seen["customer_currency"] == "eur"


def test_refunds_partial_then_the_rest_then_none_left(sandbox: Sandbox) -> None:
    seen = run_flow(sandbox, "refunds")
    assert seen["payment_intent"]["status"] == "succeeded"
    assert seen["refunds"] == [
        {"amount": 1500, "status": "succeeded", "currency": "eur"},
        {"amount": 3500, "status": "succeeded", "currency": "eur"},
    ]
    assert seen["again"] == {
        "type": "StripeInvalidRequestError",
        "code": "charge_already_refunded",
        "statusCode": 400,
    }
    assert seen["charge"] == {"amount_refunded": 5000, "refunded": True, "refunds": 2}
    assert seen["listed"] == 2
    assert (seen["balance_transaction"]["amount"], seen["balance_transaction"]["type"]) == (
        5000,
        "charge",
    )


def test_auto_pagination_walks_every_event_of_the_demo_account_once() -> None:
    with Sandbox(seed="demo") as demo:
        seen = run_flow(demo, "events")
        python = stripe.StripeClient(KEY, base_addresses={"api": demo.url})
        events = {e.id: e for e in python.v1.events.list({"limit": 100}).auto_paging_iter()}
        horizon = demo.state.now() - EVENT_RETENTION
    walked = seen["ids"]
    assert len(walked) == len(set(walked)) > 200  # pages of 100, no event twice
    # events the Python walk, a moment later, no longer saw are those that reached 30 days since
    expired = [i for i in walked if i not in events]
    assert all(demo.state.get("events", i)["created"] < horizon for i in expired)
    assert set(events) <= set(walked)
    assert seen["newest_first"] and seen["first_page"] == 100
    by_type = collections.Counter(e.type for e in events.values())
    by_type.update(demo.state.get("events", i)["type"] for i in expired)
    assert seen["by_type"] == dict(by_type)
    assert seen["api_version"] == API_VERSION
