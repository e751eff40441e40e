"""Sample accounts: `demo` (a believable year of a small business) and `bulk` (large, for benchmarks)."""

from __future__ import annotations

from typing import Any

from .bulk_account import seed_bulk
from .demo_account import seed_demo
from .state import State


def seed(state: State, kind: str, **options: Any) -> dict[str, int]:
    """Fill the account; returns how many objects of each kind it now holds."""
    if kind == "demo":
        seed_demo(state, **options)
    elif kind == "bulk":
        seed_bulk(state, **options)
    elif kind != "empty":
        raise ValueError(f"unknown seed {kind!r}: choose demo, bulk or empty")
    return {name: len(coll) for name, coll in state.collections.items() if not name.startswith("_")}
