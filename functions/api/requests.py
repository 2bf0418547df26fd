"""Parsing request bodies into domain objects; every error names its field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from functions.core.errors import ValidationError
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.money import cents_from_decimal
from functions.leases.service import RentCall

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationError(field, "1 to 64 letters, digits, '.', '_', ':' or '-'")
    return value


def _obj(body: Any, field: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError(field, "must be a JSON object")
    return body


def _str(
    body: dict[str, Any], key: str, *, required: bool = True, max_len: int = 200
) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(key, "must be a non-empty string")
    if len(value) > max_len:
        raise ValidationError(key, f"at most {max_len} characters")
    return value.strip()


def _date(body: dict[str, Any], key: str, *, required: bool = True) -> date | None:
    raw = _str(body, key, required=required, max_len=10)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as e:
        raise ValidationError(key, f"{raw!r} is not a date (YYYY-MM-DD)") from e


def _amount(body: dict[str, Any], key: str, *, default: str | None = None) -> int:
    raw = body.get(key, default)
    if raw is None:
        raise ValidationError(key, "is required")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValidationError(key, 'an amount as a decimal string, e.g. "512.30"')
    cents = cents_from_decimal(str(raw), key)
    if cents < 0:
        raise ValidationError(key, "must not be negative")
    return cents


def lease_from_body(org_id: str, lease_id: str, body: Any) -> Lease:
    data = _obj(body)
    tenants_raw = data.get("tenants")
    if not isinstance(tenants_raw, list) or not tenants_raw:
        raise ValidationError("tenants", "a non-empty list of tenants")
    tenants = []
    for i, raw in enumerate(tenants_raw):
        t = _obj(raw, f"tenants[{i}]")
        name = _str(t, "name")
        tenants.append(
            Tenant(
                name=str(name),
                email=_str(t, "email", required=False),
                phone=_str(t, "phone", required=False, max_len=30),
            )
        )
    method = data.get("payment_method", "transfer")
    try:
        payment_method = PaymentMethod(method)
    except ValueError as e:
        choices = ", ".join(m.value for m in PaymentMethod)
        raise ValidationError("payment_method", f"one of {choices}") from e
    consent = data.get("e_delivery_consent", False)
    if not isinstance(consent, bool):
        raise ValidationError("e_delivery_consent", "true or false")
    start = _date(data, "start_date")
    end = _date(data, "end_date", required=False)
    assert start is not None
    if end is not None and end < start:
        raise ValidationError("end_date", "is before start_date")
    return Lease(
        org_id=org_id,
        lease_id=check_id(lease_id, "lease_id"),
        tenants=tuple(tenants),
        residence=_str(data, "residence") or "",
        commune=_str(data, "commune") or "",
        unit=_str(data, "unit") or "",
        start_date=start,
        end_date=end,
        rent_cents=_amount(data, "rent"),
        charges_cents=_amount(data, "charges", default="0"),
        apl_cents=_amount(data, "apl", default="0"),
        payment_method=payment_method,
        mandate_id=_str(data, "mandate_id", required=False, max_len=35),
        e_delivery_consent=consent,
        viban="",
        rf_reference="",
    )


def rent_call_from_body(org_id: str, body: Any, field: str = "body") -> RentCall:
    data = _obj(body, field)
    period = _str(data, "period", max_len=7)
    if period is None or not _PERIOD.match(period):
        raise ValidationError("period", "a month as YYYY-MM")
    lease_id = check_id(data.get("lease_id"), "lease_id")
    due = _date(data, "due_date")
    assert due is not None
    call_id = data.get("rent_call_id") or f"{lease_id}:{period}"
    return RentCall(
        org_id=org_id,
        lease_id=lease_id,
        rent_call_id=check_id(call_id, "rent_call_id"),
        period=period,
        due_date=due,
        rent_cents=_amount(data, "rent"),
        charges_cents=_amount(data, "charges", default="0"),
        apl_cents=_amount(data, "apl", default="0"),
    )
