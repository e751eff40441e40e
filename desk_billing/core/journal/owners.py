"""Who is sending a journal row: this process's in-flight keys, and whether the process that
wrote a pending row elsewhere on this host is still alive (then its row is left to it)."""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import threading
from collections.abc import Iterator

_IN_FLIGHT: set[str] = set()  # idempotency keys being sent by this process right now
_IN_FLIGHT_LOCK = threading.Lock()


@contextlib.contextmanager
def sending(key: str) -> Iterator[None]:
    """Marks the key as being sent by this process for the duration of the block."""
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.add(key)
    try:
        yield
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(key)


def in_flight(key: str) -> bool:
    with _IN_FLIGHT_LOCK:
        return key in _IN_FLIGHT


def os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return None


def current_owner() -> str:
    """host:pid:thread of the sender; resume claims a row by swapping this in (compare-and-set)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def owner_alive(owner: str | None) -> bool:
    """Whether the process that wrote a pending row may still be sending it."""
    parts = (owner or "").split(":")
    if len(parts) != 3:
        return False
    host, pid_text, _thread = parts
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # ours: in flight only if `in_flight` says so
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
