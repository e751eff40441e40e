"""The journal as CSV for an auditor: every operation, oldest first."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from desk_billing.core.csvfile import CsvFile
from desk_billing.core.journal.rows import entries, params_text
from desk_billing.core.money import to_decimal

if TYPE_CHECKING:
    from desk_billing.core.cache import Cache

CSV_FIELDS = (
    "time_utc", "kind", "target", "amount", "currency", "status", "result_id", "error",
    "os_user", "profile", "mode", "attempts", "idempotency_key", "params",
)  # fmt: skip


def export_csv(cache: Cache, path: Path | str) -> int:
    """The whole journal as CSV (oldest first) for an auditor; returns the number of rows."""
    rows = list(reversed(entries(cache)))
    with CsvFile(path, CSV_FIELDS) as out:  # the one CSV writer: BOM, formulas neutralised
        for e in rows:
            out.row(
                [
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(e.created)),
                    e.kind,
                    e.target or "",
                    str(to_decimal(e.amount, e.currency))
                    if e.amount is not None and e.currency
                    else "",
                    (e.currency or "").upper(),
                    e.status,
                    e.result_id or "",
                    e.error or "",
                    e.os_user or "",
                    e.profile or "",
                    e.mode or "",
                    e.attempts,
                    e.idempotency_key,
                    params_text(e.params),
                ]
            )
        out.commit()
    return len(rows)
