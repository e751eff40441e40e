"""Credit notes: reduce what an open invoice asks for, or refund / credit part of a paid one.

A simplified version of Stripe's: lines are custom (an amount and description) or a share of an
invoice line; no tax, discounts or shipping. Before payment (`pre_payment`) a note lowers the
invoice's `amount_due`; after payment (`post_payment`) its amount must be split between
`refund_amount` (a refund of the invoice's charge), `credit_amount` (customer balance) and
`out_of_band_amount`, and the parts must add up to the note's total, as Stripe requires.
"""

from __future__ import annotations

from typing import Any

from ..common import minor_units_label, require
from ..errors import invalid
from ..listing import apply_metadata, list_object, paginate, paginate_items
from ..router import Call, api
from ..state import State
from . import invoice_lines
from . import invoices as inv
from .invoice_payments import paid_intent, sync_amount
from .refunds import create_refund


def _lines(state: State, invoice: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
    lines = []
    for i, spec in enumerate(params.get("lines") or []):
        quantity = spec.get("quantity", 1)
        if spec.get("type") == "invoice_line_item":
            source = next(
                (
                    li
                    for li in invoice["lines"]["data"]
                    if li["id"] == spec.get("invoice_line_item")
                ),
                None,
            )
            if source is None:
                raise invalid("Invalid invoice line item.", param=f"lines[{i}][invoice_line_item]")
            amount = spec.get("amount", source["amount"])
            description, line_id = source.get("description"), source["id"]
        else:
            unit = spec.get("unit_amount")
            if unit is None:
                raise invalid(
                    "Missing required param: unit_amount.",
                    param=f"lines[{i}][unit_amount]",
                    code="parameter_missing",
                )
            amount, description, line_id = unit * quantity, spec.get("description"), None
        line = {
            "id": state.new_id("cnli"),
            "object": "credit_note_line_item",
            "amount": amount,
            "description": description,
            "discount_amount": 0,
            "discount_amounts": [],
            "livemode": False,
            "metadata": spec.get("metadata") or {},
            "pretax_credit_amounts": [],
            "quantity": quantity,
            "tax_rates": [],
            "taxes": [],
            "type": spec.get("type", "custom_line_item"),
            "unit_amount": spec.get("unit_amount"),
            "unit_amount_decimal": str(spec["unit_amount"])
            if spec.get("unit_amount") is not None
            else None,
        }
        if line_id:  # left out for custom lines
            line["invoice_line_item"] = line_id
        lines.append(line)
    return lines


def _invoice_charge(state: State, invoice: dict[str, Any]) -> dict[str, Any] | None:
    pi = paid_intent(state, invoice)
    return state.get("charges", pi["latest_charge"]) if pi and pi["latest_charge"] else None


def create_credit_note(state: State, params: dict[str, Any]) -> dict[str, Any]:
    invoice = require(state, "invoices", params["invoice"], "invoice", param="invoice")
    if invoice["status"] not in ("open", "paid", "uncollectible"):
        raise invalid(
            "Credit notes can only be created for open, paid or uncollectible invoices; this invoice is "
            f"{invoice['status']}.",
            param="invoice",
        )
    lines = _lines(state, invoice, params)
    if "amount" in params and lines:
        raise invalid(
            "You may only specify one of these parameters: amount, lines.", param="amount"
        )
    total = params["amount"] if "amount" in params else sum(line["amount"] for line in lines)
    if total <= 0:
        raise invalid("The credit note amount must be greater than zero.", param="amount")
    currency = invoice["currency"]
    pre_payment = invoice["status"] != "paid"
    creditable = (
        invoice["amount_due"] - invoice["amount_paid"]
        if pre_payment
        else invoice["amount_paid"] - invoice["post_payment_credit_notes_amount"]
    )
    if total > creditable:
        raise invalid(
            f"The credit note amount ({minor_units_label(total, currency)}) is greater than the amount that "
            f"can be credited on this invoice ({minor_units_label(max(creditable, 0), currency)}).",
            param="amount",
        )
    refund_amount = params.get("refund_amount", 0)
    credit_amount = params.get("credit_amount", 0)
    out_of_band = params.get("out_of_band_amount", 0)
    if not pre_payment and refund_amount + credit_amount + out_of_band != total:
        raise invalid(
            "The sum of credit amount, refund amount and out of band amount must equal the credit note amount "
            f"({minor_units_label(total, currency)}) for a paid invoice.",
            param="refund_amount",
        )
    if not lines:
        lines = _lines(
            state,
            invoice,
            {"lines": [{"unit_amount": total, "description": params.get("memo") or "Credit"}]},
        )
    sequence = 1 + sum(
        1
        for n in state.where("credit_notes", "customer", invoice["customer"])
        if n["invoice"] == invoice["id"]
    )
    note_id = state.new_id("cn")
    refunds = []
    if refund_amount:
        charge = _invoice_charge(state, invoice)
        if charge is None:
            raise invalid(
                "This invoice has no payment that could be refunded.", param="refund_amount"
            )
        refund = create_refund(
            state,
            {"charge": charge["id"], "amount": refund_amount, "metadata": {"credit_note": note_id}},
        )
        refunds.append(
            {
                "amount_refunded": refund_amount,
                "payment_record_refund": None,
                "refund": refund["id"],
                "type": "refund",
            }
        )
    note = state.insert(
        "credit_notes",
        {
            "id": note_id,
            "object": "credit_note",
            "amount": total,
            "amount_shipping": 0,
            "created": state.now(),
            "currency": currency,
            "customer": invoice["customer"],
            "customer_account": None,
            "customer_balance_transaction": None,
            "discount_amount": 0,
            "discount_amounts": [],
            "effective_at": params.get("effective_at") or state.now(),
            "invoice": invoice["id"],
            "lines": list_object(f"/v1/credit_notes/{note_id}/lines", lines, False),
            "livemode": False,
            "memo": params.get("memo"),
            "metadata": apply_metadata({}, params.get("metadata")),
            "number": f"{invoice['number']}-CN-{sequence:02d}",
            "out_of_band_amount": out_of_band or None,
            "pdf": f"{state.base_url}/_sandbox/credit_notes/{note_id}/pdf",
            "post_payment_amount": 0 if pre_payment else total,
            "pre_payment_amount": total if pre_payment else 0,
            "pretax_credit_amounts": [],
            "reason": params.get("reason"),
            "refunds": refunds,
            "shipping_cost": None,
            "status": "issued",
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "total": total,
            "total_excluding_tax": total,
            "total_taxes": [],
            "type": "pre_payment" if pre_payment else "post_payment",
            "voided_at": None,
        },
    )
    state.emit("credit_note.created", note)
    _apply_to_invoice(state, invoice, note, sign=1)
    return note


def _apply_to_invoice(
    state: State, invoice: dict[str, Any], note: dict[str, Any], *, sign: int
) -> None:
    key = (
        "pre_payment_credit_notes_amount"
        if note["type"] == "pre_payment"
        else "post_payment_credit_notes_amount"
    )
    before = {k: invoice[k] for k in (key, "amount_due", "amount_remaining")}
    invoice[key] += sign * note["total"]
    invoice_lines.recompute(invoice)
    sync_amount(state, invoice)
    previous = {k: v for k, v in before.items() if invoice[k] != v}
    if previous:
        state.emit("invoice.updated", invoice_lines.render(invoice), previous)
    if (
        note["type"] == "pre_payment"
        and invoice["status"] == "open"
        and invoice["amount_remaining"] == 0
    ):
        inv.mark_paid(state, invoice, out_of_band=True)  # fully credited: nothing left to collect


@api.route("post", "/v1/credit_notes")
def create(call: Call) -> dict[str, Any]:
    return create_credit_note(call.state, call.params)


@api.route("get", "/v1/credit_notes/{id}")
def retrieve(call: Call) -> dict[str, Any]:
    return require(call.state, "credit_notes", call.arg("id"), "credit note")


@api.route("post", "/v1/credit_notes/{id}")
def update(call: Call) -> dict[str, Any]:
    note = require(call.state, "credit_notes", call.arg("id"), "credit note")
    changes = {}
    if "memo" in call.params:
        changes["memo"] = call.params["memo"]
    if "metadata" in call.params:
        changes["metadata"] = apply_metadata(note, call.params["metadata"])
    previous = call.state.update(note, changes)
    if previous:
        call.state.emit("credit_note.updated", note, previous)
    return note


@api.route("post", "/v1/credit_notes/{id}/void")
def void(call: Call) -> dict[str, Any]:
    state = call.state
    note = require(state, "credit_notes", call.arg("id"), "credit note")
    if note["status"] == "void":
        raise invalid("This credit note has already been voided.", param="id")
    invoice = state.get("invoices", note["invoice"])
    if note["type"] == "post_payment" or invoice["status"] != "open":
        raise invalid(
            "Only credit notes issued before an invoice is paid can be voided in the sandbox.",
            param="id",
        )
    previous = state.update(note, {"status": "void", "voided_at": state.now()})
    state.emit("credit_note.voided", note, previous)
    _apply_to_invoice(state, invoice, note, sign=-1)
    return note


@api.route("get", "/v1/credit_notes/{credit_note}/lines")
def lines(call: Call) -> dict[str, Any]:
    note = require(
        call.state, "credit_notes", call.arg("credit_note"), "credit note", param="credit_note"
    )
    return paginate_items(
        call, note["lines"]["data"], url=note["lines"]["url"], kind="credit note line item"
    )


@api.route("get", "/v1/credit_notes")
def list_notes(call: Call) -> dict[str, Any]:
    params = call.params

    def keep(note: dict[str, Any]) -> bool:
        return ("customer" not in params or note["customer"] == params["customer"]) and (
            "invoice" not in params or note["invoice"] == params["invoice"]
        )

    return paginate(
        call,
        call.state.collection("credit_notes"),
        url="/v1/credit_notes",
        kind="credit note",
        keep=keep,
    )
