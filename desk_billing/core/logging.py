"""Structured JSON-lines log file with every API key and webhook secret masked, and the one
line per Stripe request (`log_request`) that the gateway and the PDF fetcher write."""

from __future__ import annotations

import getpass
import logging
import logging.handlers
import re
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

SECRET_PATTERN = re.compile(r"\b((?:sk|rk)_(?:test|live)_|whsec_)([A-Za-z0-9]+)")
_HANDLER_NAME = "desk-billing-jsonl"
REQUESTS_LOGGER = "desk_billing.requests"
# Libraries that log at INFO on their own (fontTools: hundreds of lines per PDF font subset;
# urllib3: every connection) or bodies at DEBUG (stripe): only their warnings reach the file.
QUIET_LOGGERS = ("fontTools", "urllib3", "PIL", "stripe", "requests", "charset_normalizer")
_requests_log = logging.getLogger(REQUESTS_LOGGER)


def mask_secrets(text: str) -> str:
    """Replace anything shaped like a key: "sk_test_…abcd" (long ones) or "sk_test_***"."""

    def masked(match: re.Match[str]) -> str:
        prefix, rest = match.group(1), match.group(2)
        return f"{prefix}…{rest[-4:]}" if len(rest) >= 12 else f"{prefix}***"

    return SECRET_PATTERN.sub(masked, text)


def operator_name() -> str | None:
    """Who is at the desk, as the OS names them (None when it cannot say)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no USER/LOGNAME (containers)
        return None


def log_request(
    method: str,
    path: str,
    status: int | None,
    duration_s: float,
    context: Mapping[str, Any] | None = None,
    **fields: Any,
) -> None:
    """One JSON line for one HTTP request to Stripe: method, path (never the query, which can
    hold e-mails), status, duration and the identifiers in `fields` (request_id,
    idempotency_key, object_id, amount, currency, error); `context` adds operator and profile.
    Callers pass identifiers only, never a body or a key."""
    entry: dict[str, Any] = {
        "method": method.upper(),
        "path": path,
        "status": status,
        "duration_ms": round(duration_s * 1000, 1),
    }
    entry.update((k, v) for k, v in fields.items() if v is not None)
    entry.update((k, v) for k, v in (context or {}).items() if v is not None)
    level = logging.WARNING if status is None or status >= 500 else logging.INFO
    _requests_log.log(level, "%s %s %s", entry["method"], path, status, extra=entry)


class SecretMaskingFilter(logging.Filter):
    """Masks keys in the rendered message (so in `args` too) and in exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, extras, exception."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        line = orjson.dumps(entry, default=str).decode()
        # Masked again as a whole: extras are not covered by the filter.
        return mask_secrets(line)


def setup_logging(log_file: Path, level: int = logging.INFO) -> logging.Handler:
    """Send the program's log to `log_file` (rotated); calling it twice installs one handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            if Path(handler.baseFilename) == log_file.resolve():  # type: ignore[attr-defined]
                return handler
            # Another home (tests, a profile switch to another DESK_BILLING_HOME): move the log.
            root.removeHandler(handler)
            handler.close()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8", delay=True
    )
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(SecretMaskingFilter())
    handler.setFormatter(JsonLinesFormatter())
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    quiet_third_parties()
    return handler


def quiet_third_parties() -> None:
    """Third-party loggers at WARNING (the SDK logs bodies at DEBUG; those never reach a file)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def log_lines(log_file: Path, tail: int | None = None) -> list[str]:
    """The log's lines, oldest first, rotated files included; the last `tail` when given."""
    files = [log_file.with_name(f"{log_file.name}.{n}") for n in range(9, 0, -1)] + [log_file]
    lines: deque[str] = deque(maxlen=tail if tail is not None and tail >= 0 else None)
    for path in files:
        if path.is_file():
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines.extend(line.rstrip("\n") for line in handle)
    return list(lines)
