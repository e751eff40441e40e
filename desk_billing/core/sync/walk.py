"""The page walk: lists resources page by page on fetch threads, in `created` windows that split
while they run, so big resources keep every fetch thread busy until the end instead of one thread
paging them alone; the pages reach the caller's thread as messages (dataclasses below). The
backfill and the reconciliation both walk this way.

A resource starts as one window (all time). When a fetch thread has nothing left to do, the
busiest window still running is cut in two at a time below what it has reached: it keeps the
newer part and a new window takes the older part (`created[gte]` / `created[lt]` filters on the
same newest-first list). Where to cut is guessed from the window's own pace — as far back again
as it has already walked — so an account whose history is recent is not split into empty years.

Every window has its own resume cursor, and a split reaches the writer (which persists it) before
the new window's first page, so a killed backfill resumes with no gap and no double work beyond
one page. Stripe's lists combine cursors with `created` filters, which is all this relies on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, replace
from typing import Any

from desk_billing.core.cache.database import Prepared
from desk_billing.core.errors import NotFound
from desk_billing.core.sync.fetch import Fetcher, Page
from desk_billing.core.sync.resources import Resource

log = logging.getLogger(__name__)

# Before Stripe existed: the lower bound of the first window of every resource.
EPOCH_FLOOR = 1_262_304_000  # 2010-01-01
MIN_SPAN_S = 600  # windows narrower than this are not split again
QUEUED_PAGES = 8  # prepared pages that may wait for the writer, besides one per fetch thread


@dataclass
class Window:
    """A slice [lo, hi) of one resource's `created` range and how far its listing got."""

    key: int
    lo: int = EPOCH_FLOOR
    hi: int | None = None  # None: up to now
    after: str | None = None
    done: bool = False

    def params(self) -> dict[str, Any]:
        created: dict[str, int] = {"gte": self.lo}
        if self.hi is not None:
            created["lt"] = self.hi
        params: dict[str, Any] = {"created": created}
        if self.after:
            params["starting_after"] = self.after
        return params

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, value: dict[str, Any]) -> Window:
        return cls(**{k: value.get(k) for k in ("key", "lo", "hi", "after", "done")})


@dataclass
class _Running:
    """What the coordinator knows of a window being walked (guarded by the walk's lock)."""

    resource: Resource
    window: Window
    first: int | None = None  # `created` of the newest object seen
    last: int | None = None  # `created` of the oldest object seen so far
    pages: int = 0
    finished: bool = False  # its last page is fetched: nothing left to cut


# -- what the walk tells its caller, in the order it happened for each window -------------------


@dataclass(frozen=True)
class PageListed:
    """One page of a window, newest objects first."""

    resource: Resource
    window: int  # the window's key
    page: Page


@dataclass(frozen=True)
class WindowSplit:
    """Window `window` now starts at `older.hi`; `older` is a new window for what lies below."""

    resource: Resource
    window: int
    older: Window


@dataclass(frozen=True)
class WindowDone:
    """Nothing is left to list in that window."""

    resource: Resource
    window: int


@dataclass(frozen=True)
class ListRestarted:
    """The window's resume object is gone (deleted meanwhile): it is listed from its top again."""

    resource: Resource
    window: int


@dataclass(frozen=True)
class Unsupported:
    """The server does not list this resource (404 on its first page)."""

    resource: Resource


Message = PageListed | WindowSplit | WindowDone | ListRestarted | Unsupported


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True)
class _Ended:
    """A fetch thread is done with a window (or gave up on it)."""


class PageWalk:
    """Lists resources through windows on fetch threads; yields `Message`s on the caller's
    thread. `prepare` turns each page into cache rows on its fetch thread (the backfill's
    writer then only writes); without it, pages keep their objects."""

    def __init__(
        self,
        fetcher: Fetcher,
        pool: Executor,
        concurrency: int,
        cancel: threading.Event,
        prepare: Callable[[Resource, Page], Prepared] | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.prepare = prepare
        self.pool = pool
        self.concurrency = concurrency
        self.cancel = cancel
        self._lock = threading.Lock()
        # Bounded, but deep enough that fetch threads keep preparing pages while the writer is
        # in a long step without the GIL (a commit, a table's search index built at its end).
        # Pages wait prepared: a few lists of rows each, not the ~10,000 parsed objects whose
        # backlog once made garbage collections long enough to stall the GUI.
        self._queue: queue.Queue[Message | _Failed | _Ended] = queue.Queue(
            maxsize=concurrency + QUEUED_PAGES
        )
        self._stop = threading.Event()
        self._running: dict[tuple[str, int], _Running] = {}
        self._waiting = 0  # windows submitted but not started
        self._next_key: dict[str, int] = {}

    def walk(self, plan: list[tuple[Resource, list[Window]]]) -> Iterator[Message]:
        """Every page of the windows not done yet; ends when all are walked (or on cancel)."""
        live = 0
        for resource, windows in plan:
            self._next_key[resource.table] = 1 + max((w.key for w in windows), default=0)
            for window in windows:
                if not window.done:
                    # The walk's own copy: its cursor runs ahead of what the caller has written,
                    # and only what is written may be persisted as a resume point.
                    self._submit(resource, replace(window))
                    live += 1
        try:
            while live:
                try:
                    message = self._queue.get(timeout=0.1)
                except queue.Empty:
                    if self.cancel.is_set():
                        return
                    continue
                if isinstance(message, _Failed):
                    raise message.error
                if isinstance(message, _Ended):
                    live -= 1
                else:
                    yield message
                if isinstance(message, (_Ended, PageListed)):
                    # A thread is free (one ended), or may have been from the start (a single
                    # big resource): cut the busiest window for it.
                    split = self._split_if_idle()
                    if split is not None:
                        yield split
                        live += 1
        finally:
            self._stop.set()

    def waiting(self) -> bool:
        """Pages (or other messages) are ready for the caller right now."""
        return not self._queue.empty()

    # -- coordinator (caller's thread) ------------------------------------------------------------
    def _submit(self, resource: Resource, window: Window) -> None:
        with self._lock:
            self._waiting += 1
        self.pool.submit(self._walk_window, resource, window)

    def _split_if_idle(self) -> WindowSplit | None:
        """Cut the busiest running window when a fetch thread would otherwise sit idle."""
        with self._lock:
            if self._waiting or len(self._running) >= self.concurrency:
                return None
            candidates = [
                r
                for r in self._running.values()
                if r.pages
                and not r.finished
                and r.last is not None
                and r.first is not None
                and r.last - r.window.lo > MIN_SPAN_S
            ]
            if not candidates:
                return None
            busiest = max(candidates, key=lambda r: r.pages)
            lo, last = busiest.window.lo, busiest.last
            walked = max(busiest.first - last, MIN_SPAN_S)
            # As far back again as walked; when that is past the window's start, halve what is left.
            cut = last - walked if last - walked > lo else lo + (last - lo) // 2
            resource, window = busiest.resource, busiest.window
            key = self._next_key[resource.table]
            self._next_key[resource.table] = key + 1
            older = Window(key=key, lo=window.lo, hi=cut)
            window.lo = cut  # the running walker's next request starts from here
        log.debug(
            "split %s window %s at %s: %s running",
            resource.table,
            window.key,
            cut,
            len(self._running),
        )
        self._submit(resource, older)
        return WindowSplit(resource, window.key, replace(older))

    def _put(self, message: Message | _Failed | _Ended) -> None:
        """Hand a message to the caller, waiting for room; gives up once the walk has stopped."""
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.1)
                return
            except queue.Full:
                continue

    # -- fetch threads ------------------------------------------------------------------------------
    def _walk_window(self, resource: Resource, window: Window) -> None:
        running = _Running(resource, window)
        with self._lock:
            self._waiting -= 1
            self._running[(resource.table, window.key)] = running
        try:
            while not self._stop.is_set() and not self.cancel.is_set():
                with self._lock:
                    params = window.params()
                try:
                    page = self.fetcher.list_page_with(resource, params)
                except NotFound as error:
                    if window.after and error.param == "starting_after":
                        with self._lock:
                            window.after = None
                        self._put(ListRestarted(resource, window.key))
                        continue
                    if not window.after and window.key == 0:
                        self._put(Unsupported(resource))
                        return
                    raise
                finished = not page.has_more or not page.data
                with self._lock:  # before the page is handed over, so a split can use it
                    if page.data:
                        window.after = page.data[-1]["id"]
                    created = [
                        o.get("created") for o in page.data if isinstance(o.get("created"), int)
                    ]
                    if created:
                        running.first = max(created) if running.first is None else running.first
                        running.last = min(created)
                    running.pages += 1
                    running.finished = finished
                if self.prepare is not None:
                    page = Page([], page.has_more, self.prepare(resource, page))
                self._put(PageListed(resource, window.key, page))
                if finished:
                    self._put(WindowDone(resource, window.key))
                    return
        except BaseException as error:  # handed to the caller's thread, which raises it
            self._put(_Failed(error))
        finally:
            with self._lock:
                self._running.pop((resource.table, window.key), None)
            self._put(_Ended())
