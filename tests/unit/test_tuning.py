"""Process-wide tuning: the switch interval given back whatever order overlapping users end in,
one gc.freeze, and a lower priority only for the thread that asks."""

from __future__ import annotations

import gc
import os
import sys
import threading

import pytest

from desk_billing.core import tuning


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_overlapping_short_switch_intervals_end_in_any_order():
    before = sys.getswitchinterval()
    first, second = tuning.short_switch_interval(0.0005), tuning.short_switch_interval(0.001)
    first.__enter__()
    assert sys.getswitchinterval() == pytest.approx(0.0005)
    second.__enter__()
    assert sys.getswitchinterval() == pytest.approx(0.0005)  # the shortest asked for
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert sys.getswitchinterval() == pytest.approx(0.001)
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before


def test_two_backfills_in_threads_give_the_interval_back():
    before = sys.getswitchinterval()
    inside = threading.Barrier(2)
    first_out = threading.Event()

    def backfill(name: str) -> None:
        with tuning.short_switch_interval(0.0005):
            inside.wait(5)
            if name == "late":
                first_out.wait(5)  # ends after the other one
        if name == "early":
            first_out.set()

    threads = [threading.Thread(target=backfill, args=(n,)) for n in ("early", "late")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sys.getswitchinterval() == before


def test_an_error_inside_still_gives_the_interval_back():
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), tuning.short_switch_interval(0.0005):
        raise RuntimeError("backfill failed")
    assert sys.getswitchinterval() == before


def test_long_lived_objects_are_frozen_once(monkeypatch):
    monkeypatch.setattr(tuning, "_frozen", False)
    try:
        tuning.freeze_long_lived_objects()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        later = [object() for _ in range(1000)]  # made after start-up: collectable as ever
        tuning.freeze_long_lived_objects()
        assert gc.get_freeze_count() == frozen and later
    finally:
        gc.unfreeze()


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
def test_a_background_thread_lowers_only_itself_and_only_once():
    seen = []

    def work() -> None:
        tuning.background_thread()
        tuning.background_thread()
        seen.append(_niceness())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [_niceness() + tuning.BACKGROUND_NICENESS]


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
def test_a_background_thread_started_by_one_is_lowered_as_much_not_twice():
    # Threads inherit their starter's priority; Qt's pools start threads from their own.
    seen = []

    def inner() -> None:
        tuning.background_thread()
        seen.append(_niceness())

    def outer() -> None:
        tuning.background_thread()
        thread = threading.Thread(target=inner)
        thread.start()
        thread.join()

    thread = threading.Thread(target=outer)
    thread.start()
    thread.join()
    assert seen == [_niceness() + tuning.BACKGROUND_NICENESS]
