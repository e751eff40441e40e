"""The task runner's lanes: background work (a sync, a whole-table count) runs at a lower CPU
priority on threads of its own, so the work a user waits for never inherits it."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from desk_billing.core import tuning
from desk_billing.core.cache import Cache
from desk_billing.core.cache.lists import CUSTOMERS
from desk_billing.gui.table_model import CacheTableModel
from desk_billing.gui.tasks import TaskRunner

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities")


def _niceness(_control=None) -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _on(qtbot, runner: TaskRunner, lane: str) -> int:
    seen: list[int] = []
    task = runner.run(_niceness, success=seen.append, lane=lane)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    return seen[0]


def test_a_refund_after_a_whole_table_count_runs_at_normal_priority(qtbot, tmp_path):
    path = tmp_path / "cache.sqlite3"
    with Cache.open(path) as cache:
        cache.upsert("customers", [{"id": f"cus_{i}", "object": "customer"} for i in range(300)])
    runner = TaskRunner(io_threads=1)  # one io thread: whatever ran before runs the refund
    try:
        normal = _niceness()
        model = CacheTableModel(CUSTOMERS, runner, path, page_size=50)
        model.reload()
        qtbot.waitUntil(lambda: model.total == 300, timeout=5000)  # counted: 300 > one page
        assert _on(qtbot, runner, "io") == normal
        assert _on(qtbot, runner, "background") == normal + tuning.BACKGROUND_NICENESS
    finally:
        runner.shutdown()


def test_the_threads_a_background_task_starts_are_lowered_too(qtbot):
    """A sync's fetch threads start from its thread, on the background lane, and inherit it."""
    runner = TaskRunner()
    try:

        def fetch_thread_niceness(_control) -> int:
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(_niceness).result()

        seen: list[int] = []
        task = runner.run(fetch_thread_niceness, success=seen.append, lane="background")
        qtbot.waitUntil(lambda: task.done, timeout=5000)
        assert seen == [_niceness() + tuning.BACKGROUND_NICENESS]
    finally:
        runner.shutdown()
