"""Downloading one invoice PDF from its `invoice_pdf` URL into a folder, safely.

Stripe has no API endpoint returning PDF bytes, so this is plain HTTP (`requests`, one session
per thread for keep-alive), not the SDK: its own token bucket at Stripe's file rate (20/s),
timeouts, retries with backoff on 429, 5xx and dropped connections. Bytes stream into a hidden
temporary file in the target folder, are checked to be a whole PDF, fsync'ed, then renamed
into place: a final name never holds a partial file, whatever stops the process.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from desk_billing.core.connection import TokenBucket
from desk_billing.core.errors import DeskBillingError, NetworkError
from desk_billing.core.logging import log_request

log = logging.getLogger(__name__)

FILE_RATE_RPS = 20.0  # Stripe's rate limit for files
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
MAX_ATTEMPTS = 5
CHUNK = 64 * 1024
TEMP_PREFIX = ".desk-billing-"
TEMP_SUFFIX = ".part"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# A link past its expiry answers one of these; a freshly retrieved invoice has a new link.
EXPIRED_STATUSES = frozenset({401, 403, 404, 410})


class PdfError(DeskBillingError):
    """A PDF could not be fetched or written; the message is one sentence for the user."""


class LinkExpired(PdfError):
    """The PDF host refused the link (expired or unknown); retrieve the invoice for a new one."""


class FolderError(PdfError):
    """The target folder cannot be written (permissions, not a folder, disk full)."""


class DownloadCancelled(DeskBillingError):
    """The caller's cancel event was set; nothing partial was left behind."""

    def __init__(self) -> None:
        super().__init__("Download cancelled.")


@dataclass(frozen=True)
class Stored:
    """A PDF in its final place."""

    path: Path
    size: int
    sha256: str
    replaced: bool  # False when an identical file was already there and was kept


def folder_error(error: OSError, folder: Path) -> FolderError:
    """One sentence for an OSError while writing into `folder`."""
    code = error.errno
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        text = f"There is not enough space to write into {folder}; the files already written are complete."
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        text = f"The folder {folder} is not writable; choose another folder."
    elif code in (errno.ENOTDIR, errno.EEXIST):
        text = f"{folder} is not a folder (a file is in the way); choose another folder."
    else:
        text = f"Could not write into {folder} ({error.strerror or error})."
    return FolderError(text)


def prepare_folder(folder: Path) -> Path:
    """Create `folder` if needed and prove it writable, with a real file (os.access lies to root
    and on network drives); stale temporary files of an interrupted run are removed."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f"{TEMP_PREFIX}probe-{secrets.token_hex(4)}{TEMP_SUFFIX}"
        with open(probe, "wb") as handle:
            handle.write(b"%PDF-probe")
        probe.unlink()
    except OSError as error:
        raise folder_error(error, folder) from error
    for stale in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        # Only files this module names so; a concurrent export into the same folder would
        # lose a temp file here and retry it.
        try:
            stale.unlink()
        except FileNotFoundError:
            continue
    return folder


def is_pdf(path: Path) -> bool:
    """A whole PDF: starts with `%PDF-` and ends with `%%EOF` (within the last KiB)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(5)
        handle.seek(max(0, size - 1024))
        tail = handle.read()
    return head == b"%PDF-" and b"%%EOF" in tail


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class PdfFetcher:
    """Fetches PDFs over HTTP for any number of threads, within one shared rate limit."""

    def __init__(
        self,
        rate: float = FILE_RATE_RPS,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
        max_attempts: int = MAX_ATTEMPTS,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bucket = TokenBucket(rate)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self.requests_sent = 0

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "desk-billing (invoice PDFs)"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def fetch(
        self,
        url: str,
        target: Path,
        label: str,
        cancel: threading.Event | None = None,
        keep_identical: bool = True,
    ) -> Stored:
        """Download `url` to `target` (atomically); `label` names the invoice in messages.

        With `keep_identical`, an existing file with the same bytes is left untouched.
        """
        attempt = 0
        while True:
            attempt += 1
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled
            try:
                return self._attempt(url, target, label, cancel, keep_identical)
            except _Transient as transient:
                if attempt >= self.max_attempts:
                    raise NetworkError(
                        f"The PDF of {label} could not be downloaded ({transient}); try again later."
                    ) from transient
                delay = transient.retry_after
                if delay is None:
                    delay = min(self.backoff_s * 2 ** (attempt - 1), 8.0) * (
                        0.5 + random.random() / 2
                    )
                log.info("PDF of %s: %s; retry %d in %.2f s", label, transient, attempt, delay)
                self._sleep(delay)

    def _attempt(
        self,
        url: str,
        target: Path,
        label: str,
        cancel: threading.Event | None,
        keep_identical: bool,
    ) -> Stored:
        self.bucket.acquire()
        with self._lock:
            self.requests_sent += 1
        started = time.monotonic()
        try:
            response = self._session().get(url, stream=True, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            log_request("GET", "invoice_pdf", None, time.monotonic() - started, invoice=label,
                        error=type(error).__name__)  # fmt: skip
            raise _Transient(type(error).__name__) from error
        except requests.RequestException as error:  # a malformed URL and the like
            raise PdfError(
                f"The PDF link of {label} cannot be used ({type(error).__name__})."
            ) from error
        # The link itself is a credential (anyone holding it reads the PDF): never logged.
        log_request("GET", "invoice_pdf", response.status_code, time.monotonic() - started,
                    invoice=label, request_id=response.headers.get("Request-Id"))  # fmt: skip
        with response:
            if response.status_code in RETRY_STATUSES:
                raise _Transient(f"HTTP {response.status_code}", _retry_after(response))
            if response.status_code in EXPIRED_STATUSES:
                raise LinkExpired(
                    f"Stripe refused the PDF link of {label} (HTTP {response.status_code})."
                )
            if response.status_code != 200:
                raise PdfError(
                    f"Stripe answered HTTP {response.status_code} for the PDF of {label}."
                )
            return self._store(response, target, label, cancel, keep_identical)

    def _store(
        self,
        response: requests.Response,
        target: Path,
        label: str,
        cancel: threading.Event | None,
        keep_identical: bool,
    ) -> Stored:
        folder = target.parent
        temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(6)}{TEMP_SUFFIX}"
        digest = hashlib.sha256()
        size = 0
        try:
            try:
                with open(temp, "wb") as handle:
                    for chunk in response.iter_content(CHUNK):
                        if cancel is not None and cancel.is_set():
                            raise DownloadCancelled
                        handle.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
            except requests.RequestException as error:  # an OSError subclass: catch it first
                raise _Transient("connection dropped during the download") from error
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) != size:
                raise _Transient(f"got {size} of {expected} bytes")
            if not is_pdf(temp):
                raise _Transient("the answer was not a whole PDF")
            sha = digest.hexdigest()
            if (
                keep_identical
                and target.is_file()
                and target.stat().st_size == size
                and file_sha256(target) == sha
            ):
                temp.unlink()
                return Stored(target, size, sha, replaced=False)
            os.replace(temp, target)
            return Stored(target, size, sha, replaced=True)
        except OSError as error:
            raise folder_error(error, folder) from error
        finally:
            if temp.exists():
                try:
                    temp.unlink()
                except OSError as error:  # the folder went away or read-only: say so, keep going
                    log.warning("Could not remove %s: %s", temp, error)


class _Transient(Exception):
    """Worth another attempt: throttled, a server error, a dropped or short answer."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), 30.0)
    except ValueError:
        return None
