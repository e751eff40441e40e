"""HTML building blocks of the detail panes (QTextBrowser's rich-text subset)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

from desk_billing.gui import formatting

Cell = Callable[[Mapping[str, Any]], str]

_STYLE = """
<style>
 body { font-size: 10pt; }
 h2 { margin: 0 0 2px 0; }
 h3 { margin: 14px 0 4px 0; color: #444; }
 td, th { padding: 2px 8px 2px 0; }
 th { text-align: left; color: #666; font-weight: normal; }
 .muted { color: #777; }
</style>
"""


def page(title: str, subtitle: str, *parts: str) -> str:
    return f"{_STYLE}<h2>{escape(title)}</h2><div class='muted'>{subtitle}</div>{''.join(parts)}"


def placeholder(text: str) -> str:
    return f"{_STYLE}<p class='muted'>{escape(text)}</p>"


def missing(object_id: str) -> str:
    return placeholder(f"{object_id} is not in the local cache (yet); the next sync brings it.")


def status(value: str | None) -> str:
    background, foreground = formatting.status_colours(value)
    text = escape(formatting.status_text(value))
    return f"<span style='background:{background}; color:{foreground}'>&nbsp;{text}&nbsp;</span>"


def amount(row: Mapping[str, Any], key: str = "amount", currency_key: str = "currency") -> str:
    return escape(formatting.amount_text(row.get(key), row.get(currency_key)))


def date(row: Mapping[str, Any], key: str = "created") -> str:
    return escape(formatting.date_text(row.get(key)))


def reason(row: Mapping[str, Any]) -> str:
    """A refund's reason as a person says it ("Requested by customer")."""
    return escape(formatting.reason_text(row.get("reason")))


def text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else escape(str(value))


def link(url: str | None, label: str) -> str:
    if not url:
        return ""
    return f"<a href='{escape(url, quote=True)}'>{escape(label)}</a>"


def fields(pairs: Iterable[tuple[str, str]]) -> str:
    """A two-column table of label/value pairs (values are HTML already); empty values skipped."""
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in pairs if v)
    return f"<table>{rows}</table>"


def table(
    title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, Cell]]
) -> str:
    """A titled table of related objects, or a line saying there are none."""
    if not rows:
        return f"<h3>{escape(title)}</h3><p class='muted'>None in the cache.</p>"
    head = "".join(f"<th>{escape(name)}</th>" for name, _ in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(r)}</td>" for _, cell in columns) + "</tr>" for r in rows
    )
    return f"<h3>{escape(title)} ({len(rows)})</h3><table><tr>{head}</tr>{body}</table>"


def metadata(obj: Mapping[str, Any]) -> str:
    values = obj.get("metadata") or {}
    if not values:
        return ""
    return "<h3>Metadata</h3>" + fields((str(k), escape(str(v))) for k, v in values.items())


# Columns reused by several panes.
ID: tuple[str, Cell] = ("Id", lambda r: text(r, "id"))
CREATED: tuple[str, Cell] = ("Created", date)
STATUS: tuple[str, Cell] = ("Status", lambda r: status(r.get("status")))
AMOUNT: tuple[str, Cell] = ("Amount", amount)
