"""PySide6 6.12.0 aborts Python 3.11 after ~5,000 void setter calls ("none_dealloc"); keep it out."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = """
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for n in range(20_000):
    label.setText(f"row {n}")
assert label.text() == "row 19999"
print("ok", flush=True)
"""


def test_twenty_thousand_setter_calls_do_not_crash_the_process():
    # A subprocess, because the bug kills the interpreter: the test must fail, not the run.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_the_installed_pyside6_is_not_a_known_broken_release():
    from importlib.metadata import version

    assert version("PySide6") != "6.12.0"
