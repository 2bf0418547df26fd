"""Bulk variants for the ERP's monthly run (50,000 leases = 50 calls of 1,000).

Each item is checked on its own: the answer lists every item with its outcome,
and an invalid item names its index and field without stopping the others. The
valid items are read and written in batches (BatchGetItem, TransactWriteItems of
up to 100 items: ``LeaseService.register_many`` and ``post_rent_calls``). Writes
are idempotent (leases by id, rent calls by rent_call_id), and the
Idempotency-Key header replays a whole call.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from functions.api.auth import Principal
from functions.api.http import Routes, deps, json_response
from functions.api.requests import check_id, lease_from_body, rent_call_from_body
from functions.api.views import lease_json
from functions.core.documents import NoticeRequest
from functions.core.errors import EncaisseError, ValidationError
from functions.core.lease import Lease
from functions.leases.service import RentCall

bp = Blueprint(__name__)
route = Routes(bp)

MAX_ITEMS = 1000


def _items(body: Any, key: str) -> list[Any]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationError(key, "a non-empty list")
    if len(items) > MAX_ITEMS:
        raise ValidationError(key, f"at most {MAX_ITEMS} items per call")
    return items


def _error(index: int, error: EncaisseError) -> dict[str, Any]:
    field = error.field if isinstance(error, ValidationError) else None
    return {"index": index, "status": "error", "error": {"field": field, "detail": str(error)}}


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"counts": counts, "items": results}


@route("/v1/leases/bulk", methods=("POST",))
def put_leases_bulk(p: Principal) -> Response:
    raw = _items(route.body(), "leases")
    results: list[dict[str, Any]] = [{} for _ in raw]
    valid: list[tuple[int, Lease]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        try:
            lease_id = check_id(
                item.get("lease_id") if isinstance(item, dict) else None, "lease_id"
            )
            if lease_id in seen:
                raise ValidationError("lease_id", f"{lease_id!r} appears twice in this call")
            seen.add(lease_id)
            valid.append((i, lease_from_body(p.org_id, lease_id, item)))
        except ValidationError as e:
            results[i] = _error(i, e)
    stored = deps.lease_service.register_many(p.org_id, [lease for _, lease in valid])
    for (i, _), (lease, created) in zip(valid, stored, strict=True):
        results[i] = {"index": i, "status": "created" if created else "updated"} | {
            "lease": lease_json(lease)
        }
    return json_response(_summary(results))


@route("/v1/rent-calls/bulk", methods=("POST",))
def post_rent_calls_bulk(p: Principal) -> Response:
    raw = _items(route.body(), "rent_calls")
    results: list[dict[str, Any]] = [{} for _ in raw]
    calls: list[tuple[int, RentCall]] = []
    for i, item in enumerate(raw):
        try:
            calls.append((i, rent_call_from_body(p.org_id, item, f"rent_calls[{i}]")))
        except ValidationError as e:
            results[i] = _error(i, e)
    posting = deps.lease_service.post_rent_calls(p.org_id, [call for _, call in calls])
    notices: list[NoticeRequest] = []
    for (i, call), outcome in zip(calls, posting.outcomes, strict=True):
        if isinstance(outcome, EncaisseError):
            results[i] = _error(i, outcome)
            continue
        results[i] = {
            "index": i,
            "status": "created" if outcome else "exists",
            "rent_call_id": call.rent_call_id,
            "lease_id": call.lease_id,
        }
        if outcome:
            notices.append(notice_request(call, posting.before[call.lease_id]))
    if notices:  # rendered by the documents function, in bounded batches
        deps.notice_queue.send(p.org_id, notices)
    return json_response(_summary(results))


def notice_request(call: RentCall, balance_before_cents: int) -> NoticeRequest:
    return NoticeRequest(
        org_id=call.org_id,
        lease_id=call.lease_id,
        rent_call_id=call.rent_call_id,
        period=call.period,
        due_date=call.due_date,
        rent_cents=call.rent_cents,
        charges_cents=call.charges_cents,
        apl_cents=call.apl_cents,
        previous_balance_cents=balance_before_cents,
    )
