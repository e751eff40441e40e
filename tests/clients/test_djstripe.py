"""A popular Stripe mirror, dj-stripe, syncs the demo account; it must hold what the sandbox lists.

dj-stripe runs in its own virtual environment (`djstripe/.venv`, made by `.ci/run` from
`djstripe/requirements.txt`) with the stripe-python it requires (15.x, which sends
`Stripe-Version: 2026-08-26.dahlia`); only its settings point it at the sandbox.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import stripe

from desk_billing.sandbox import Sandbox

pytestmark = pytest.mark.clients

HERE = Path(__file__).parent / "djstripe"
KEY = "sk_test_djstripeMirrorSync0000000000"  # dj-stripe wants 24+ characters after the prefix
# The models dj-stripe syncs that the sandbox serves, and how the sandbox lists each.
MODELS = (
    "Account",
    "Customer",
    "Product",
    "Price",
    "PaymentMethod",
    "PaymentIntent",
    "Charge",
    "Refund",
    "Subscription",
    "SubscriptionItem",
    "Invoice",
    "InvoiceItem",
    "LineItem",
    "BalanceTransaction",
    "WebhookEndpoint",
    "Event",
)
# stripe-python resource modules of the objects the sandbox serves (for the version comparison).
SERVED_MODULES = (
    "_account",
    "_balance",
    "_balance_transaction",
    "_charge",
    "_credit_note",
    "_credit_note_line_item",
    "_customer",
    "_event",
    "_invoice",
    "_invoice_item",
    "_invoice_line_item",
    "_payment_intent",
    "_payment_method",
    "_price",
    "_product",
    "_refund",
    "_subscription",
    "_subscription_item",
    "_webhook_endpoint",
)


def venv_python() -> str:
    python = HERE / ".venv" / "bin" / "python"
    assert python.exists(), (
        f"dj-stripe's environment is missing: .ci/run makes {python.parent.parent}"
    )
    return str(python)


def _count(listing: stripe.ListObject) -> int:
    return sum(1 for _ in listing.auto_paging_iter())


def sandbox_counts(client: stripe.StripeClient) -> dict[str, int]:
    """What the sandbox lists per object type, walked the way Stripe's lists are walked."""
    v1 = client.v1
    customers = list(v1.customers.list({"limit": 100}).auto_paging_iter())
    subscriptions = list(v1.subscriptions.list({"status": "all", "limit": 100}).auto_paging_iter())
    invoices = list(v1.invoices.list({"limit": 100}).auto_paging_iter())
    return {
        "Account": 1 + _count(v1.accounts.list()),  # the account itself, and no connected ones
        "Customer": len(customers),
        "Product": _count(v1.products.list({"limit": 100})),
        "Price": _count(v1.prices.list({"limit": 100})),
        "PaymentMethod": sum(
            _count(v1.customers.payment_methods.list(c.id, {"limit": 100})) for c in customers
        ),
        "PaymentIntent": _count(v1.payment_intents.list({"limit": 100})),
        "Charge": _count(v1.charges.list({"limit": 100})),
        "Refund": _count(v1.refunds.list({"limit": 100})),
        "Subscription": len(subscriptions),
        "SubscriptionItem": sum(
            _count(v1.subscription_items.list({"subscription": s.id, "limit": 100}))
            for s in subscriptions
        ),
        "Invoice": len(invoices),
        "InvoiceItem": _count(v1.invoice_items.list({"limit": 100})),
        "LineItem": sum(
            _count(v1.invoices.line_items.list(i.id, {"limit": 100})) for i in invoices
        ),
        "BalanceTransaction": _count(v1.balance_transactions.list({"limit": 100})),
        "WebhookEndpoint": _count(v1.webhook_endpoints.list({"limit": 100})),
        "Event": _count(v1.events.list({"limit": 100})),
    }


def run_sync(sandbox: Sandbox, database: Path) -> dict[str, Any]:
    done = subprocess.run(
        [venv_python(), str(HERE / "sync_demo.py"), *MODELS],
        cwd=HERE,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_SECRET_KEY": KEY,
            "MIRROR_DATABASE": str(database),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout)
    report["log"] = done.stderr
    return report


def test_djstripe_syncs_the_demo_account_with_the_sandboxs_counts(tmp_path: Path) -> None:
    with Sandbox(seed="demo") as demo:
        client = stripe.StripeClient(KEY, base_addresses={"api": demo.url})
        listed = sandbox_counts(client)
        synced = run_sync(demo, tmp_path / "mirror.sqlite3")
        events_after = _count(client.v1.events.list({"limit": 100}))
    assert synced["api_version"] == "2026-08-26.dahlia"  # what its stripe-python sends
    assert synced["failed"] is None, synced["stderr"]
    # dj-stripe logs an object it could not fetch (e.g. a 404) and goes on: none may be logged
    assert "Traceback" not in synced["log"], synced["log"][-4000:]
    assert synced["stderr"] == ""
    counts = synced["counts"]
    # events can only leave (30 days old) while the sync runs; nothing else changes
    assert events_after <= counts.pop("Event") <= listed.pop("Event")
    assert counts == listed
    assert listed["Invoice"] > 100 and listed["LineItem"] > listed["Invoice"]


def _sdk_fields(python: str) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(HERE / "sdk_fields.py"), *SERVED_MODULES],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


_LITERAL = re.compile(r"'([^']*)'")


def _without_expandable(annotation: str) -> str:
    """`ExpandableField[...]` as `str`: an expandable field is its id unless expanded."""
    head = "ExpandableField["
    while (start := annotation.find(head)) >= 0:
        depth, end = 0, start + len(head) - 1
        while True:
            depth += {"[": 1, "]": -1}.get(annotation[end], 0)
            if depth == 0:
                break
            end += 1
        annotation = annotation[:start] + "str" + annotation[end + 1 :]
    return annotation


def _shape(annotation: str) -> str:
    """An annotation with enums and expandable classes collapsed: what a client's parser relies on."""
    shape = re.sub(r"Literal\[[^\]]*\]", "Literal", _without_expandable(annotation))
    return shape.replace("Union[Literal, str]", "Literal")  # an enum opened to new values


def test_dahlia_objects_are_served_additively_by_the_endive_shape() -> None:
    """Why the sandbox serves dahlia clients (dj-stripe's SDK) in endive's shape under their name."""
    endive = _sdk_fields(sys.executable)
    dahlia = _sdk_fields(venv_python())
    assert dahlia["api_version"].endswith(".dahlia") and endive["api_version"].endswith(".endive")
    new, old = endive["fields"], dahlia["fields"]
    assert len(old) > 1000
    removed = sorted(set(old) - set(new))
    assert removed == [], f"endive removed fields dahlia clients read: {removed[:20]}"
    for name, annotation in old.items():
        if annotation == new[name]:
            continue
        assert _shape(annotation) == _shape(new[name]), f"{name}: {annotation} -> {new[name]}"
        lost = set(_LITERAL.findall(_without_expandable(annotation))) - set(
            _LITERAL.findall(_without_expandable(new[name]))
        )
        assert not lost, f"{name} lost enum values {lost}"
