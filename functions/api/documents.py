"""Tenant documents and e-delivery consent (issue 11's interface).

Staff of the organisation (API key with the ``erp`` or ``backoffice`` scope) see
every lease's documents; a tenant (``Authorization: Tenant <portal token>``) sees
only the documents of the lease in the token. Anything else is refused.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint, Response

from functions.api.auth import authenticate
from functions.api.http import Routes, check_body_shape, deps, json_response, problem
from functions.api.requests import check_id
from functions.core.consent_campaign import MAX_INVITATIONS_PER_CALL, check_campaign_id
from functions.core.documents import (
    Consent,
    ConsentSource,
    DocumentRecord,
    check_period,
    parse_consent,
)
from functions.core.errors import (
    EncaisseError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from functions.documents.campaign import ConsentCampaign
from functions.documents.service import DocumentService

bp = Blueprint(__name__)
route = Routes(bp)
STAFF_SCOPES = frozenset({"erp", "backoffice"})


def service() -> DocumentService:
    return deps.documents


def campaign() -> ConsentCampaign:
    return deps.consent_campaign


@dataclass(frozen=True, slots=True)
class Caller:
    """Who calls: staff of ``org_id``, or the tenant of ``lease_id`` in ``org_id``."""

    org_id: str
    who: str
    lease_id: str | None = None

    def may_see(self, lease_id: str) -> None:
        if self.lease_id is not None and self.lease_id != lease_id:
            raise NotFoundError("lease", lease_id)


def _caller() -> Caller:
    headers = dict(bp.current_request.headers)
    auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    if auth.lower().startswith("tenant "):
        grant = deps.tenant_links.grant(auth[7:].strip())
        return Caller(grant.org_id, f"tenant:{grant.lease_id}", grant.lease_id)
    principal = authenticate(deps.keys, headers)
    if not principal.scopes & STAFF_SCOPES:
        raise PermissionDeniedError("this API key lacks the 'erp' or 'backoffice' scope")
    return Caller(principal.org_id, f"key:{principal.key_id}")


def _open(path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[..., Any]:
    """A route open to staff and tenants: authentication is done by ``_caller``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(**params: Any) -> Any:
            try:
                check_body_shape(bp.current_request.raw_body)
                return view(_caller(), **params)
            except EncaisseError as e:
                return problem(e)

        bp.route(path, methods=list(methods), content_types=["application/json"])(wrapped)
        return view

    return decorate


def document_json(r: DocumentRecord) -> dict[str, Any]:
    return {
        "document_id": r.document_id,
        "lease_id": r.lease_id,
        "kind": r.kind.value,
        "period": r.period,
        "created_at": r.created_at.isoformat(),
        "delivery": r.delivery.value,
        "status": r.status.value,
        "sha256": r.sha256,
        "size": r.size,
    }


def consent_json(current: Consent | None, history: list[Consent], safe: bool) -> dict[str, Any]:
    def one(c: Consent) -> dict[str, Any]:
        return {
            "e_delivery": c.e_delivery,
            "source": c.source.value,
            "channel": c.channel.value,
            "at": c.at.isoformat(),
        }

    return {
        "e_delivery": safe,
        "source": current.source.value if current else None,
        "channel": current.channel.value if current else None,
        "at": current.at.isoformat() if current else None,
        "history": [one(c) for c in history],
    }


@_open("/v1/leases/{lease_id}/documents")
def list_documents(c: Caller, lease_id: str) -> dict[str, Any]:
    lease_id = check_id(lease_id, "lease_id")
    c.may_see(lease_id)
    return {"items": [document_json(r) for r in service().list_for_lease(c.org_id, lease_id)]}


@_open("/v1/documents/{document_id}")
def get_document(c: Caller, document_id: str) -> dict[str, Any]:
    doc_id = check_id(document_id, "document_id")
    got = service().download(c.org_id, doc_id, who=c.who, lease_id=c.lease_id)
    return {"url": got.url, "expires_at": got.expires_at.isoformat()}


@route("/v1/leases/{lease_id}/quittances", methods=("POST",))
def post_quittance(p: Any, lease_id: str) -> Response:
    body = route.body()
    if not isinstance(body, dict):
        raise ValidationError("body", "a JSON object with 'period'")
    period = check_period(body.get("period"))
    issued = service().issue_quittance(p.org_id, check_id(lease_id, "lease_id"), period)
    return json_response({**document_json(issued.record), "created": issued.created}, 201)


@_open("/v1/leases/{lease_id}/consent")
def get_consent(c: Caller, lease_id: str) -> dict[str, Any]:
    lease_id = check_id(lease_id, "lease_id")
    c.may_see(lease_id)
    return consent_json(*service().consent(c.org_id, lease_id))


@_open("/v1/leases/{lease_id}/consent", methods=("PUT",))
def put_consent(c: Caller, lease_id: str) -> Response:
    lease_id = check_id(lease_id, "lease_id")
    c.may_see(lease_id)
    raw = bp.current_request.raw_body
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationError("body", f"not valid JSON ({e})") from e
    if c.lease_id is not None and isinstance(body, dict):
        body.setdefault("source", ConsentSource.PORTAL.value)
    consent = parse_consent(body, datetime.now(UTC))
    if c.lease_id is not None and consent.source is not ConsentSource.PORTAL:
        raise ValidationError("source", "a tenant gives or withdraws consent from the portal")
    service().record_consent(c.org_id, lease_id, consent)
    return json_response(consent_json(*service().consent(c.org_id, lease_id)))


@route("/v1/stats/adoption")
def adoption(p: Any) -> dict[str, Any]:
    items = service().adoption(p.org_id, list(deps.leases.iter_all(p.org_id)))
    total = sum(int(i["leases"]) for i in items)
    yes = sum(int(i["e_delivery"]) for i in items)
    return {
        "items": items,
        "total": {
            "leases": total,
            "e_delivery": yes,
            "adoption_percent": round(100 * yes / total, 1) if total else 0,
        },
    }


# ---------------------------------------------------------------- consent campaign


@route("/v1/documents/consent-campaign", methods=("POST",), scope="backoffice")
def post_consent_campaign(p: Any) -> Response:
    """Invites the tenants without e-delivery (and with a contact); idempotent per campaign."""
    body = route.body()
    if not isinstance(body, dict):
        raise ValidationError("body", "a JSON object with 'campaign_id'")
    campaign_id = check_campaign_id(body.get("campaign_id"))
    limit = body.get("limit", MAX_INVITATIONS_PER_CALL)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 2000:
        raise ValidationError("limit", f"a whole number from 1 to {MAX_INVITATIONS_PER_CALL}")
    report = campaign().invite(p.org_id, campaign_id, deps.leases.iter_all(p.org_id), limit)
    return json_response(
        {
            "campaign_id": report.campaign_id,
            "invited": report.invited,
            "already_invited": report.already_invited,
            "consenting": report.consenting,
            "without_contact": report.without_contact,
            "failed": report.failed,
            "remaining": report.remaining,
        }
    )


@route("/v1/tenant/consent-campaign", methods=("POST",), scope=None)
def accept_consent_campaign() -> Response:
    """The one-tap link: ``{"token"}`` from the invitation records the consent, once."""
    body = route.body()
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise ValidationError("token", "the token of the invitation's link")
    grant, _ = campaign().accept(token)
    current = consent_json(*service().consent(grant.org_id, grant.lease_id))
    return json_response({**current, "lease_id": grant.lease_id, "campaign_id": grant.campaign_id})
