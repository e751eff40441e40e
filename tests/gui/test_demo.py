"""`desk-billing demo`: the sandbox in-process, a session-only key, nothing to configure."""

from __future__ import annotations

import pytest
import stripe

from desk_billing import cli


def test_demo_opens_the_gui_on_the_sandbox_with_a_session_key(
    monkeypatch, memory_keyring, desk_home
):
    pytest.importorskip("desk_billing.sandbox.seeding", reason="the demo seed has not landed yet")
    seen = {}

    def fake_run(session, *, session_keys):
        key = session.api_key()
        client = stripe.StripeClient(
            key, base_addresses={"api": session.api_base}, max_network_retries=0
        )
        seen.update(
            demo=session.demo,
            key=key,
            kept=session_keys.get(session.profile.name),
            base=session.api_base,
            customers=len(client.v1.customers.list({"limit": 5}).data),
        )
        return 0

    monkeypatch.setattr("desk_billing.gui.app.run", fake_run)
    assert cli.main(["demo"], env={"DESK_BILLING_HOME": str(desk_home)}) == 0
    assert seen["demo"] is True
    assert seen["key"].startswith("sk_test_") and seen["kept"] == seen["key"]
    assert seen["base"].startswith("http://127.0.0.1:")
    assert seen["customers"] > 0  # the seeded account
    assert not memory_keyring.passwords  # the demo key never reaches the keyring
