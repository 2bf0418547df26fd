"""The HTTP API (Chalice, behind API Gateway REST): ``/v1`` for the ERP and the back office.

Routes only parse the request, call one service and shape the answer; domain
errors become ``application/problem+json`` responses (``functions.api.http.problem``).
Capabilities with many routes live in their own Chalice blueprints, registered below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice.app import Chalice, Response

from functions.api import bulk, documents, erp, ledger_ops, ops, organisations, review
from functions.api.auth import Principal
from functions.api.http import Routes, deps, with_security_headers
from functions.api.requests import check_id, external_id, lease_from_body, rent_call_from_body
from functions.api.tenant import payment_instructions, tenant_account
from functions.api.views import file_json, lease_json, transaction_json
from functions.core.accounting import entry_as_dict
from functions.core.errors import AuthenticationError, NotFoundError, ValidationError
from functions.core.money import format_cents
from functions.core.rf import normalize_rf

app = Chalice(app_name="encaisse")
app.register_blueprint(review.bp)
app.register_blueprint(erp.bp)
app.register_blueprint(bulk.bp)
app.register_blueprint(organisations.bp)
app.register_blueprint(ledger_ops.bp)
with_security_headers(app)
app.register_blueprint(documents.bp)
app.register_blueprint(ops.bp)
OPENAPI_PATH = Path(__file__).with_name("openapi.json")


routes = Routes(app)
route = routes
_query, _limit, _body = routes.query, routes.limit, routes.body


@route("/v1/health", scope=None)
def health() -> dict[str, Any]:
    return {"status": "ok", "service": "encaisse"}


@route("/v1/openapi.json", scope=None)
def openapi() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return spec


@route("/v1/entries")
def list_entries(p: Principal) -> dict[str, Any]:
    params = _query()
    after = params.get("after")
    if after is not None:
        check_id(after, "after")
    entries, cursor = deps.entries.list_pending(p.org_id, after, _limit(params))
    return {"items": [entry_as_dict(e) for e in entries], "next_cursor": cursor}


@route("/v1/entries/ack", methods=("POST",))
def acknowledge_entries(p: Principal) -> dict[str, Any]:
    body = _body()
    ids = body.get("entry_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ValidationError("entry_ids", "a non-empty list of entry ids")
    if len(ids) > 1000:
        raise ValidationError("entry_ids", "at most 1000 ids per call")
    done = deps.entries.acknowledge(p.org_id, ids, by=p.key_id)
    return {"acknowledged": done, "unknown": [i for i in ids if i not in set(done)]}


@route("/v1/leases")
def list_leases(p: Principal) -> dict[str, Any]:
    params = _query()
    if "external_id" in params:  # the ERP's own number (docs/erp.md)
        found = deps.leases.with_external_id(p.org_id, external_id(params["external_id"]) or "")
        return {"items": [lease_json(x) for x in found], "next_cursor": None}
    page = deps.listings.leases(p.org_id, _limit(params), params.get("after"))
    return {"items": [lease_json(x) for x in page.items], "next_cursor": page.cursor}


@route("/v1/leases/{lease_id}")
def get_lease(p: Principal, lease_id: str) -> dict[str, Any]:
    return lease_json(deps.leases.get(p.org_id, check_id(lease_id, "lease_id")))


@route("/v1/leases/{lease_id}", methods=("PUT",))
def put_lease(p: Principal, lease_id: str) -> Response:
    lease = lease_from_body(p.org_id, lease_id, _body())
    stored, created = deps.lease_service.register(lease)
    return Response(
        body=json.dumps(lease_json(stored), ensure_ascii=False),
        status_code=201 if created else 200,
        headers={"Content-Type": "application/json"},
    )


@route("/v1/leases/{lease_id}/account")
def lease_account(p: Principal, lease_id: str) -> dict[str, Any]:
    # One read: the balance is the sum of the lines (written with the lease's cached
    # balance in one transaction); the lease is read only to tell an unknown lease (404)
    # from one with no line yet.
    lines = deps.ledger.lines(p.org_id, check_id(lease_id, "lease_id"))
    if not lines:
        deps.leases.get(p.org_id, lease_id)
    running = 0
    out = []
    for line in lines:
        running += line.amount_cents
        out.append(
            {
                "line_id": line.line_id,
                "date": line.date.isoformat(),
                "kind": line.kind.value,
                "label": line.label,
                "debit": format_cents(max(line.amount_cents, 0)),
                "credit": format_cents(max(-line.amount_cents, 0)),
                "balance": format_cents(running),
                "source_id": line.source_id,
            }
        )
    return {"lease_id": lease_id, "balance": format_cents(running), "lines": out}


@route("/v1/rent-calls", methods=("POST",))
def post_rent_call(p: Principal) -> Response:
    call = rent_call_from_body(p.org_id, _body())
    deps.leases.get(p.org_id, call.lease_id)  # 404 before anything is written
    created = deps.lease_service.post_rent_call(call)
    if created:  # the avis d'échéance, once per rent call (idempotent on its id)
        lease = deps.leases.get(p.org_id, call.lease_id)
        documents.service().issue_notice(
            p.org_id,
            call.lease_id,
            rent_call_id=call.rent_call_id,
            period=call.period,
            due_date=call.due_date,
            rent_cents=call.rent_cents,
            charges_cents=call.charges_cents,
            apl_cents=call.apl_cents,
            previous_balance_cents=lease.balance_cents - call.total_cents,
        )
    return Response(
        body=json.dumps(
            {
                "rent_call_id": call.rent_call_id,
                "amount": format_cents(call.total_cents),
                "created": created,
            }
        ),
        status_code=201 if created else 200,
        headers={"Content-Type": "application/json"},
    )


@route("/v1/transactions", scope="backoffice")
def list_transactions(p: Principal) -> dict[str, Any]:
    params = _query()
    status = params.get("status")
    allowed = {"new", "allocated", "unmatched", "review", "not_rent"}
    if status is not None and status not in allowed:
        raise ValidationError("status", f"one of {', '.join(sorted(allowed))}")
    page = deps.transaction_records.list(p.org_id, status, _limit(params), params.get("after"))
    return {"items": [transaction_json(i) for i in page.items], "next_cursor": page.cursor}


@route("/v1/files", scope="backoffice")
def list_files(p: Principal) -> dict[str, Any]:
    params = _query()
    page = deps.listings.files(p.org_id, _limit(params), params.get("after"))
    return {"items": [file_json(i) for i in page.items], "next_cursor": page.cursor}


@route("/v1/uploads", methods=("POST",), scope="backoffice")
def create_upload(p: Principal) -> Response:
    """A pre-signed URL to PUT one statement file into the organisation's inbox."""
    body = _body()
    name = body.get("file_name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name or "/" in name or len(name) > 200:
        raise ValidationError("file_name", "a file name without '/' (at most 200 characters)")
    link = deps.upload_links.for_file(p.org_id, name)
    body = {"upload_url": link.url, "method": "PUT", "key": link.key, "expires_in": link.expires_in}
    return Response(
        body=json.dumps(body),
        status_code=201,
        headers={"Content-Type": "application/json"},
    )


# ---------------------------------------------------------------- tenant portal


@route("/v1/leases/{lease_id}/tenant-link", methods=("POST",), scope="backoffice")
def create_tenant_link(p: Principal, lease_id: str) -> Response:
    """A signed link to the portal for this lease's tenants (sent in notices and messages)."""
    link = deps.tenant_links.issue(p.org_id, check_id(lease_id, "lease_id"))
    return Response(
        body=json.dumps(
            {"url": link.url, "token": link.token, "expires_at": link.expires_at.isoformat()}
        ),
        status_code=201,
        headers={"Content-Type": "application/json"},
    )


@route("/v1/tenant/account", scope=None)
def get_tenant_account() -> dict[str, Any]:
    headers = {k.lower(): v for k, v in dict(routes.request().headers).items()}
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("tenant "):
        raise AuthenticationError("send the portal link's token as 'Authorization: Tenant <token>'")
    opened = deps.tenant_links.open(auth[7:].strip())
    return tenant_account(opened.org, opened.lease, opened.lines)


@route("/v1/pay/{rf_reference}", scope=None)
def get_payment_instructions(rf_reference: str) -> dict[str, Any]:
    """Public: how to pay with a reference printed on a notice (no balance, no name)."""
    lease = deps.leases.by_rf_any_org(normalize_rf(rf_reference))
    if lease is None:
        raise NotFoundError("reference", rf_reference)
    org = deps.orgs.get(lease.org_id)
    return payment_instructions(org, lease, None)
