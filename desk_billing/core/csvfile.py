"""The one CSV writer of every export: UTF-8 with a BOM (Excel reads accents), CRLF rows,
written beside the target and renamed into place, and cells that a spreadsheet would run as a
formula neutralised (OWASP's rule: a leading single quote).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

BOM = "\ufeff"
# What makes Excel, LibreOffice or Sheets read a cell as a formula (or DDE): OWASP's list.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain number (an amount such as -12.50) is data, not a formula, and stays readable as one.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def safe_cell(value: Any) -> str:
    """`value` as CSV text that no spreadsheet evaluates; numbers and ordinary text unchanged."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class CsvFile:
    """A CSV file being written: `row(...)` per line, then `commit()` renames it into place.

    Leaving the `with` block without `commit()` (an error, a cancelled export) removes the
    partial file and leaves any earlier file of that name untouched.
    """

    def __init__(self, path: Path | str, header: Iterable[str]) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.part")
        self._handle = self._tmp.open("w", newline="", encoding="utf-8")
        self._handle.write(BOM)
        self._writer = csv.writer(self._handle, lineterminator="\r\n")
        self.rows = 0
        self._writer.writerow([safe_cell(h) for h in header])

    def row(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(c) for c in cells])
        self.rows += 1

    def commit(self) -> Path:
        """Flush to disk and replace `path` with the finished file."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self._tmp, self.path)
        return self.path

    def discard(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._handle.closed or self._tmp.exists():
            self.discard()


def write_csv(path: Path | str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write a whole CSV file at once; returns the number of data rows."""
    with CsvFile(path, header) as out:
        for cells in rows:
            out.row(cells)
        out.commit()
        return out.rows


def read_csv(path: Path | str) -> list[dict[str, str]]:
    """The rows of a file written here, as dicts (the BOM dropped; cells as written)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
