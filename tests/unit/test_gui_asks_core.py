"""The GUI asks core for its lists: no SQL statement is written under desk_billing/gui."""

from __future__ import annotations

import re
from pathlib import Path

GUI = Path(__file__).resolve().parents[2] / "desk_billing" / "gui"
STATEMENT = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b")


def test_no_sql_statements_in_the_gui():
    offenders = [
        f"{path.relative_to(GUI.parent)}:{number}: {line.strip()}"
        for path in sorted(GUI.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STATEMENT.search(line)
    ]
    assert offenders == []
