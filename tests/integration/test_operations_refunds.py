"""Refunds through the CLI against the sandbox over HTTP (real SDK, no mocks): exactly once under
injected faults and a kill between Stripe's answer and the journal update; refusals before any
request is sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import stripe

from desk_billing.cli import main
from desk_billing.core.account import AccountSession
from desk_billing.core.cache import Cache
from desk_billing.core.errors import ValidationError
from desk_billing.core.journal import JOURNAL_TABLE, TEST_KILL_ENV, entries
from desk_billing.core.operations.refunds import refund
from desk_billing.core.profiles import AppPaths, Profile

# a server-side confirmation with automatic payment methods needs a return_url otherwise
NO_REDIRECTS = {"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}

KEY = "sk_test_operationsrefunds0000"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.sandbox(fault_seed=1)


@pytest.fixture
def client(sandbox):
    return stripe.StripeClient(KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


@pytest.fixture
def env(sandbox, desk_home):
    return {
        **os.environ,
        "DESK_BILLING_HOME": str(desk_home),
        "STRIPE_API_KEY": KEY,
        "STRIPE_API_BASE": sandbox.url,
    }


def _paid(client, amount=2000, currency="eur", pm="pm_card_visa"):
    return client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": currency,
            "payment_method": pm,
            "confirm": True,
            **NO_REDIRECTS,
        }
    )


def _journal(env, key=KEY):
    path = AppPaths.from_env(env).cache_path(
        Profile("default"), "live" if "_live_" in key else "test"
    )
    with Cache.open(path) as cache:
        return entries(cache)


def _refunds(sandbox, pi_id=None):
    return [
        r
        for r in sandbox.state.newest_first("refunds")
        if pi_id is None or r["payment_intent"] == pi_id
    ]


def _cli(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "desk_billing", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def _count_faults(sandbox) -> Counter:
    """Wraps the sandbox's fault draw to count what it injected."""
    seen: Counter = Counter()
    draw = sandbox.switches.fault
    lock = threading.Lock()

    def counted():
        outcome = draw()
        with lock:
            seen[outcome or "none"] += 1
        return outcome

    sandbox.switches.fault = counted
    return seen


@pytest.mark.slow
def test_200_refunds_under_a_third_of_requests_failing_are_made_exactly_once(
    sandbox, client, env, capsys
):
    pis = [_paid(client) for _ in range(200)]
    seen = _count_faults(sandbox)
    sandbox.set_switches(fault_rate=1 / 3)
    started = time.monotonic()

    def by_subprocess(pi):
        return _cli(
            ["refund", pi.id, "--amount", "12,34", "--reason", "requested_by_customer"], env
        )

    def in_process(pi):
        return main(["refund", pi.id, "--amount", "12.34"], env=dict(env))

    # Mostly waiting (the SDK backs off 0.5-1 s per retry), so many at once.
    with ThreadPoolExecutor(10) as pool:
        procs = list(pool.map(by_subprocess, pis[:20]))
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(in_process, pis[20:]))
    elapsed = time.monotonic() - started
    assert [p.returncode for p in procs] == [0] * 20, [p.stderr for p in procs if p.returncode]
    assert codes == [0] * 180, capsys.readouterr().err

    refunds = _refunds(sandbox)
    assert len(refunds) == 200
    assert Counter(r["payment_intent"] for r in refunds) == Counter({pi.id: 1 for pi in pis})
    assert {r["amount"] for r in refunds} == {1234}
    journal = _journal(env)
    assert Counter(e.status for e in journal) == Counter({"succeeded": 200})
    assert {e.result_id for e in journal} == {r["id"] for r in refunds}
    # The faults really happened, drops after commit included.
    assert seen["drop"] >= 20 and seen["before"] >= 20
    print(
        f"\n200 refunds in {elapsed:.1f} s; faults injected: {seen['before']} x 500 before the change, "
        f"{seen['drop']} x dropped after commit; {seen['none']} clean; "
        f"journal attempts > 1: {sum(e.attempts > 1 for e in journal)}",
        file=sys.__stderr__,
    )


def test_killed_between_answer_and_journal_update_resumes_without_a_second_refund(
    sandbox, client, env
):
    full, partial = _paid(client), _paid(client)
    killer = {**env, TEST_KILL_ENV: "1"}
    proc = _cli(["refund", full.id], killer)
    assert proc.returncode == -signal.SIGKILL
    assert len(_refunds(sandbox, full.id)) == 1
    (entry,) = _journal(env)
    assert (entry.status, entry.result_id) == ("pending", None)

    # Starting again: the pending row is sent with its key and gets Stripe's stored answer.
    resumed = _cli(["journal", "resume"], env)
    assert resumed.returncode == 0, resumed.stderr
    (refund,) = _refunds(sandbox, full.id)
    assert f"-> {refund['id']}" in resumed.stderr
    (entry,) = _journal(env)
    assert (entry.status, entry.result_id) == ("succeeded", refund["id"])
    again = _cli(["refund", full.id], env)
    assert again.returncode == 1
    assert "already been fully refunded" in again.stderr
    assert len(_refunds(sandbox, full.id)) == 1

    # A partial refund killed the same way; the next refund command resumes it first, so its
    # amount is known before the new refund is checked.
    assert _cli(["refund", partial.id, "--amount", "15.00"], killer).returncode == -signal.SIGKILL
    over = _cli(["refund", partial.id, "--amount", "10.00"], env)
    assert over.returncode == 1
    assert "more than the €5.00 left" in over.stderr
    assert [r["amount"] for r in _refunds(sandbox, partial.id)] == [1500]
    statuses = Counter(e.status for e in _journal(env))
    assert statuses == Counter({"succeeded": 2})


def test_killed_runs_under_faults_leave_exactly_one_refund_each(sandbox, client, env):
    pis = [_paid(client) for _ in range(6)]
    sandbox.switches.rng.seed(20261028)  # which requests fail, the same from run to run
    sandbox.set_switches(fault_rate=1 / 3)
    killer = {**env, TEST_KILL_ENV: "1"}
    with ThreadPoolExecutor(6) as pool:
        procs = list(pool.map(lambda pi: _cli(["refund", pi.id, "--amount", "3"], killer), pis))
    assert {p.returncode for p in procs} == {-signal.SIGKILL}
    assert main(["journal", "resume"], env=dict(env)) == 0
    refunds = _refunds(sandbox)
    assert Counter(r["payment_intent"] for r in refunds) == Counter({pi.id: 1 for pi in pis})
    assert Counter(e.status for e in _journal(env)) == Counter({"succeeded": 6})


@pytest.mark.parametrize(
    ("currency", "paid", "args", "sentence"),
    [
        ("eur", 2000, ["--amount", "0"], "The refund amount must be more than zero."),
        ("eur", 2000, ["--amount=-5"], "The refund amount must be more than zero."),
        ("eur", 2000, ["--amount", "ten"], "'ten' is not an amount; type digits such as 12.50."),
        ("jpy", 2000, ["--amount", "12.5"], "JPY amounts are whole numbers, without decimals."),
        ("kwd", 2000, ["--amount", "1.2345"], "KWD amounts have at most 3 decimals."),
        ("eur", 2000, ["--amount", "20.01"], "The refund of €20.01 is more than the €20.00 left"),
        ("eur", 2000, ["--reason", "changed_mind"], "'changed_mind' is not a refund reason"),
    ],
)
def test_refusals_before_any_request(sandbox, client, env, capsys, currency, paid, args, sentence):
    pi = _paid(client, paid, currency)
    posts_before = len(sandbox.state.idempotency)
    assert main(["refund", pi.id, *args], env=dict(env)) == 1
    err = capsys.readouterr().err.strip()
    assert sentence in err
    assert err.count("\n") == 0 and err.endswith(".")
    assert _refunds(sandbox) == []
    assert len(sandbox.state.idempotency) == posts_before  # no POST reached the server
    assert not [e for e in _journal(env) if e.status == "succeeded"]


def test_fully_refunded_charge_is_refused(sandbox, client, env, capsys):
    pi = _paid(client)
    client.v1.refunds.create({"payment_intent": pi.id})
    posts_before = len(sandbox.state.idempotency)
    assert main(["refund", pi.latest_charge, "--amount", "1"], env=dict(env)) == 1
    assert capsys.readouterr().err.strip() == (
        f"desk-billing: Charge {pi.latest_charge} has already been fully refunded."
    )
    assert len(_refunds(sandbox)) == 1 and len(sandbox.state.idempotency) == posts_before
    assert _journal(env) == []


def test_live_key_needs_typed_confirmation(sandbox, client, env, capsys, monkeypatch):
    live = "rk_" + "live_operationsrefunds0000"
    sandbox.register_restricted_key(
        live, {"refund": "write", "charge": "read", "payment_intent": "read"}
    )
    pi = _paid(client)
    live_env = {**env, "STRIPE_API_KEY": live}
    # No terminal and no --yes: refused, nothing sent.
    monkeypatch.setattr(sys, "stdin", _Stdin("", tty=False))
    assert main(["refund", pi.id, "--amount", "5"], env=dict(live_env)) == 1
    assert "Live mode needs a typed confirmation" in capsys.readouterr().err
    # A wrong amount typed: refused.
    monkeypatch.setattr(sys, "stdin", _Stdin("50\n"))
    assert main(["refund", pi.id, "--amount", "5"], env=dict(live_env)) == 1
    assert "did not match; nothing was refunded" in capsys.readouterr().err
    assert _refunds(sandbox) == []
    # The amount typed (with a comma): refunded.
    monkeypatch.setattr(sys, "stdin", _Stdin("5,00\n"))
    assert main(["refund", pi.id, "--amount", "5"], env=dict(live_env)) == 0
    assert "LIVE MODE" in capsys.readouterr().out
    assert [r["amount"] for r in _refunds(sandbox)] == [500]
    # --yes skips the prompt.
    monkeypatch.setattr(sys, "stdin", _Stdin("", tty=False))
    assert main(["refund", pi.id, "--amount", "5", "--yes"], env=dict(live_env)) == 0
    assert [e.mode for e in _journal(live_env, live)] == ["live", "live"]


def test_restricted_key_without_refund_write_gets_stripes_reason(sandbox, client, env, capsys):
    rk = "rk_test_readonlyrefunds00000"
    sandbox.register_restricted_key(
        rk, {"refund": "read", "charge": "read", "payment_intent": "read"}
    )
    pi = _paid(client)
    assert main(["refund", pi.id], env={**env, "STRIPE_API_KEY": rk}) == 1
    err = capsys.readouterr().err
    assert "Having the 'rak_refund_write' permission would allow this request" in err
    (entry,) = _journal(env)
    assert entry.status == "failed" and "rak_refund_write" in entry.error
    assert _refunds(sandbox) == []


def test_pending_refund_followed_until_final(sandbox, client, env, capsys):
    pi = _paid(client, pm="pm_card_pendingRefund")
    advancing = threading.Timer(0.5, lambda: sandbox.advance_time(600))
    advancing.start()
    try:
        assert main(["refund", pi.id, "--follow"], env=dict(env)) == 0
    finally:
        advancing.cancel()
    assert capsys.readouterr().out.split()[1] == "succeeded"
    path = AppPaths.from_env(env).cache_path(Profile("default"), "test")
    with Cache.open(path) as cache:
        (refund_id,) = cache.ids("refunds")
        assert cache.get("refunds", refund_id)["status"] == "succeeded"
        assert cache.get("charges", pi.latest_charge)["amount_refunded"] == 2000


def _session(sandbox) -> AccountSession:
    return AccountSession(AppPaths.from_env(), Profile("default"), key=KEY, api_base=sandbox.url)


def test_a_refunds_result_lists_the_refund_its_charge_and_its_payment(sandbox, client):
    pi = _paid(client)
    with _session(sandbox).journal() as journal:
        result = refund(journal, pi.id, "5", "duplicate")
        charge = journal.cache.get("charges", pi.latest_charge)
    made = result.object
    assert (made["amount"], made["reason"], result.entry.status) == (500, "duplicate", "succeeded")
    assert result.changed == {
        "refunds": {made["id"]},
        "charges": {pi.latest_charge},
        "payment_intents": {pi.id},
        JOURNAL_TABLE: {str(result.entry.id)},
    }
    assert charge["amount_refunded"] == 500  # what `changed` names is in the cache already


def test_a_refund_is_not_sent_when_what_the_person_saw_changed(sandbox, client):
    pi = _paid(client)
    seen = 2000  # "all that is left" when the dialog opened
    client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})  # another desk
    with _session(sandbox).journal() as journal:
        with pytest.raises(ValidationError, match="changed meanwhile"):
            refund(journal, pi.id, None, expect=seen)
        asked = []
        with pytest.raises(ValidationError, match="not confirmed"):
            refund(journal, pi.id, "3", confirm=lambda plan: _refuse(asked, plan))
        assert entries(journal.cache) == []
    assert asked == ["Partial refund of €3.00 on " + pi.id]
    assert [r["amount"] for r in _refunds(sandbox, pi.id)] == [500]


def _refuse(asked: list[str], plan) -> None:
    asked.append(plan.describe())
    raise ValidationError("The refund was not confirmed.")


class _Stdin:
    def __init__(self, text: str, tty: bool = True) -> None:
        self._lines = text.splitlines(keepends=True)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def readline(self) -> str:
        return self._lines.pop(0) if self._lines else ""


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_amount_is_refused_not_taken_for_everything(sandbox, client, env, capsys, blank):
    pi = _paid(client)
    posts_before = len(sandbox.state.idempotency)
    assert main(["refund", pi.id, "--amount", blank], env=dict(env)) == 1
    assert capsys.readouterr().err.strip() == (
        "desk-billing: The refund amount is blank; give an amount, or leave it out to refund "
        "all that is left."
    )
    assert _refunds(sandbox) == [] and len(sandbox.state.idempotency) == posts_before
    # The core operation refuses it too, whoever calls it; only an absent amount means "all".
    with _session(sandbox).journal() as journal, pytest.raises(ValidationError, match="blank"):
        refund(journal, pi.id, blank)
    assert _refunds(sandbox) == []
    assert main(["refund", pi.id], env=dict(env)) == 0
    assert [r["amount"] for r in _refunds(sandbox)] == [2000]
