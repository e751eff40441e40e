"""`desk-billing sandbox` as a user runs it: base URL on the first line, serving until stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import stripe

from tests.sandbox.conftest import TEST_KEY


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sandbox_command_prints_its_url_first_and_serves_the_demo_until_stopped(tmp_path) -> None:
    port = _free_port()
    env = {**os.environ, "DESK_BILLING_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desk_billing", "sandbox", "--port", str(port), "--seed", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first_line = process.stdout.readline().strip()
        assert first_line == f"http://127.0.0.1:{port}"
        client = stripe.StripeClient(TEST_KEY, base_addresses={"api": first_line})
        customers = client.v1.customers.list({"limit": 100}).data
        assert any(c.name == "Zoë Müller" for c in customers)
        assert process.poll() is None  # still serving
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_sandbox_command_refuses_a_bad_fault_rate(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desk_billing", "sandbox", "--port", "0", "--fault-rate", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "DESK_BILLING_HOME": str(tmp_path)},
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "desk-billing: --fault-rate must be between 0 and 1."
