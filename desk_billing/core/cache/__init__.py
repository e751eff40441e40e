"""The local SQLite cache: one file per (Stripe account, mode).

`database.Cache` writes and reads its rows; `schema` declares the tables and `migrations` makes
them (sqlite-utils); `lists` declares what the tabs show, read through `pages`, `search`,
`details` and `export` on per-thread read connections (`reading`).
"""

from desk_billing.core.cache.database import BUSY_TIMEOUT_MS, STATE_LAST_SYNC, Cache
from desk_billing.core.cache.migrations import SCHEMA_VERSION
from desk_billing.core.cache.schema import TABLES, table_for_object

__all__ = [
    "BUSY_TIMEOUT_MS",
    "SCHEMA_VERSION",
    "STATE_LAST_SYNC",
    "TABLES",
    "Cache",
    "table_for_object",
]
