"""Invoice documents outside the API: the PDF behind `invoice_pdf` and the page behind `hosted_invoice_url`."""

from __future__ import annotations

import copy
import html
from typing import Any

from ..common import minor_units_label
from ..control import control
from ..router import Call


def _document_invoice(call: Call) -> dict[str, Any] | Any:
    from ..app import Response

    invoice_id = call.arg("invoice")
    invoice = call.state.get("invoices", invoice_id)
    if invoice is None:
        return Response(404, _json_error(f"No such invoice: '{invoice_id}'"))
    if invoice["status"] == "draft":
        return Response(
            404,
            _json_error(
                f"Invoice {invoice_id} is a draft: drafts have no PDF or hosted page until they are finalized."
            ),
        )
    return invoice


def _json_error(message: str) -> bytes:
    from ..wire import encode_json

    return encode_json(
        {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": message}}
    )


@control.route("get", "/_sandbox/invoices/{invoice}/pdf")
def invoice_pdf(call: Call) -> Any:
    from ..app import Response
    from ..pdf import pdf_filename, render_invoice_pdf

    invoice = _document_invoice(call)
    if not isinstance(invoice, dict):
        return invoice
    # Snapshot under the account lock, render after it (app._control runs a returned callable
    # outside the lock): rendering takes ~20 ms and must not stall every other request.
    invoice = copy.deepcopy(invoice)
    customer = copy.deepcopy(call.state.get("customers", invoice["customer"]) or {})

    def render() -> Response:
        return Response(
            200,
            render_invoice_pdf(invoice, customer),
            {
                "Content-Disposition": f'inline; filename="{pdf_filename(invoice)}"',
                "Cache-Control": "no-store",
            },
            content_type="application/pdf",
        )

    return render


@control.route("get", "/_sandbox/invoices/{invoice}/hosted")
def hosted_page(call: Call) -> Any:
    from ..app import Response

    invoice = _document_invoice(call)
    if not isinstance(invoice, dict):
        return invoice
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(line['description'] or '')}</td><td>{line['quantity'] or ''}</td>"
        f"<td>{e(minor_units_label(line['amount'], line['currency']))}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Invoice {e(invoice['number'] or invoice['id'])}</title></head><body>"
        f"<h1>{e(invoice['account_name'] or '')}</h1>"
        f"<p>Invoice <b>{e(invoice['number'] or '')}</b> for {e(invoice['customer_name'] or invoice['customer_email'] or '')}</p>"
        f"<p>Status: {e(invoice['status'])}</p>"
        f"<table><tr><th>Description</th><th>Qty</th><th>Amount</th></tr>{rows}</table>"
        f"<p>Total: {e(minor_units_label(invoice['total'], invoice['currency']))}<br>"
        f"Amount due: {e(minor_units_label(invoice['amount_remaining'], invoice['currency']))}</p>"
        f"<p><a href='{e(invoice['invoice_pdf'] or '')}'>Download PDF</a></p></body></html>"
    )
    return Response(200, page.encode("utf-8"), content_type="text/html; charset=utf-8")
