"""Balance transactions: retrieve one, list them newest first by type, source, currency or payout.

They are written where money moves (charges.balance_transaction); this module only reads them.
"""

from __future__ import annotations

from typing import Any

from ..common import require
from ..listing import paginate
from ..router import Call, api


@api.route("get", "/v1/balance_transactions/{id}")
def retrieve(call: Call) -> dict[str, Any]:
    return require(call.state, "balance_transactions", call.arg("id"), "balance transaction")


@api.route("get", "/v1/balance_transactions")
def list_balance_transactions(call: Call) -> dict[str, Any]:
    params = call.params
    if params.get("payout"):
        # the sandbox pays nothing out: no transaction belongs to a payout
        require(call.state, "payouts", params["payout"], "payout", param="payout")
    wanted = {
        name: params[name].lower() if name == "currency" else params[name]
        for name in ("type", "source", "currency")
        if params.get(name)
    }

    def keep(txn: dict[str, Any]) -> bool:
        return all(txn[name] == value for name, value in wanted.items())

    return paginate(
        call,
        call.state.collection("balance_transactions"),
        url="/v1/balance_transactions",
        kind="balance transaction",
        keep=keep,
    )
