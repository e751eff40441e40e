"""Invoice PDFs and hosted pages: real PDFs over plain HTTP, drafts refused, non-ASCII safe, fast."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
import zlib

import pytest
import stripe

from desk_billing.sandbox.pdf import format_amount, render_invoice_pdf, safe_text


def _text(pdf: bytes) -> str:
    """The PDF's text: pypdf when installed, else the inflated content streams (fpdf2 writes literals)."""
    try:
        import io

        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    except ImportError:
        chunks = []
        for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
            try:
                chunks.append(zlib.decompress(match.group(1)).decode("latin-1"))
            except zlib.error:
                chunks.append(match.group(1).decode("latin-1"))
        return "\n".join(chunks)


def _invoice(
    client: stripe.StripeClient, name: str, currency: str = "usd", amount: int = 123456
) -> stripe.Invoice:
    customer = client.v1.customers.create(
        params={
            "name": name,
            "email": "billing@example.com",
            "address": {
                "line1": "1 Main St",
                "city": "Springfield",
                "postal_code": "12345",
                "country": "US",
            },
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": currency})
    client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "invoice": invoice.id,
            "amount": amount,
            "description": "Consulting",
        }
    )
    return invoice


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_pdf_of_finalized_invoice(sandbox, client):
    invoice = _invoice(client, "Acme Corp")
    status, _headers, body = _get(f"{sandbox.url}/_sandbox/invoices/{invoice.id}/pdf")
    assert status == 404 and b"draft" in body  # drafts have no PDF

    invoice = client.v1.invoices.pay(invoice.id)
    status, headers, body = _get(invoice.invoice_pdf)
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert f'filename="Invoice-{invoice.number}.pdf"' in headers["Content-Disposition"]
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    text = _text(body)
    for expected in (invoice.number, "Acme Corp", "Consulting", "$1,234.56", "PAID", "Amount due"):
        assert expected in text, expected

    status, headers, page = _get(invoice.hosted_invoice_url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert invoice.number.encode() in page


def test_unknown_invoice_pdf_is_404(sandbox):
    status, _headers, body = _get(f"{sandbox.url}/_sandbox/invoices/in_nothing/pdf")
    assert status == 404 and b"No such invoice" in body


@pytest.mark.parametrize(
    ("name", "currency", "amount", "shown"),
    [
        ("Zoë Müller", "eur", 1250, "1,250"),
        ("株式会社テスト", "jpy", 1200, "1,200"),
        ("Ḱuwait Trading", "kwd", 1250, "1.250"),
    ],
)
def test_non_ascii_names_and_currencies(client, name, currency, amount, shown):
    invoice = client.v1.invoices.finalize_invoice(_invoice(client, name, currency, amount).id)
    status, _headers, body = _get(invoice.invoice_pdf)
    assert status == 200 and body.startswith(b"%PDF-")
    if all(ord(c) < 256 for c in name):
        assert name in _text(body)
    assert shown in format_amount(amount if currency != "eur" else 125000, currency)


def test_amount_formatting_and_degrading():
    assert format_amount(123456, "usd").endswith("1,234.56")
    assert format_amount(1200, "jpy").endswith("1,200")
    assert format_amount(1250, "kwd") == "KWD 1.250"
    assert format_amount(-500, "usd").startswith("-")
    assert safe_text(None) == ""
    assert safe_text("plain") == "plain"
    assert "\ufffd" not in safe_text("株式会社テスト Zoë")


def test_render_is_fast():
    invoice = {
        "id": "in_x",
        "number": "ABCD1234-0001",
        "account_name": "Sandbox",
        "currency": "usd",
        "status": "open",
        "customer_name": "Zoë Müller",
        "status_transitions": {"finalized_at": 1_700_000_000},
        "created": 1_700_000_000,
        "subtotal": 1000,
        "total": 1000,
        "amount_paid": 0,
        "amount_remaining": 1000,
        "lines": {"data": [{"description": "Thing", "quantity": 1, "amount": 1000, "pricing": {}}]},
    }
    render_invoice_pdf(invoice, {})
    start = time.perf_counter()
    for _ in range(20):
        render_invoice_pdf(invoice, {})
    assert (time.perf_counter() - start) / 20 < 0.05


def test_lines_keep_the_order_they_were_added_in_on_the_pdf_and_in_the_api(client):
    invoice = _invoice(client, "Ordered Ltd")  # first line: Consulting
    for description in ("Travel", "Workshop"):
        client.v1.invoice_items.create(
            params={"customer": invoice.customer, "invoice": invoice.id, "amount": 5000,
                    "description": description}
        )  # fmt: skip
    expected = ["Consulting", "Travel", "Workshop"]
    assert [line.description for line in client.v1.invoices.retrieve(invoice.id).lines.data] == (
        expected
    )
    listed = client.v1.invoices.line_items.list(invoice.id, params={"limit": 2})
    assert [line.description for line in listed.data] == expected[:2] and listed.has_more
    status, _headers, pdf = _get(client.v1.invoices.finalize_invoice(invoice.id).invoice_pdf)
    assert status == 200
    text = _text(pdf)
    assert text.index("Consulting") < text.index("Travel") < text.index("Workshop")
