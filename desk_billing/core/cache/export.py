"""A list written to a CSV file as shown: same filter and order, amounts in major units."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desk_billing.core.cache.lists import ListQuery, ListSpec
from desk_billing.core.cache.pages import iter_rows
from desk_billing.core.cache.reading import connect
from desk_billing.core.csvfile import CsvFile
from desk_billing.core.money import to_decimal


def cell_text(spec: ListSpec, row: Sequence[Any], index: int) -> str:
    """A cell as exported: amounts in major units (currency in its own column), dates in UTC ISO."""
    column = spec.columns[index]
    value = row[2 + index]
    if value is None:
        return ""
    if column.kind == "amount":
        currency = row[2 + spec.index_of(column.currency_key)] or "usd"
        return str(to_decimal(int(value), currency))
    if column.kind == "date":
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(value)))
    if column.kind == "bool":
        return "yes" if value else "no"
    return str(value).upper() if column.key == "currency" else str(value)


def export_csv(
    cache_path: Path | str,
    spec: ListSpec,
    query: ListQuery,
    path: Path | str,
    cancelled: threading.Event | None = None,
) -> int:
    """Write the list as shown (same filter and order) to a CSV file; returns the rows written.
    Reads through a connection of its own, closed when done (an export is rare and long).
    The row id leads, once: a list's own Id column is not repeated after it."""
    shown = [i for i, c in enumerate(spec.columns) if c.key != "id"]
    header = ["id", *(spec.columns[i].title for i in shown)]
    written = 0
    with contextlib.closing(connect(cache_path)) as conn, CsvFile(path, header) as out:
        for row in iter_rows(conn, spec, query):
            out.row([row[1], *(cell_text(spec, row, i) for i in shown)])
            written += 1
            if cancelled is not None and written % 5000 == 0 and cancelled.is_set():
                return written  # leaving without commit() removes the partial file
        out.commit()
    return written
