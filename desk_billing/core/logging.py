"""Structured JSON-lines log file with every API key and webhook secret masked."""

from __future__ import annotations

import logging
import logging.handlers
import re
import time
from pathlib import Path

import orjson

SECRET_PATTERN = re.compile(r"\b((?:sk|rk)_(?:test|live)_|whsec_)([A-Za-z0-9]+)")
_HANDLER_NAME = "desk-billing-jsonl"


def mask_secrets(text: str) -> str:
    """Replace anything shaped like a key: "sk_test_…abcd" (long ones) or "sk_test_***"."""

    def masked(match: re.Match[str]) -> str:
        prefix, rest = match.group(1), match.group(2)
        return f"{prefix}…{rest[-4:]}" if len(rest) >= 12 else f"{prefix}***"

    return SECRET_PATTERN.sub(masked, text)


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
    # The SDK logs request and response bodies at DEBUG; those never reach our file.
    logging.getLogger("stripe").setLevel(logging.WARNING)
    return handler
