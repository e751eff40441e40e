"""What each endpoint accepts comes from the SDK as installed, whether or not it has source files.

A frozen desktop build carries the SDK as compiled code only; the sandbox (demo mode) must still
know every endpoint's parameters there, and know the same ones the SDK's source declares.
"""

from __future__ import annotations

import ast
import compileall
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import stripe
import stripe.params

from desk_billing.sandbox import schema
from tests.sandbox.conftest import TEST_KEY
from tests.sandbox.test_cli_sandbox import _free_port

SDK = Path(stripe.__file__).parent
REQUESTS = ("_request", "_request_stream")


def _literal_path(node: ast.expr) -> str | None:
    """`"/v1/x"` or `"/v1/x/{id}".format(...)`: the path template a method requests."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _annotation_name(node: ast.expr | None) -> str | None:
    """`"XParams"` or `Optional["XParams"]` (however the formatter wrapped it)."""
    if isinstance(node, ast.Subscript):
        node = node.slice
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _routes_from_source() -> dict[tuple[str, str], str]:
    """The oracle: the SDK's v1 service sources, parsed (the sandbox itself never reads them)."""
    routes: dict[tuple[str, str], str] = {}
    for path in sorted(SDK.glob("_*_service.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for method in cls.body:
                if not isinstance(method, ast.FunctionDef) or method.name.startswith("_"):
                    continue
                calls = [
                    c
                    for c in ast.walk(method)
                    if isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Attribute)
                    and c.func.attr in REQUESTS
                ]
                params = next((a.annotation for a in method.args.args if a.arg == "params"), None)
                name = _annotation_name(params)
                if len(calls) != 1 or name is None or len(calls[0].args) < 2:
                    continue
                verb, template = calls[0].args[:2]
                template = _literal_path(template)
                if isinstance(verb, ast.Constant) and template and template.startswith("/v1/"):
                    routes[(verb.value.upper(), template)] = name
    return routes


def test_the_routes_are_those_the_sdk_source_declares() -> None:
    expected = _routes_from_source()
    assert len(expected) > 250  # the oracle itself found the SDK's services
    assert schema.sdk_routes() == expected
    assert schema.sdk_routes()[("POST", "/v1/refunds")] == "RefundCreateParams"
    # wrapped annotations (`Optional[\n "...Params"\n]`) count too
    assert (
        schema.sdk_routes()[("GET", "/v1/payment_intents/{intent}/amount_details_line_items")]
        == "PaymentIntentAmountDetailsLineItemListParams"
    )
    unresolved = sorted(n for n in expected.values() if not hasattr(stripe.params, n))
    assert unresolved == []


def _sdk_without_sources(target: Path) -> Path:
    """A copy of the installed SDK as compiled code only, as a frozen build carries it."""
    shutil.copytree(SDK, target / "stripe", ignore=shutil.ignore_patterns("__pycache__"))
    assert compileall.compile_dir(target / "stripe", quiet=1, legacy=True, workers=0)
    for source in (target / "stripe").rglob("*.py"):
        source.unlink()
    return target


@pytest.mark.slow
def test_the_sandbox_checks_parameters_with_an_sdk_that_has_no_source_files(tmp_path) -> None:
    sdk = _sdk_without_sources(tmp_path / "sdk")
    env = {
        **os.environ,
        "DESK_BILLING_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(sdk), os.environ.get("PYTHONPATH")) if p),
    }
    where = subprocess.run(
        [sys.executable, "-c", "import stripe; print(stripe.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert where == str(sdk / "stripe" / "__init__.pyc")

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "desk_billing", "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = process.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{port}", process.communicate(timeout=10)[1]
        client = stripe.StripeClient(TEST_KEY, base_addresses={"api": url}, max_network_retries=0)
        assert client.v1.customers.create({"name": "Zoë Müller"}).name == "Zoë Müller"
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.customers.create({"name": "X", "nmae": "typo"})  # type: ignore[typeddict-unknown-key]
        assert refused.value.code == "parameter_unknown"
        assert refused.value.param == "nmae"
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert "Traceback" not in err
