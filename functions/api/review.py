"""Back-office routes of matching: the review queue and every transaction's outcome.

GET  /v1/review                              queued transactions with their suggestions
GET  /v1/review/{transaction_id}             one transaction, its decision and history
POST /v1/review/{transaction_id}/allocate    to one lease, or split over several
POST /v1/review/{transaction_id}/not-rent    set aside: nothing reaches a tenant's account
POST /v1/allocations/{transaction_id}/undo   reverse a wrong allocation (new lines), back to review
GET  /v1/allocations?after=CURSOR            every transaction with its outcome
"""

from __future__ import annotations

import base64
import json
from typing import Any

from chalice.app import Blueprint

from functions.api.auth import Principal
from functions.api.http import Routes, deps, json_response
from functions.api.requests import check_id
from functions.api.views import allocations_json, moment
from functions.core.allocation import Allocation
from functions.core.errors import ValidationError
from functions.core.money import PAYMENT_MAX_CENTS, cents_from_plain_decimal, format_cents
from functions.core.records import RecordedDecision, TransactionRecord, transaction_view
from functions.match.review import QUEUE_STATUSES, ReviewService

bp = Blueprint(__name__)
route = Routes(bp)


def _service() -> ReviewService:
    return deps.review


def _decision_json(recorded: RecordedDecision | None) -> dict[str, Any]:
    if recorded is None:
        return {
            "method": None,
            "score": 0.0,
            "evidence": [],
            "reason": None,
            "allocations": [],
            "suggestions": [],
            "decided_at": None,
            "confirmed_by": None,
        }
    d = recorded.decision
    return {
        "method": d.method.value if d.method else None,
        "score": float(d.score),
        "evidence": list(d.evidence),
        "reason": d.reason,
        "allocations": allocations_json(d.allocations),
        "suggestions": [
            {
                "lease_id": s.lease_id,
                "score": float(s.score),
                "reasons": list(s.reasons),
                "allocations": allocations_json(s.allocations),
            }
            for s in d.suggestions
        ],
        "decided_at": moment(recorded.decided_at),
        "confirmed_by": d.confirmed_by,
    }


def outcome_json(record: TransactionRecord, history: bool = False) -> dict[str, Any]:
    """A transaction as the bank described it, with what Encaisse decided."""
    tx = record.transaction
    view = transaction_view(tx)
    out: dict[str, Any] = {
        "transaction_id": tx.transaction_id,
        "kind": tx.kind.value,
        "statement_id": tx.statement_id,
        "file_id": tx.file_id,
        "bank_reference": tx.bank_reference,
        "end_to_end_id": tx.end_to_end_id,
        "mandate_id": tx.mandate_id,
        "booking_date": view["booking_date"],
        "amount": format_cents(tx.amount_cents),
        "currency": tx.currency,
        "counterparty": {"name": tx.counterparty_name, "iban": tx.counterparty_iban},
        "remittance": tx.remittance,
        "structured_reference": tx.structured_reference,
        "outcome": tx.status.value,
        **_decision_json(record.decision),
        "revision": record.revision,
    }
    reject = record.decision.decision.reject if record.decision else None
    if reject is not None:
        out["reject"] = {
            "reason_code": reject.reason_code,
            "reason_label": reject.reason_label,
            "category": reject.category,
            "original_end_to_end_id": reject.original_end_to_end_id,
            "original_transaction_id": reject.original_transaction_id,
        }
    if history:
        out["history"] = [
            {
                "outcome": h.decision.outcome.value,
                "method": h.decision.method.value if h.decision.method else None,
                "allocations": allocations_json(h.decision.allocations),
                "decided_at": moment(h.decided_at),
                "confirmed_by": h.decision.confirmed_by,
                "replaced_at": moment(h.replaced_at),
            }
            for h in record.history
        ]
    return out


def _who(p: Principal, body: dict[str, Any]) -> str:
    """The person (as the back office names them) and the API key that acted."""
    by = body.get("by")
    if by is not None and (not isinstance(by, str) or not 0 < len(by) <= 80):
        raise ValidationError("by", "the name of the person deciding (at most 80 characters)")
    return f"{by} (key {p.key_id})" if by else f"key {p.key_id}"


def _note(body: dict[str, Any]) -> str | None:
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise ValidationError("note", "text of at most 500 characters")
    return note or None


def _object(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError("body", "a JSON object")
    return raw


def _queue_cursor(cursor: str | None) -> tuple[int, str | None]:
    """The review list walks two statuses: the cursor says which, and where in it."""
    if not cursor:
        return 0, None
    if len(cursor) > 4096:
        raise ValidationError("after", "not a cursor this API returned")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        step, inner = int(data["s"]), data.get("k")
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        raise ValidationError("after", "not a cursor this API returned") from e
    if step not in (0, 1) or (inner is not None and not isinstance(inner, str)):
        raise ValidationError("after", "not a cursor this API returned")
    return step, inner  # the inner cursor is checked by the listing it came from


@route("/v1/review", scope="backoffice")
def list_review(p: Principal) -> dict[str, Any]:
    params = route.query()
    limit = route.limit(params)
    only = params.get("status")
    if only is not None and only not in QUEUE_STATUSES:
        raise ValidationError("status", f"one of {', '.join(QUEUE_STATUSES)}")
    statuses = (only,) if only else QUEUE_STATUSES
    step, inner = _queue_cursor(params.get("after"))
    items: list[dict[str, Any]] = []
    next_cursor = None
    while step < len(statuses):
        page = deps.transaction_records.list(p.org_id, statuses[step], limit - len(items), inner)
        items.extend(outcome_json(i) for i in page.items)
        if page.cursor:
            next_cursor = {"s": step, "k": page.cursor}
            break
        step, inner = step + 1, None
        if len(items) >= limit:
            if step < len(statuses):
                next_cursor = {"s": step, "k": None}
            break
    encoded = (
        base64.urlsafe_b64encode(json.dumps(next_cursor).encode()).decode() if next_cursor else None
    )
    return {"items": items, "next_cursor": encoded}


@route("/v1/review/{transaction_id}", scope="backoffice")
def get_review_item(p: Principal, transaction_id: str) -> dict[str, Any]:
    record = deps.transaction_records.get(p.org_id, check_id(transaction_id, "transaction_id"))
    return outcome_json(record, history=True)


@route("/v1/review/{transaction_id}/allocate", methods=("POST",), scope="backoffice")
def allocate(p: Principal, transaction_id: str) -> Any:
    body = _object(route.body())
    tx_id = check_id(transaction_id, "transaction_id")
    if "allocations" in body:
        raw = body["allocations"]
        if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
            raise ValidationError("allocations", 'a list of {"lease_id", "amount"}')
        allocations = []
        for n, a in enumerate(raw):
            lease_id = a.get("lease_id")
            if not isinstance(lease_id, str):
                raise ValidationError(f"allocations[{n}].lease_id", "a lease id")
            allocations.append(
                Allocation(
                    check_id(lease_id, "lease_id"),
                    cents_from_plain_decimal(
                        a.get("amount"), f"allocations[{n}].amount", PAYMENT_MAX_CENTS
                    ),
                )
            )
    elif isinstance(body.get("lease_id"), str):
        payment = deps.transaction_records.get(p.org_id, tx_id).transaction
        allocations = [
            Allocation(check_id(body["lease_id"], "lease_id"), abs(payment.amount_cents))
        ]
    else:
        raise ValidationError("lease_id", "a lease id (whole amount) or 'allocations' (a split)")
    item = _service().allocate(p.org_id, tx_id, allocations, _who(p, body), _note(body))
    return json_response(outcome_json(item, history=True))


@route("/v1/review/{transaction_id}/not-rent", methods=("POST",), scope="backoffice")
def mark_not_rent(p: Principal, transaction_id: str) -> Any:
    body = _object(route.body())
    item = _service().not_rent(
        p.org_id, check_id(transaction_id, "transaction_id"), _who(p, body), _note(body)
    )
    return json_response(outcome_json(item, history=True))


@route("/v1/allocations/{transaction_id}/undo", methods=("POST",), scope="backoffice")
def undo_allocation(p: Principal, transaction_id: str) -> Any:
    body = _object(route.body())
    note = _note(body)
    if not note:
        raise ValidationError("note", "say why the allocation is wrong")
    item = _service().undo(
        p.org_id, check_id(transaction_id, "transaction_id"), _who(p, body), note
    )
    return json_response(outcome_json(item, history=True))


@route("/v1/allocations", scope="backoffice")
def list_allocations(p: Principal) -> dict[str, Any]:
    params = route.query()
    page = deps.transaction_records.list(p.org_id, None, route.limit(params), params.get("after"))
    return {"items": [outcome_json(i) for i in page.items], "next_cursor": page.cursor}
