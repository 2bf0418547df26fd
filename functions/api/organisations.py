"""Organisations admin (scope ``operator``): create, read and configure a landlord.

``POST /v1/organisations`` answers the new organisation and its first API key
(scopes ``erp`` and ``backoffice``), shown once; ``PATCH`` merges the fields it is
given into the stored settings and checks the whole again. Secrets (portal and
webhook signing keys) are generated here and never answered, except the webhook
signing secret once at creation, so the ERP can check what it receives. Answers
holding a secret are never kept for ``Idempotency-Key`` replays: a repeated
creation answers 409, and a lost first key is replaced with ``/api-keys``.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from chalice.app import Blueprint, Response

from functions.api.auth import Principal
from functions.api.http import Routes, deps, json_response
from functions.api.requests import check_id, postal_address
from functions.core.dunning import DunningPolicy
from functions.core.errors import ValidationError
from functions.core.money import THRESHOLD_MAX_CENTS, cents_from_plain_decimal, format_cents
from functions.core.organisation import Branding, ChartOfAccounts, HouseholdSplit, Organisation
from functions.core.sepa import normalize_ics
from functions.core.viban import VirtualIbanRange, normalize_iban
from functions.organisations.secrets import SecretKind
from functions.organisations.service import OrganisationService

bp = Blueprint(__name__)
route = Routes(bp)

ERP_FORMATS = ("json", "csv", "fec")
MAX_LOGO_CHARS = 100_000
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Z]{1,20}$")
_LOGO = re.compile(r"^data:image/(png|svg\+xml);base64,[A-Za-z0-9+/=]+$")
_SIREN = re.compile(r"^\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOP = (
    "name",
    "siren",
    "address",
    "branding",
    "viban_range",
    "collection_iban",
    "ics",
    "accounting",
    "erp",
    "dunning",
    "household_split",
)


def organisation_json(org: Organisation) -> dict[str, Any]:
    """The organisation as the admin API shows it (no secrets)."""
    r = org.viban_range
    return {
        "org_id": org.org_id,
        "name": org.name,
        "siren": org.siren,
        "address": org.address.to_dict() if org.address else None,
        "branding": {f.name: getattr(org.branding, f.name) for f in fields(Branding)},
        "viban_range": {
            "bank_code": r.bank_code,
            "branch_code": r.branch_code,
            "account_prefix": r.account_prefix,
            "bic": r.bic,
        },
        "collection_iban": org.collection_iban,
        "ics": org.ics,
        "accounting": {f.name: getattr(org.chart, f.name) for f in fields(ChartOfAccounts)},
        "erp": {"format": org.erp_format, "webhook_url": org.erp_webhook_url},
        "dunning": (
            {
                "threshold": format_cents(org.dunning.threshold_cents),
                "grace_days": org.dunning.grace_days,
                "step_days": {s.value: d for s, d in org.dunning.step_days},
            }
            if org.dunning
            else None
        ),
        "household_split": org.household_split.value,
    }


def _obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(field, "must be a JSON object")
    return value


def _text(data: dict[str, Any], key: str, field: str, max_len: int = 200) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise ValidationError(field, f"a non-empty string of at most {max_len} characters")
    return value.strip()


def _bic(value: Any, field: str) -> str | None:
    if value is None:
        return None
    from schwifty import BIC  # on first use: ~0.1 s of a cold start otherwise
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(str(value).replace(" ", "").upper()))
    except SchwiftyException as e:
        raise ValidationError(field, f"{value!r} is not a valid BIC ({e})") from e


def _viban_range(value: Any) -> VirtualIbanRange:
    data = _obj(value, "viban_range")
    parts = {}
    for key in ("bank_code", "branch_code", "account_prefix"):
        parts[key] = _text(data, key, f"viban_range.{key}", 10)
        if parts[key] is None:
            raise ValidationError(f"viban_range.{key}", "is required")
    bic = _bic(data.get("bic"), "viban_range.bic")
    try:
        return VirtualIbanRange(
            str(parts["bank_code"]),
            str(parts["branch_code"]),
            str(parts["account_prefix"]).upper(),
            bic,
        )
    except ValidationError as e:
        raise ValidationError(f"viban_range.{e.field}", e.reason) from e


def _branding(value: Any) -> Branding:
    data = _obj(value or {}, "branding")
    unknown = set(data) - {f.name for f in fields(Branding)}
    if unknown:
        raise ValidationError(f"branding.{sorted(unknown)[0]}", "unknown field")
    logo = data.get("logo")
    if logo is not None and (
        not isinstance(logo, str) or len(logo) > MAX_LOGO_CHARS or not _LOGO.match(logo)
    ):
        raise ValidationError(
            "branding.logo", "a data:image/png or data:image/svg+xml base64 URI of at most 100 KB"
        )
    out: dict[str, Any] = {"logo": logo}
    for key in ("primary_colour", "accent_colour"):
        colour = data.get(key)
        if colour is not None:
            if not isinstance(colour, str) or not _COLOUR.match(colour):
                raise ValidationError(f"branding.{key}", "a colour as #rrggbb")
            out[key] = colour.lower()
    out["legal_mentions"] = _text(data, "legal_mentions", "branding.legal_mentions", 500)
    out["contact_phone"] = _text(data, "contact_phone", "branding.contact_phone", 30)
    email = _text(data, "contact_email", "branding.contact_email", 254)
    if email is not None and not _EMAIL.match(email):
        raise ValidationError("branding.contact_email", f"{email!r} is not an e-mail address")
    out["contact_email"] = email
    site = _text(data, "website", "branding.website", 200)
    if site is not None and not site.startswith("https://"):
        raise ValidationError("branding.website", "an https:// address")
    out["website"] = site
    return Branding(**{k: v for k, v in out.items() if v is not None})


def _chart(value: Any) -> ChartOfAccounts:
    data = _obj(value or {}, "accounting")
    names = {f.name for f in fields(ChartOfAccounts)}
    unknown = set(data) - names
    if unknown:
        raise ValidationError(f"accounting.{sorted(unknown)[0]}", "unknown field")
    for key, account in data.items():
        if not isinstance(account, str) or not _ACCOUNT.match(account):
            raise ValidationError(f"accounting.{key}", "1 to 20 digits or capital letters")
    return ChartOfAccounts(**data)


def _erp(value: Any) -> tuple[str, str | None]:
    data = _obj(value or {}, "erp")
    fmt = data.get("format", "json")
    if fmt not in ERP_FORMATS:
        raise ValidationError("erp.format", f"one of {', '.join(ERP_FORMATS)}")
    url = _text(data, "webhook_url", "erp.webhook_url", 500)
    if url is not None and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValidationError("erp.webhook_url", "an https:// address")
    return fmt, url


def _dunning(value: Any) -> DunningPolicy | None:
    """The landlord's own policy (missing keys keep the defaults); None: the platform's."""
    if value is None:
        return None
    data = dict(_obj(value, "dunning"))
    if "threshold" in data:
        data["threshold_cents"] = cents_from_plain_decimal(
            data.pop("threshold"), "dunning.threshold", THRESHOLD_MAX_CENTS
        )
    for key in ("grace_days",):
        if key in data and (not isinstance(data[key], int) or isinstance(data[key], bool)):
            raise ValidationError(f"dunning.{key}", "a whole number of days")
    steps = data.get("step_days")
    if steps is not None and (
        not isinstance(steps, dict)
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in steps.values())
    ):
        raise ValidationError("dunning.step_days", "an object of step: whole number of days")
    try:
        return DunningPolicy.from_dict(data)
    except ValidationError as e:
        raise ValidationError(f"dunning.{e.field}", e.reason) from e


def organisation_from_json(org_id: str, body: Any) -> Organisation:
    """A whole organisation from its JSON form; every error names its field."""
    data = _obj(body, "body")
    unknown = set(data) - {*_TOP, "org_id"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    name = _text(data, "name", "name")
    if name is None:
        raise ValidationError("name", "is required")
    siren = data.get("siren")
    if siren is not None and (not isinstance(siren, str) or not _SIREN.match(siren)):
        raise ValidationError("siren", "nine digits")
    if data.get("viban_range") is None:
        raise ValidationError("viban_range", "is required (bank_code, branch_code, account_prefix)")
    iban = data.get("collection_iban")
    if not isinstance(iban, str):
        raise ValidationError("collection_iban", "is required (the landlord's generic IBAN)")
    ics = data.get("ics")
    if ics is not None and not isinstance(ics, str):
        raise ValidationError("ics", "a SEPA creditor identifier")
    split = data.get("household_split", HouseholdSplit.OLDEST_DEBT_FIRST.value)
    try:
        household_split = HouseholdSplit(split)
    except ValueError as e:
        raise ValidationError(
            "household_split", f"one of {', '.join(s.value for s in HouseholdSplit)}"
        ) from e
    fmt, url = _erp(data.get("erp"))
    return Organisation(
        org_id=check_id(org_id, "org_id"),
        name=name,
        collection_iban=normalize_iban(iban, "collection_iban"),
        viban_range=_viban_range(data["viban_range"]),
        chart=_chart(data.get("accounting")),
        siren=siren,
        erp_format=fmt,
        erp_webhook_url=url,
        address=postal_address(data.get("address"), "address"),
        branding=_branding(data.get("branding")),
        ics=normalize_ics(ics) if ics else None,
        dunning=_dunning(data.get("dunning")),
        household_split=household_split,
    )


def merge_patch(current: dict[str, Any], patch: Any) -> dict[str, Any]:
    """JSON merge patch (RFC 7396): objects merge, ``null`` removes, the rest replaces."""
    if not isinstance(patch, dict):
        raise ValidationError("body", "must be a JSON object")
    out = dict(current)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = value
    return out


def organisation_service() -> OrganisationService:
    return deps.organisation_admin


@route("/v1/organisations", methods=("POST",), scope="operator", replay=False)
def create_organisation(p: Principal) -> Response:
    body = route.body()
    org_id = body.get("org_id") if isinstance(body, dict) else None
    if org_id is None:
        raise ValidationError("org_id", "is required")
    org, key = organisation_service().create(
        organisation_from_json(check_id(org_id, "org_id"), body)
    )
    out = organisation_json(org)
    out["erp"]["webhook_secret"] = deps.secrets.signing_value(org, SecretKind.ERP_WEBHOOK)
    out["api_key"] = {"key": key.key, "key_id": key.key_id, "scopes": list(key.scopes)}
    return json_response(out, 201)


@route("/v1/organisations/{org_id}", scope="operator")
def get_organisation(p: Principal, org_id: str) -> dict[str, Any]:
    return organisation_json(deps.orgs.get(check_id(org_id, "org_id")))


@route("/v1/organisations/{org_id}", methods=("PATCH",), scope="operator")
def update_organisation(p: Principal, org_id: str) -> dict[str, Any]:
    current = deps.orgs.get(check_id(org_id, "org_id"))
    body = route.body()
    if isinstance(body, dict) and body.get("org_id", org_id) != org_id:
        raise ValidationError("org_id", "cannot change")
    merged = merge_patch(organisation_json(current), body)
    return organisation_json(organisation_service().update(organisation_from_json(org_id, merged)))


@route("/v1/organisations/{org_id}/api-keys", methods=("POST",), scope="operator", replay=False)
def create_organisation_key(p: Principal, org_id: str) -> Response:
    """Another key for the organisation (``{"scopes": [...], "label": ...}``), shown once."""
    org = deps.orgs.get(check_id(org_id, "org_id"))
    body = route.body()
    scopes = body.get("scopes", ["erp", "backoffice"]) if isinstance(body, dict) else None
    if not isinstance(scopes, list) or not scopes or not set(scopes) <= {"erp", "backoffice"}:
        raise ValidationError("scopes", "a non-empty list of 'erp' and 'backoffice'")
    label = body.get("label") or ""
    if not isinstance(label, str) or len(label) > 100:
        raise ValidationError("label", "at most 100 characters")
    key = organisation_service().issue_key(org.org_id, sorted(set(scopes)), label)
    return json_response(
        {"org_id": org.org_id, "key": key.key, "key_id": key.key_id, "scopes": list(key.scopes)},
        201,
    )
