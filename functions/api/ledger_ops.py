"""Ledger operations of their own: opening balances and adjustments (scope ``erp``).

A landlord moving to Encaisse brings each tenant's arrears or credit as an opening
balance; later credit notes and regularisations are adjustments. Both are ledger
lines with an accounting entry for the ERP, idempotent on the ERP's reference.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from functions.api import bulk
from functions.api.auth import Principal
from functions.api.http import Routes, deps, json_response
from functions.api.requests import balance_operation_from_body
from functions.core.errors import EncaisseError
from functions.core.ledger import LedgerLine, LineKind
from functions.core.money import format_cents

bp = Blueprint(__name__)
route = Routes(bp)


def _post(p: Principal, lease_id: str, kind: LineKind) -> Response:
    op = balance_operation_from_body(p.org_id, lease_id, kind, route.body())
    line, created = deps.lease_service.post_balance_operation(op)
    lease = deps.leases.get(p.org_id, op.lease_id)
    return json_response(_line_json(line, lease.balance_cents, created), 201 if created else 200)


def _line_json(line: LedgerLine, balance_cents: int, created: bool) -> dict[str, Any]:
    return {
        "lease_id": line.lease_id,
        "line_id": line.line_id,
        "kind": line.kind.value,
        "date": line.date.isoformat(),
        "amount": format_cents(line.amount_cents),
        "reference": line.source_id,
        "label": line.label,
        "created": created,
        "balance": format_cents(balance_cents),
    }


@route("/v1/leases/{lease_id}/opening-balance", methods=("POST",))
def post_opening_balance(p: Principal, lease_id: str) -> Response:
    return _post(p, lease_id, LineKind.OPENING_BALANCE)


@route("/v1/leases/{lease_id}/adjustments", methods=("POST",))
def post_adjustment(p: Principal, lease_id: str) -> Response:
    return _post(p, lease_id, LineKind.ADJUSTMENT)


@route("/v1/opening-balances/bulk", methods=("POST",))
def post_opening_balances_bulk(p: Principal) -> Response:
    """A migration's opening balances by 1,000: ``{"opening_balances": [{"lease_id",
    "amount", "date", "reference"}, …]}``; each item answered on its own."""
    raw = bulk._items(route.body(), "opening_balances")
    results: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        try:
            lease_id = item.get("lease_id") if isinstance(item, dict) else None
            op = balance_operation_from_body(
                p.org_id, lease_id, LineKind.OPENING_BALANCE, item, field=f"opening_balances[{i}]"
            )
            line, created = deps.lease_service.post_balance_operation(op)
        except EncaisseError as e:
            results.append(bulk._error(i, e))
            continue
        results.append(
            {"index": i, "status": "created" if created else "exists", "lease_id": line.lease_id}
        )
    return json_response(bulk._summary(results))
