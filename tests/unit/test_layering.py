"""Who may import whom (DESIGN.md): core and sandbox import no Qt, so everything the GUI does is
doable without a screen; the sandbox imports nothing of the app; the GUI never imports the CLI;
only core/gateway.py imports the Stripe SDK."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "desk_billing"
QT = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "qtpy", "pytestqt")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(
            node.func, "attr", getattr(node.func, "id", "")
        ) in (
            "import_module",
            "__import__",
        ):
            names += [
                a.value
                for a in node.args[:1]
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["core", "sandbox"])
def test_no_qt_imports(folder):
    files = _modules(folder)
    assert files, f"no modules found under desk_billing/{folder}"
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in _imports(path)
        if name.split(".")[0] in QT
    ]
    assert offenders == []


def test_sandbox_imports_nothing_of_desk_billing():
    """Shared code would let one bug hide on both sides of the wire (DESIGN.md)."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _modules("sandbox")
        for name in _imports(path)
        if name.split(".")[0] == "desk_billing" and not name.startswith("desk_billing.sandbox")
    ]
    assert offenders == []


def test_core_imports_neither_gui_nor_sandbox():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _modules("core")
        for name in _imports(path)
        if name.startswith(("desk_billing.gui", "desk_billing.sandbox"))
    ]
    assert offenders == []


def test_gui_never_imports_the_cli():
    """The CLI builds the session (the demo's key, profile and sandbox too) and hands it over."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _modules("gui")
        for name in _imports(path)
        if name == "desk_billing.cli" or name.startswith("desk_billing.cli.")
    ]
    assert offenders == []


def test_only_the_gateway_imports_the_stripe_sdk():
    """SDK errors are mapped to core's in the gateway; nothing else needs the SDK's names."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for folder in ("core", "gui", "cli")
        for path in _modules(folder)
        for name in _imports(path)
        if name.split(".")[0] == "stripe" and path != PACKAGE / "core" / "gateway.py"
    ]
    assert offenders == []


def test_the_sdk_loads_with_the_first_call_to_stripe_not_before():
    """The window's first paint and `desk-billing info` do not wait for the SDK import."""
    code = """
import sys
from desk_billing.cli import build_parser
from desk_billing.core.account import AccountSession
from desk_billing.core.profiles import AppPaths, Profile
import desk_billing.gui.main_window
session = AccountSession(AppPaths.from_env(), Profile("p"), key="sk_test_layering000000000000", env={})
build_parser()
assert "stripe" not in sys.modules, "imported before the gateway was asked for"
session.gateway()
assert "stripe" in sys.modules
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_the_checker_sees_a_qt_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text(
        "def f():\n    from PySide6 import QtCore\n    import importlib\n    importlib.import_module('PyQt6')\n"
    )
    assert _imports(sample) == ["PySide6", "importlib", "PyQt6"]
