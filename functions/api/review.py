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
import functools
import json
from typing import Any

from chalice import Blueprint

from functions.adapters.dynamo import (
    BookingTables,
    DynamoBooker,
    decode_cursor,
    transaction_from_item,
)
from functions.api.auth import Principal
from functions.api.http import Routes, deps, json_response
from functions.api.requests import check_id
from functions.core.allocation import Allocation
from functions.core.errors import ValidationError
from functions.core.money import PAYMENT_MAX_CENTS, cents_from_plain_decimal, format_cents
from functions.match.review import QUEUE_STATUSES, ReviewService

bp = Blueprint(__name__)
route = Routes(bp)


@functools.cache
def _service() -> ReviewService:
    s = deps.settings
    return ReviewService(
        orgs=deps.orgs,
        leases=deps.leases,
        records=deps.transactions,
        booker=DynamoBooker(
            BookingTables(
                leases=s.leases_table,
                ledger=s.ledger_table,
                transactions=s.transactions_table,
                entries=s.entries_table,
            )
        ),
        read_transaction=transaction_from_item,
    )


def _allocs(raw: Any) -> list[dict[str, Any]]:
    return [
        {"lease_id": a["lease_id"], "amount": format_cents(int(a["amount_cents"]))}
        for a in raw or []
    ]


def outcome_json(item: dict[str, Any], history: bool = False) -> dict[str, Any]:
    """A transaction as the bank described it, with what Encaisse decided."""
    decision = item.get("decision") or {}
    out: dict[str, Any] = {
        "transaction_id": item["transaction_id"],
        "kind": item.get("kind"),
        "statement_id": item.get("statement_id"),
        "file_id": item.get("file_id"),
        "bank_reference": item.get("bank_reference"),
        "end_to_end_id": item.get("end_to_end_id"),
        "mandate_id": item.get("mandate_id"),
        "booking_date": item.get("booking_date"),
        "amount": format_cents(int(item["amount_cents"])),
        "currency": item.get("currency", "EUR"),
        "counterparty": {
            "name": item.get("counterparty_name"),
            "iban": item.get("counterparty_iban"),
        },
        "remittance": item.get("remittance"),
        "structured_reference": item.get("structured_reference"),
        "outcome": item.get("status"),
        "method": decision.get("method"),
        "score": float(decision.get("score", 0) or 0),
        "evidence": decision.get("evidence", []),
        "reason": decision.get("reason"),
        "allocations": _allocs(decision.get("allocations")),
        "suggestions": [
            {
                "lease_id": s["lease_id"],
                "score": float(s.get("score", 0)),
                "reasons": s.get("reasons", []),
                "allocations": _allocs(s.get("allocations")),
            }
            for s in decision.get("suggestions", [])
        ],
        "decided_at": decision.get("decided_at"),
        "confirmed_by": decision.get("confirmed_by"),
        "revision": int(item.get("revision", 0)),
    }
    if decision.get("reject"):
        out["reject"] = decision["reject"]
    if history:
        out["history"] = [
            {
                "outcome": h.get("outcome"),
                "method": h.get("method"),
                "allocations": _allocs(h.get("allocations")),
                "decided_at": h.get("decided_at"),
                "confirmed_by": h.get("confirmed_by"),
                "replaced_at": h.get("replaced_at"),
            }
            for h in item.get("history", [])
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
    decode_cursor(inner)
    return step, inner


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
        page = deps.transactions.list(p.org_id, statuses[step], limit - len(items), inner)
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
    item = deps.transactions.get_item(p.org_id, check_id(transaction_id, "transaction_id"))
    return outcome_json(item, history=True)


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
        item = deps.transactions.get_item(p.org_id, tx_id)
        allocations = [
            Allocation(check_id(body["lease_id"], "lease_id"), abs(int(item["amount_cents"])))
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
    decode_cursor(params.get("after"))
    page = deps.transactions.list(p.org_id, None, route.limit(params), params.get("after"))
    return {"items": [outcome_json(i) for i in page.items], "next_cursor": page.cursor}
