"""core and sandbox import no Qt: everything the GUI does must be doable without a screen."""

from __future__ import annotations

import ast
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


def test_the_checker_sees_a_qt_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text(
        "def f():\n    from PySide6 import QtCore\n    import importlib\n    importlib.import_module('PyQt6')\n"
    )
    assert _imports(sample) == ["PySide6", "importlib", "PyQt6"]
